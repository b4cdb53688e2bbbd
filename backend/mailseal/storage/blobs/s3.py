"""The S3 store: envelopes as objects in an S3-compatible bucket (AWS S3, MinIO, Garage, Ceph RGW, …).

The client is obstore (Rust's `object_store` under a typed Python API): ranged GETs, a put from a file
that becomes a multipart upload past one part and never holds the file whole, retries, credentials from
the usual `AWS_*` variables, and the GIL released while it waits on the network.

Objects are `<prefix>/<message id>.seal`. The name is always a checked message id, never user input.
"""

from __future__ import annotations

import io
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

import obstore

from mailseal.storage.blobs.contract import check_name, staging_file

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from obstore.store import S3Store

MiB = 1024 * 1024
KiB = 1024
# S3's smallest part (but the last): the upload holds about PART_SIZE x (UPLOAD_CONCURRENCY + 1) in memory,
# +24 MiB measured for a 100 MiB envelope (8 MiB parts: +39 MiB, and no faster).
PART_SIZE = 5 * MiB
UPLOAD_CONCURRENCY = 4
FIRST_FETCH = 64 * KiB  # the header and index of most envelopes, or one payload chunk
MAX_FETCH = 1 * MiB  # the read-ahead doubles from FIRST_FETCH while reads are sequential, up to this


class S3BlobStore:
    """Envelopes in a bucket; staging files are local (`staging` folder), uploaded on commit."""

    def __init__(self, store: S3Store, *, staging: Path) -> None:
        self._store = store
        self._staging = staging
        self._staging.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.bytes_fetched = 0  # by every reader of this store: what a test checks "reads only what it needs" by

    @property
    def local(self) -> bool:
        return False

    @staticmethod
    def key(message_id: str) -> str:
        return f"{check_name(message_id)}.seal"

    def exists(self, message_id: str) -> bool:
        try:
            obstore.head(self._store, self.key(message_id))
        except FileNotFoundError:
            return False
        return True

    def size(self, message_id: str) -> int:
        return int(obstore.head(self._store, self.key(message_id))["size"])

    def staging(self) -> AbstractContextManager[tuple[BinaryIO, Path]]:
        return staging_file(self._staging)

    def commit(self, staged: Path, message_id: str) -> None:
        """Upload the staged file: one PUT up to PART_SIZE, else a multipart upload read part by part.

        Either way S3 shows the object only once it is whole (a multipart upload appears on completion)."""
        obstore.put(
            self._store, self.key(message_id), staged, chunk_size=PART_SIZE, max_concurrency=UPLOAD_CONCURRENCY
        )

    def open(self, message_id: str) -> BinaryIO:
        key = self.key(message_id)
        size = int(obstore.head(self._store, key)["size"])
        # Not behind an io.BufferedReader: that would split a chunk's read in two and fetch twice. The
        # reader buffers itself and fills every read whole (short only at the end), as a BinaryIO does.
        return cast(BinaryIO, RangedReader(self, key, size))

    def delete(self, message_id: str) -> None:
        obstore.delete(self._store, self.key(message_id))

    def fetch(self, key: str, start: int, length: int) -> obstore.Bytes:
        data = obstore.get_range(self._store, key, start=start, length=length)
        with self._lock:
            self.bytes_fetched += len(data)
        return data


class RangedReader(io.RawIOBase):
    """A seekable reader of one object by ranged GETs, holding at most MAX_FETCH bytes.

    Reads are served from one window; a read outside it fetches a new one starting where it is asked
    for: FIRST_FETCH after a jump, twice the last size while reading on sequentially (up to MAX_FETCH),
    so streaming a whole envelope costs few requests and a jump to one chunk reads about one chunk."""

    def __init__(self, store: S3BlobStore, key: str, size: int) -> None:
        super().__init__()
        self._store = store
        self._key = key
        self._size = size
        self._pos = 0
        self._window = memoryview(b"")
        self._window_start = 0
        self._fetch = FIRST_FETCH

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        self._checkClosed()
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._checkClosed()
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._pos + offset
        elif whence == io.SEEK_END:
            position = self._size + offset
        else:
            raise ValueError(f"invalid whence ({whence})")
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        self._pos = position
        return position

    def readinto(self, buffer: WriteableBuffer) -> int:
        self._checkClosed()
        target = memoryview(buffer).cast("B")
        wanted = max(0, min(len(target), self._size - self._pos))
        done = 0
        while done < wanted:
            offset = self._pos - self._window_start
            if not 0 <= offset < len(self._window):
                self._fill(wanted - done)
                continue
            piece = min(wanted - done, len(self._window) - offset)
            target[done : done + piece] = self._window[offset : offset + piece]
            done += piece
            self._pos += piece
        return done

    def _fill(self, wanted: int) -> None:
        sequential = len(self._window) > 0 and self._pos == self._window_start + len(self._window)
        self._fetch = min(self._fetch * 2, MAX_FETCH) if sequential else FIRST_FETCH
        length = min(max(self._fetch, min(wanted, MAX_FETCH)), self._size - self._pos)
        self._window = memoryview(b"")  # let the old window go before the new one arrives
        data = memoryview(self._store.fetch(self._key, self._pos, length)).cast("B")
        if len(data) == 0:
            raise OSError(f"{self._key} ended at {self._pos} bytes, before its size of {self._size}")
        self._window = data
        self._window_start = self._pos

    def close(self) -> None:
        self._window = memoryview(b"")
        super().close()
