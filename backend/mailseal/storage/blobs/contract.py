"""The contract every blob store keeps, whatever holds the bytes: a folder or an S3 bucket.

A blob is one sealed envelope (ciphertext only), named by its message id. It is written in two steps:
`staging()` gives a local temporary file that the sealer writes, `commit()` makes it visible under its
name, whole or not at all. `open()` gives a seekable reader: the sealed format reads the header, the
index and single 64 KiB chunks by seek and read, so opening one attachment reads only what it needs.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol

_SAFE_NAME = re.compile(r"[a-z2-7]{26}")


def check_name(message_id: str) -> str:
    """A blob's name is a message id (base32, 26 letters): never user input, never a path."""
    if not _SAFE_NAME.fullmatch(message_id):  # not `match` with `$`, which lets a final newline through
        raise ValueError("not a message id")
    return message_id


class BlobStore(Protocol):
    """Sealed envelopes by message id. Every method blocks; `local` says whether it may block for long.

    Names that are not message ids raise `ValueError`; a missing blob raises `FileNotFoundError` from
    `open` and `size`, is `False` for `exists`, and is no error for `delete`.
    """

    @property
    def local(self) -> bool:
        """True when every call is a local file operation (a stat, a page-cache read): fine on the event
        loop. False for a network store: async callers run its calls in a thread (see `off_loop`)."""
        ...

    def exists(self, message_id: str) -> bool: ...

    def size(self, message_id: str) -> int: ...

    def staging(self) -> AbstractContextManager[tuple[BinaryIO, Path]]:
        """A local temporary file (handle and path) to write an envelope into, removed on exit."""
        ...

    def commit(self, staged: Path, message_id: str) -> None:
        """Make a fully written staging file the blob `message_id`, durably and atomically."""
        ...

    def open(self, message_id: str) -> BinaryIO:
        """A seekable reader of the blob; the caller closes it."""
        ...

    def delete(self, message_id: str) -> None: ...


@contextmanager
def staging_file(folder: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """A temporary file in `folder`, removed on exit (after a commit it has usually moved already)."""
    fd, name = tempfile.mkstemp(dir=folder, suffix=".part")
    path = Path(name)
    try:
        with os.fdopen(fd, "w+b") as handle:
            yield handle, path
    finally:
        path.unlink(missing_ok=True)
