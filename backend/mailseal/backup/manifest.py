"""The manifest of a backup: what it holds, with a SHA-256 per file, so a restore can refuse a changed one.

It detects damage and changed files; it is not a signature (whoever can rewrite the backup can rewrite the
manifest too), so keep backups where only the operator can write.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import msgspec

MANIFEST_NAME = "manifest.json"
FORMAT = "mailseal-backup"
VERSION = 1
_CHUNK = 1 << 20


class FileEntry(msgspec.Struct, frozen=True):
    sha256: str
    size: int


class Manifest(msgspec.Struct, frozen=True):
    format: str
    version: int
    mailseal_version: str
    created_at: int
    key_store: str
    counts: dict[str, int]
    files: dict[str, FileEntry]  # path inside the backup (POSIX) -> its hash and size
    notes: list[str] = []


def copy_private(source: Path, target: Path) -> FileEntry:
    """Copy one file to a new file of mode 0600, hashing as it goes; then read the copy back and compare,
    so what is on disk is what was hashed."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest = hashlib.sha256()
    size = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(source, "rb") as src, os.fdopen(fd, "wb") as dst:
        while block := src.read(_CHUNK):
            digest.update(block)
            dst.write(block)
            size += len(block)
        dst.flush()
        os.fsync(dst.fileno())
    entry = FileEntry(sha256=digest.hexdigest(), size=size)
    if hash_file(target) != entry:
        raise OSError(f"the copy of {source} does not read back as written")
    return entry


def hash_file(path: Path) -> FileEntry:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
            size += len(block)
    return FileEntry(sha256=digest.hexdigest(), size=size)


def write_manifest(folder: Path, manifest: Manifest) -> None:
    fd = os.open(folder / MANIFEST_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(msgspec.json.format(msgspec.json.encode(manifest), indent=2))
        handle.flush()
        os.fsync(handle.fileno())


def read_manifest(folder: Path) -> Manifest:
    return msgspec.json.decode((folder / MANIFEST_NAME).read_bytes(), type=Manifest)
