"""The blob store contract, on both stores: the folder and S3 (moto's server on loopback).

Each test runs against a real store: files in a temporary folder, or objects in a fresh bucket.
"""

from __future__ import annotations

import io
import os
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import obstore
import pytest
from obstore.store import S3Store

import mailseal.format as fmt
from mailseal.errors import ConfigError
from mailseal.storage.blobs import BlobStore, FolderBlobStore, open_blob_store
from mailseal.storage.blobs.s3 import FIRST_FETCH, MAX_FETCH, PART_SIZE, S3BlobStore

CIPHERTEXT_CHUNK = fmt.CHUNK_SIZE + 16  # one payload chunk and its tag: the unit the format seeks to
KEY = bytes(range(32))


@dataclass
class Subject:
    """A store under test and a look at what it holds, from outside the store."""

    store: BlobStore
    visible: Callable[[], set[str]]  # every stored object or file, wherever it is
    staging_left: Callable[[], list[Path]]


def _folder(tmp_path: Path) -> Subject:
    root = tmp_path / "blobs"
    store = open_blob_store(root.as_uri())

    def visible() -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.parent != root / "tmp"}

    return Subject(store, visible, lambda: list((root / "tmp").iterdir()))


def _s3(url: str, tmp_path: Path) -> Subject:
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    # The whole bucket, not only the store's prefix: nothing may land anywhere else either.
    bucket = S3Store(parts.netloc, endpoint=options["endpoint"][0], region=options["region"][0],
                     client_options={"allow_http": True})
    staging = tmp_path / "staging"
    store = open_blob_store(url, staging=staging)

    def visible() -> set[str]:
        return {meta["path"] for batch in obstore.list(bucket) for meta in batch}

    return Subject(store, visible, lambda: list(staging.iterdir()))


