"""`mailseal restore DIR`: a backup brought back into an empty data folder, after checking it whole.

Every file is checked against the manifest before anything is written (a changed, missing or added file
refuses the restore), and again as it is copied. Files are written 0600, folders 0700. Revocations made
after the backup are re-applied from a list kept outside it (see `revocations.py`); the restore refuses
to run until the operator either gives that list or says there is none.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import msgspec

from mailseal.backup.layout import BLOBS, DATABASE, KEYS, RULES, embedded_paths, is_empty
from mailseal.backup.manifest import FORMAT, MANIFEST_NAME, VERSION, Manifest, copy_private, hash_file, read_manifest
from mailseal.backup.revocations import apply_revocations, read_revocations
from mailseal.config import Settings
from mailseal.errors import BackupDamaged, BackupRefused
from mailseal.instance import DataFolder
from mailseal.storage import open_store
from mailseal.storage.sqlite_backup import inspect_copy

NO_DECISION = ("a backup holds the content keys of messages revoked after it was taken: give the old"
               " installation's revocations with --revocations-from FILE (`mailseal revocations` or"
               " `mailseal audit --json`), or say there are none with --no-revocations-since (docs/backup.md)")


class RestoreResult(msgspec.Struct, frozen=True):
    manifest: Manifest
    revocations_applied: int
    revocations_listed: int


async def restore_backup(
    settings: Settings, source: Path, *, revocations_from: list[Path], no_revocations_since: bool = False,
) -> RestoreResult:
    """Restore the backup in `source` into this installation's (empty) data folder."""
    if not revocations_from and not no_revocations_since:
        raise BackupRefused(NO_DECISION)
    database, blob_root = embedded_paths(settings)
    manifest = await asyncio.to_thread(verify_backup, source)
    revoked = await asyncio.to_thread(_listed_revocations, revocations_from)
    await asyncio.to_thread(_copy_in, manifest, source, settings, database, blob_root)
    facts = await inspect_copy(database)
    counts = {**facts.counts, "blobs": len(facts.envelope_ids)}
    if facts.integrity != "ok" or counts != manifest.counts:
        raise BackupDamaged(f"the restored database does not match the manifest ({facts.integrity}, {counts})")

    applied = 0
    if revoked:
        store = await open_store(settings.resolved_database_url)
        try:
            applied = await apply_revocations(store, revoked, source=", ".join(map(str, revocations_from)))
        finally:
            await store.close()
    return RestoreResult(manifest=manifest, revocations_applied=applied, revocations_listed=len(revoked))


def _listed_revocations(paths: list[Path]) -> list[str]:
    return list(dict.fromkeys(message_id for path in paths for message_id in read_revocations(path)))


def _copy_in(manifest: Manifest, source: Path, settings: Settings, database: Path, blob_root: Path) -> None:
    """Copy every file of the backup to its place, into an empty data folder only; 0600 files, 0700 folders."""
    folder = DataFolder(settings.data_path)
    for place in (folder.root, blob_root):
        if not is_empty(place):
            raise BackupRefused(f"{place} is not empty: restore only into an empty data folder")
    if database.exists():
        raise BackupRefused(f"{database} exists: restore only into an empty data folder")
    made = _make_private_folders(folder.root)
    folder.root.chmod(0o700)
    targets = {DATABASE: database, BLOBS: blob_root, KEYS: folder.keys, RULES: folder.rules}
    written: list[Path] = []
    try:
        for name, expected in manifest.files.items():
            top, _, rest = name.partition("/")
            target = targets[top] / rest if rest else targets[top]
            made += _make_private_folders(target.parent)
            written.append(target)
            if copy_private(source / name, target) != expected:
                raise BackupDamaged(f"{name} changed while it was being restored")
    except BaseException:
        for path in written:  # the folder was empty: take back what was written, so a retry may begin
            path.unlink(missing_ok=True)
        for made_folder in reversed(made):  # deepest first; each one was made, empty, by this restore
            made_folder.rmdir()
        raise


def verify_backup(source: Path) -> Manifest:
    """The manifest, once every file in `source` matches it: none changed, missing or added."""
    if not (source / MANIFEST_NAME).is_file():
        raise BackupDamaged(f"{source} has no {MANIFEST_NAME}: not a Mailseal backup, or an unfinished one")
    try:
        manifest = read_manifest(source)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BackupDamaged(f"{source / MANIFEST_NAME} cannot be read: {exc}") from None
    if manifest.format != FORMAT or manifest.version != VERSION:
        raise BackupDamaged(f"{source} is a {manifest.format} v{manifest.version} backup;"
                            f" this reads {FORMAT} v{VERSION}")
    present = {
        path.relative_to(source).as_posix() for path in source.rglob("*") if path.is_file() or path.is_symlink()
    } - {MANIFEST_NAME}
    listed = set(manifest.files)
    for name in sorted(listed):
        top = name.partition("/")[0]
        if top not in (DATABASE, BLOBS, KEYS, RULES) or ".." in name.split("/"):
            raise BackupDamaged(f"the manifest names {name!r}, which is no part of a backup")
    if missing := sorted(listed - present):
        raise BackupDamaged(f"{missing[0]} is in the manifest but not in the backup ({len(missing)} missing)")
    if added := sorted(present - listed):
        raise BackupDamaged(f"{added[0]} is in the backup but not in its manifest ({len(added)} added)")
    for name in sorted(listed):
        path = source / name
        if path.is_symlink() or hash_file(path) != manifest.files[name]:
            raise BackupDamaged(f"{name} does not match the manifest's SHA-256: the backup was changed or damaged")
    return manifest


def _make_private_folders(path: Path) -> list[Path]:
    """Create `path` and its missing parents 0700 (whatever the umask); the folders made, outermost first."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700)
        os.chmod(folder, 0o700)
    return list(reversed(missing))

