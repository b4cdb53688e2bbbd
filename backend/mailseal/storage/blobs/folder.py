"""The folder store (the default): envelopes as files, written atomically and durably.

A blob is written to a temporary file, fsynced, then renamed into place, and the folder is fsynced: a
crash leaves either the whole blob or none.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO

from mailseal.storage.blobs.contract import check_name, staging_file


class FolderBlobStore:
    """`<root>/<first two letters>/<message id>.seal`, staging files in `<root>/tmp` (same file system)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root_name = str(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._tmp = root / "tmp"
        self._tmp.mkdir(exist_ok=True)

    @property
    def local(self) -> bool:
        return True

    def path(self, message_id: str) -> Path:
        check_name(message_id)
        return self.root / message_id[:2] / f"{message_id}.seal"

    def exists(self, message_id: str) -> bool:
        check_name(message_id)
        # A plain string, not `path()`: this runs on every open, and pathlib's joins cost more than the stat.
        return os.path.isfile(f"{self._root_name}/{message_id[:2]}/{message_id}.seal")

    def staging(self) -> AbstractContextManager[tuple[BinaryIO, Path]]:
        return staging_file(self._tmp)

    def commit(self, staged: Path, message_id: str) -> None:
        """Move a fully written staging file into place, durably."""
        final = self.path(message_id)
        with open(staged, "rb+") as handle:
            os.fsync(handle.fileno())
        final.parent.mkdir(exist_ok=True)
        os.replace(staged, final)
        _fsync_dir(final.parent)

    def open(self, message_id: str) -> BinaryIO:
        return open(self.path(message_id), "rb")

    def size(self, message_id: str) -> int:
        return self.path(message_id).stat().st_size

    def delete(self, message_id: str) -> None:
        self.path(message_id).unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