@pytest.fixture(params=["folder", "s3"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Subject:
    if request.param == "folder":
        return _folder(tmp_path)
    return _s3(request.getfixturevalue("s3_blob_url"), tmp_path)


def new_id() -> str:
    return fmt.message_id_text(fmt.new_message_id())


def put(store: BlobStore, data: bytes, message_id: str | None = None) -> str:
    message_id = message_id or new_id()
    with store.staging() as (handle, path):
        handle.write(data)
        handle.flush()
        store.commit(path, message_id)
    return message_id


def test_round_trip_small_and_multipart(subject: Subject) -> None:
    store = subject.store
    small = os.urandom(1000)
    large = os.urandom(PART_SIZE * 2 + 12345)  # three parts in a multipart upload on S3
    small_id, large_id = put(store, small), put(store, large)
    for message_id, data in ((small_id, small), (large_id, large)):
        assert store.exists(message_id)
        assert store.size(message_id) == len(data)
        with store.open(message_id) as handle:
            assert handle.seekable()
            assert handle.read() == data
            assert handle.read() == b""
    assert len(subject.visible()) == 2
    assert subject.staging_left() == []


def test_random_access_equals_the_bytes_at_every_boundary(subject: Subject) -> None:
    data = os.urandom(3 * MAX_FETCH + 12345)
    message_id = put(subject.store, data)
    boundaries = sorted({*range(0, len(data), CIPHERTEXT_CHUNK), *range(0, len(data), FIRST_FETCH),
                         *range(0, len(data), MAX_FETCH), len(data)})
    with subject.store.open(message_id) as handle:
        for boundary in boundaries:
            for start in (boundary - 1, boundary, boundary + 1):
                if not 0 <= start <= len(data):
                    continue
                for length in (1, CIPHERTEXT_CHUNK):
                    assert handle.seek(start) == start
                    assert handle.read(length) == data[start : start + length], (start, length)
                    assert handle.tell() == min(start + length, len(data))
        # Jumps every which way, as the format makes them, relative and from the end too.
        rng = random.Random(16)
        for _ in range(200):
            whence = rng.choice((io.SEEK_SET, io.SEEK_CUR, io.SEEK_END))
            if whence == io.SEEK_SET:
                position = handle.seek(rng.randrange(len(data) + 1))
            elif whence == io.SEEK_CUR:
                here = handle.tell()
                position = handle.seek(rng.randrange(-here, len(data) - here + 1), io.SEEK_CUR)
            else:
                position = handle.seek(-rng.randrange(len(data) + 1), io.SEEK_END)
            length = rng.choice((1, 7, 4096, CIPHERTEXT_CHUNK, 300_000))
            assert handle.read(length) == data[position : position + length]
        handle.seek(len(data) + 10)
        assert handle.read(5) == b""
        with pytest.raises((ValueError, OSError)):
            handle.seek(-1)


def test_a_sealed_envelope_opens_by_chunk_from_the_store(subject: Subject) -> None:
    """The format's own random access (header, index, then single chunks) over the store's reader."""
    message = (b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: big\r\n\r\n"
               + os.urandom(20 * fmt.CHUNK_SIZE + 333).hex().encode())
    message_id = new_id()
    with subject.store.staging() as (handle, path):
        fmt.seal(io.BytesIO(message), handle, content_key=KEY, message_id=fmt.parse_message_id(message_id),
                 issuer="example.org", sender="alice@example.org", recipients=["bob@example.net"],
                 policy=fmt.Policy("encrypt-only", ("view",), None), key_id="k", created=0)
        handle.flush()
        subject.store.commit(path, message_id)
    with subject.store.open(message_id) as handle:
        opened = fmt.open_envelope(handle, KEY)
        size = opened.header.payload_size
        assert size == len(message)
        for boundary in range(0, size, fmt.CHUNK_SIZE):
            for start in (max(boundary - 1, 0), boundary):
                end = min(start + 1000, size)
                assert b"".join(opened.read_range(start, end)) == message[start:end]
        assert b"".join(opened.iter_plaintext()) == message


def test_missing_blob(subject: Subject) -> None:
    store, message_id = subject.store, new_id()
    assert not store.exists(message_id)
    with pytest.raises(FileNotFoundError):
        store.open(message_id)
    with pytest.raises(FileNotFoundError):
        store.size(message_id)
    store.delete(message_id)  # nothing to delete is no error


def test_delete(subject: Subject) -> None:
    store = subject.store
    kept, gone = put(store, b"kept"), put(store, b"gone")
    store.delete(gone)
    assert not store.exists(gone) and store.exists(kept)
    with pytest.raises(FileNotFoundError):
        store.open(gone)
    assert len(subject.visible()) == 1


def test_abandoned_staging_leaves_nothing(subject: Subject) -> None:
    message_id = new_id()
    with pytest.raises(RuntimeError), subject.store.staging() as (handle, _):
        handle.write(os.urandom(100_000))
        raise RuntimeError("sealing failed half way")
    assert not subject.store.exists(message_id)
    assert subject.visible() == set()
    assert subject.staging_left() == []


def test_failed_commit_leaves_nothing(subject: Subject) -> None:
    message_id = new_id()
    with subject.store.staging() as (_, path):
        path.unlink()  # the staged file is gone: the commit cannot read it
        with pytest.raises(OSError):
            subject.store.commit(path, message_id)
    assert not subject.store.exists(message_id)
    assert subject.visible() == set()


def test_a_blob_is_never_seen_in_part(subject: Subject) -> None:
    """While a large commit runs (a multipart upload on S3), the blob is absent or whole, never partial."""
    data = os.urandom(PART_SIZE * 3 + 1)
    message_id = new_id()
    seen: list[int] = []
    with subject.store.staging() as (handle, path):
        handle.write(data)
        handle.flush()
        committer = threading.Thread(target=subject.store.commit, args=(path, message_id))
        committer.start()
        while committer.is_alive():
            if subject.store.exists(message_id):
                seen.append(subject.store.size(message_id))
        committer.join()
    assert set(seen) <= {len(data)}
    assert subject.store.size(message_id) == len(data)


BAD_NAMES = ["", "../../etc/passwd", "A" * 26, "a" * 25, "a" * 27, "a" * 25 + "/", "a" * 25 + "1", "a" * 26 + "\n"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_names_are_message_ids(subject: Subject, name: str) -> None:
    store = subject.store
    for call in (store.exists, store.size, store.open, store.delete):
        with pytest.raises(ValueError, match="not a message id"):
            call(name)
    with store.staging() as (handle, path):
        handle.write(b"x")
        handle.flush()
        with pytest.raises(ValueError, match="not a message id"):
            store.commit(path, name)
    assert subject.visible() == set()


def test_the_store_says_whether_it_is_local(subject: Subject) -> None:
    assert subject.store.local is isinstance(subject.store, FolderBlobStore)


def test_s3_objects_are_message_ids_under_the_prefix(s3_blob_url: str, tmp_path: Path) -> None:
    subject = _s3(s3_blob_url, tmp_path)
    message_id = put(subject.store, b"sealed")
    assert subject.visible() == {f"envelopes/{message_id}.seal"}


def test_s3_opening_one_chunk_reads_about_one_chunk(s3_blob_url: str, tmp_path: Path) -> None:
    """Random access by ranged GETs: one chunk in the middle of 20 MiB costs a few hundred KiB, not 20 MiB."""
    store = open_blob_store(s3_blob_url, staging=tmp_path / "staging")
    assert isinstance(store, S3BlobStore)
    data = os.urandom(20 * 1024 * 1024)
    message_id = put(store, data)
    store.bytes_fetched = 0
    with store.open(message_id) as handle:
        handle.read(200)  # a header
        middle = 10 * 1024 * 1024 + 5
        handle.seek(middle)
        assert handle.read(CIPHERTEXT_CHUNK) == data[middle : middle + CIPHERTEXT_CHUNK]
    assert store.bytes_fetched <= FIRST_FETCH + CIPHERTEXT_CHUNK
    # Reading on sequentially, the read-ahead grows: the whole object in few, bounded requests.
    store.bytes_fetched = 0
    with store.open(message_id) as handle:
        while handle.read(CIPHERTEXT_CHUNK):
            pass
    assert store.bytes_fetched == len(data)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("blobs", "must start with"),
        ("file://relative/blobs", "file:///absolute/path"),
        ("file:///abs?x=1", "file:///absolute/path"),
        ("s3:///prefix", "names its bucket"),
        ("s3://bucket/prefix?endpoint=http://127.0.0.1:1&colour=red", "Unknown option"),
        ("http://bucket/prefix", "must start with"),
    ],
)
def test_bad_blob_urls_are_refused(url: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        open_blob_store(url)


def test_blob_urls_name_their_store(tmp_path: Path) -> None:
    folder = open_blob_store((tmp_path / "my blobs").as_uri())
    assert isinstance(folder, FolderBlobStore) and folder.root == tmp_path / "my blobs"
    remote = open_blob_store("s3://bucket/a/b?endpoint=http://127.0.0.1:1&region=eu-west-1", staging=tmp_path)
    assert isinstance(remote, S3BlobStore) and not remote.local
