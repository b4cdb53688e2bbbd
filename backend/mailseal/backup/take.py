"""`mailseal backup DIR`: a consistent snapshot of a running embedded installation.

Order matters. The database is copied first, in one read snapshot (SQLite's online backup API: the
server's writers go on). The envelopes the snapshot names are copied after it: an envelope is stored
before the transaction that records it and never deleted while its row exists, so each one the snapshot
names is there; an envelope stored after the snapshot is simply not in the backup. The key ring is copied
last, so it holds every key the snapshot's content keys are wrapped under (rotation only adds keys).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import msgspec

from mailseal import __version__
from mailseal.backup.layout import BLOBS, DATABASE, KEYS, RULES, blob_name, embedded_paths, is_empty
from mailseal.backup.manifest import FORMAT, VERSION, FileEntry, Manifest, copy_private, hash_file, write_manifest
from mailseal.config import Settings
from mailseal.errors import BackupDamaged, BackupRefused
from mailseal.instance import DataFolder
from mailseal.keys.stores import RING_FILES
from mailseal.storage.sqlite_backup import SnapshotFacts, backup_sqlite, inspect_copy

PKCS11_NOTE = ("the organisation keys are on the PKCS#11 token {label!r}: this backup holds only the file that"
              " names it; back the token up with its own tools (for SoftHSM2, its token folder)")


class BackupResult(msgspec.Struct, frozen=True):
    folder: str
    manifest: Manifest


async def take_backup(settings: Settings, target: Path) -> BackupResult:
    """Write a backup of the installation into `target` (a new or empty folder). On any failure the
    folder is left empty (or removed if this made it), so a half-written backup is never mistaken for one."""
    database, blob_root = embedded_paths(settings)
    made = await asyncio.to_thread(_prepare, database, target)
    try:
        snapshot = target / DATABASE
        await backup_sqlite(database, snapshot)
        facts = await inspect_copy(snapshot)
        manifest = await asyncio.to_thread(_copy_the_rest, settings, facts, blob_root, target)
    except BaseException:
        await asyncio.to_thread(_clear, target, remove=made)
        raise
    return BackupResult(folder=str(target), manifest=manifest)


def _prepare(database: Path, target: Path) -> bool:
    """Check there is something to back up and somewhere to put it; whether the folder was made now."""
    if not database.is_file():
        raise BackupRefused(f"no database at {database}: nothing to back up")
    if not is_empty(target):
        raise BackupRefused(f"{target} is not empty: back up into a new or empty folder")
    made = not target.exists()
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    target.chmod(0o700)
    return made


def _copy_the_rest(settings: Settings, facts: SnapshotFacts, blob_root: Path, target: Path) -> Manifest:
    """After the database snapshot: the envelopes it names, the keys, the rules, and the manifest last."""
    snapshot = target / DATABASE
    snapshot.chmod(0o600)
    if facts.integrity != "ok":
        raise BackupDamaged(f"the database copy fails its integrity check: {facts.integrity[:200]}")
    files: dict[str, FileEntry] = {DATABASE: hash_file(snapshot)}
    for message_id in facts.envelope_ids:
        source = blob_root / blob_name(message_id)  # the folder store's layout
        if not source.is_file():
            raise BackupDamaged(f"envelope {message_id} is in the database but not in {blob_root}: the live"
                                " installation is damaged; no backup written")
        name = f"{BLOBS}/{blob_name(message_id)}"
        files[name] = copy_private(source, target / name)

    folder = DataFolder(settings.data_path)
    notes: list[str] = []
    if folder.keys.is_dir():
        for entry in sorted(folder.keys.iterdir()):
            if entry.is_file() and not entry.name.startswith("."):
                files[f"{KEYS}/{entry.name}"] = copy_private(entry, target / KEYS / entry.name)
    if (folder.keys / RING_FILES["pkcs11"]).exists():
        notes.append(PKCS11_NOTE.format(label=settings.pkcs11_token_label))
    if folder.rules.is_file():
        files[RULES] = copy_private(folder.rules, target / RULES)

    manifest = Manifest(
        format=FORMAT, version=VERSION, mailseal_version=__version__, created_at=int(time.time()),
        key_store=settings.key_store, counts={**facts.counts, "blobs": len(facts.envelope_ids)},
        files=files, notes=notes,
    )
    write_manifest(target, manifest)  # last: a folder without it is not a backup
    _fsync_tree(target)
    return manifest


def _clear(target: Path, *, remove: bool) -> None:
    if remove:
        shutil.rmtree(target, ignore_errors=True)
        return
    for entry in target.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _fsync_tree(root: Path) -> None:
    for folder, _, _ in os.walk(root):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
