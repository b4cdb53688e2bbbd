"""The blob store: sealed envelopes (ciphertext only) as files, written atomically and durably.

A blob is written to a temporary file, fsynced, then renamed into place, and the folder is fsynced: a
crash leaves either the whole blob or none. Names are message ids (base32), never user input.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

_SAFE_NAME = re.compile(r"^[a-z2-7]{26}$")


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._root_name = str(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._tmp = root / "tmp"
        self._tmp.mkdir(exist_ok=True)

    def path(self, message_id: str) -> Path:
        if not _SAFE_NAME.match(message_id):
            raise ValueError("not a message id")
        return self.root / message_id[:2] / f"{message_id}.seal"

    def exists(self, message_id: str) -> bool:
        if not _SAFE_NAME.match(message_id):
            raise ValueError("not a message id")
        # A plain string, not `path()`: this runs on every open, and pathlib's joins cost more than the stat.
        return os.path.isfile(f"{self._root_name}/{message_id[:2]}/{message_id}.seal")

    @contextmanager
    def staging(self) -> Iterator[tuple[BinaryIO, Path]]:
        """A temporary file in the store's own folder (same file system), removed unless committed."""
        fd, name = tempfile.mkstemp(dir=self._tmp, suffix=".part")
        path = Path(name)
        try:
            with os.fdopen(fd, "w+b") as handle:
                yield handle, path
        finally:
            path.unlink(missing_ok=True)

    def commit(self, staged: Path, message_id: str) -> Path:
        """Move a fully written staging file into place, durably."""
        with open(staged, "rb+") as handle:
            os.fsync(handle.fileno())
        final = self.path(message_id)
        final.parent.mkdir(exist_ok=True)
        os.replace(staged, final)
        _fsync_dir(final.parent)
        return final

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
