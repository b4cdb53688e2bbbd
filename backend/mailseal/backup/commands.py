"""The `mailseal backup`, `mailseal restore` and `mailseal revocations` commands (parsers and handlers)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from mailseal.config import Settings

COMMANDS = ("backup", "restore", "revocations")


def add_backup_commands(sub: Any) -> None:
    """Add the three commands to the `mailseal` parser's subcommands."""
    b = sub.add_parser("backup", help="a consistent snapshot of this installation, while it runs")
    b.add_argument("folder", type=Path, help="a new or empty folder to write the backup into")
    r = sub.add_parser("restore", help="bring a backup back into an empty data folder")
    r.add_argument("folder", type=Path, help="the backup folder (with its manifest.json)")
    r.add_argument("--revocations-from", type=Path, action="append", default=[], metavar="FILE",
                   help="revocations made since the backup, to apply again: `mailseal revocations` or"
                        " `mailseal audit --json` of the old installation, or message ids (repeatable)")
    r.add_argument("--no-revocations-since", action="store_true",
                   help="say that no message was revoked after the backup was taken")
    sub.add_parser("revocations", help="print every revoked message as JSON lines (keep it outside the backups)")


async def run_backup_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "backup":
        return await _backup(settings, args.folder)
    if args.command == "restore":
        return await _restore(settings, args)
    return await _revocations(settings)


async def _backup(settings: Settings, folder: Path) -> int:
    from mailseal.backup.take import take_backup

    result = await take_backup(settings, folder)
    counts = ", ".join(f"{count} {name}" for name, count in result.manifest.counts.items())
    print(f"backed up into {result.folder}: {counts}; {len(result.manifest.files)} files, each with its SHA-256"
          " in manifest.json")
    for note in result.manifest.notes:
        print(f"mailseal: note: {note}", file=sys.stderr)
    return 0


async def _restore(settings: Settings, args: argparse.Namespace) -> int:
    from mailseal.backup.restore import restore_backup

    result = await restore_backup(settings, args.folder, revocations_from=args.revocations_from,
                                  no_revocations_since=args.no_revocations_since)
    manifest = result.manifest
    taken = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(manifest.created_at))
    print(f"restored the backup of {taken} into {settings.data_path}: {manifest.counts.get('seals', 0)}"
          f" seals, {manifest.counts.get('blobs', 0)} envelopes; every file matched its SHA-256")
    if args.revocations_from:
        print(f"re-applied {result.revocations_applied} revocation(s) made after the backup"
              f" ({result.revocations_listed} listed; the others were already revoked or sealed after it)")
    for note in manifest.notes:
        print(f"mailseal: note: {note}", file=sys.stderr)
    if manifest.key_store != settings.key_store:
        print(f"mailseal: the backup's key ring is of kind {manifest.key_store!r}: set key_store ="
              f" {manifest.key_store!r} before `mailseal serve`", file=sys.stderr)
    return 0


async def _revocations(settings: Settings) -> int:
    from mailseal.storage import open_store

    store = await open_store(settings.resolved_database_url)
    try:
        revoked = await store.seals.revoked()
    finally:
        await store.close()
    for message_id, revoked_at in revoked:
        print(json.dumps({"message_id": message_id, "revoked_at": revoked_at}))
    return 0
