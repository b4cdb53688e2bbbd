"""Sealing and opening: the public surface, round trips, random access, streaming, and refusals."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

import pytest

import mailseal.format as fmt
from mailseal.errors import DamagedEnvelope, InputError, TooLarge
from mailseal.format import (
    CHUNK_SIZE,
    Header,
    OpenedEnvelope,
    Policy,
    header_fingerprint,
    header_mac_of,
    message_id_text,
    new_content_key,
    new_message_id,
    open_envelope,
    parse_message_id,
    read_header,
    seal,
)
from support.corpora import corpus_eml_files

KEY = bytes(range(32))
MID = bytes(range(0xA0, 0xB0))
POLICY = Policy(template="encrypt-only", rights=("view", "reply"), expires_at=None)


def seal_bytes(message: bytes, *, key: bytes = KEY, message_id: bytes = MID, **overrides: object) -> bytes:
    out = io.BytesIO()
    kwargs: dict[str, object] = {
        "issuer": "example.org",
        "sender": "alice@example.org",
        "recipients": ["bob@example.net"],
        "policy": POLICY,
        "key_id": "k1",
        "created": 1767225600,
    }
    kwargs.update(overrides)
    seal(io.BytesIO(message), out, content_key=key, message_id=message_id, **kwargs)
    return out.getvalue()


def open_bytes(envelope: bytes, key: bytes = KEY) -> OpenedEnvelope:
    return open_envelope(io.BytesIO(envelope), key)


class OneWay(io.BytesIO):
    """A non-seekable stream with short reads, like a socket or a pipe."""

    def seekable(self) -> bool:
        return False

    def seek(self, offset: int, whence: int = 0) -> int:
        raise io.UnsupportedOperation("not seekable")

    def tell(self) -> int:
        raise io.UnsupportedOperation("not seekable")

    def read(self, size: int | None = -1) -> bytes:
        return super().read(1000 if size is None or size < 0 else min(size, 1000))


def test_public_surface_is_pinned() -> None:
    assert sorted(fmt.__all__) == sorted(
        [
            "BEGIN",
            "CHUNK_SIZE",
            "END",
            "FORMAT_VERSION",
            "HEADER_LABEL",
            "INDEX_LABEL",
            "MAGIC",
            "PAYLOAD_LABEL",
            "SNIFF_SIZE",
            "Header",
            "MessageIndex",
            "OpenedEnvelope",
            "Part",
            "Policy",
            "armor",
            "dearmor",
            "header_fingerprint",
            "header_mac_of",
            "message_id_text",
            "new_content_key",
            "new_message_id",
            "open_envelope",
            "parse_message_id",
            "read_header",
            "seal",
            "sniff",
        ]
    )
    assert fmt.MAGIC == b"mailseal/v1\n"
    assert fmt.HEADER_LABEL == b"mailseal.org/v1/header"
    assert fmt.INDEX_LABEL == b"mailseal.org/v1/index"
    assert fmt.PAYLOAD_LABEL == b"mailseal.org/v1/payload"


def test_seal_returns_the_header_and_open_verifies_it() -> None:
    message = b"Subject: hi\r\n\r\nhello\r\n"
    out = io.BytesIO()
    header = seal(
        io.BytesIO(message),
        out,
        content_key=KEY,
        message_id=MID,
        issuer="example.org",
        sender="alice@example.org",
        recipients=("bob@example.net", "carol@example.net"),
        policy=Policy("do-not-forward", ("view",), 1800000000),
        key_id="org-key-7",
        created=1767225600,
    )
    assert header.payload_size == len(message)
    assert header.chunk_size == CHUNK_SIZE == 65536
    assert header.id == message_id_text(MID)
    opened = open_bytes(out.getvalue())
    assert opened.header == header
    assert read_header(io.BytesIO(out.getvalue())) == header
    assert b"".join(opened.iter_plaintext()) == message
    assert opened.index.subject == "hi"


@pytest.mark.parametrize(
    "size",
    [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE + 5],
)
def test_round_trip_at_chunk_edges(size: int) -> None:
    message = os.urandom(size)
    envelope = seal_bytes(message)
    chunks = max(1, -(-size // CHUNK_SIZE))
    header_len = int.from_bytes(envelope[12:16], "big")
    index_len = int.from_bytes(envelope[48 + header_len : 52 + header_len], "big")
    assert len(envelope) == 12 + 4 + header_len + 32 + 4 + index_len + size + 16 * chunks
    opened = open_bytes(envelope)
    pieces = list(opened.iter_plaintext())
    assert len(pieces) == chunks
    assert b"".join(pieces) == message
    opened.verify_payload()


def test_read_range_decrypts_only_what_it_needs() -> None:
    message = os.urandom(3 * CHUNK_SIZE + 1234)
    opened = open_bytes(seal_bytes(message))
    for start, end in [
        (0, 0),
        (0, 1),
        (5, 100),
        (CHUNK_SIZE - 1, CHUNK_SIZE + 1),
        (CHUNK_SIZE, 2 * CHUNK_SIZE),
        (100, 3 * CHUNK_SIZE + 1000),
        (len(message) - 1, len(message)),
        (0, len(message)),
    ]:
        pieces = list(opened.read_range(start, end))
        assert b"".join(pieces) == message[start:end]
        expected_chunks = 0 if start == end else (end - 1) // CHUNK_SIZE - start // CHUNK_SIZE + 1
        assert len(pieces) == expected_chunks
    with pytest.raises(InputError):
        opened.read_range(10, 5)
    with pytest.raises(InputError):
        opened.read_range(0, len(message) + 1)


def test_read_range_reads_only_the_chunk_it_needs(tmp_path: Path) -> None:
    """Damage in another chunk does not stop random access to a good one (spec section 6)."""
    message = os.urandom(2 * CHUNK_SIZE + 10)
    envelope = bytearray(seal_bytes(message))
    envelope[-5] ^= 1  # inside the final chunk
    path = tmp_path / "envelope"
    path.write_bytes(bytes(envelope))
    with path.open("rb") as src:
        opened = open_envelope(src, KEY)
        assert b"".join(opened.read_range(10, 20)) == message[10:20]
        with pytest.raises(DamagedEnvelope):
            b"".join(opened.read_range(2 * CHUNK_SIZE, 2 * CHUNK_SIZE + 1))


def test_interleaved_readers_on_one_file(tmp_path: Path) -> None:
    message = os.urandom(3 * CHUNK_SIZE)
    path = tmp_path / "envelope"
    path.write_bytes(seal_bytes(message))
    with path.open("rb") as src:
        opened = open_envelope(src, KEY)
        whole = opened.iter_plaintext()
        first = next(whole)
        assert b"".join(opened.read_range(2 * CHUNK_SIZE, 2 * CHUNK_SIZE + 3)) == message[-CHUNK_SIZE:][:3]
        assert first + b"".join(whole) == message


def test_envelope_inside_a_larger_file(tmp_path: Path) -> None:
    """Offsets are relative to where the envelope starts in `src`."""
    message = os.urandom(CHUNK_SIZE + 7)
    path = tmp_path / "blob"
    path.write_bytes(b"x" * 100 + seal_bytes(message))
    with path.open("rb") as src:
        src.seek(100)
        opened = open_envelope(src, KEY)
        assert b"".join(opened.read_range(CHUNK_SIZE, CHUNK_SIZE + 7)) == message[CHUNK_SIZE:]
        assert b"".join(opened.iter_plaintext()) == message


def test_non_seekable_envelope_streams_once() -> None:
    message = os.urandom(2 * CHUNK_SIZE + 3)
    envelope = seal_bytes(message)
    opened = open_envelope(OneWay(envelope), KEY)
    assert b"".join(opened.iter_plaintext()) == message
    with pytest.raises(io.UnsupportedOperation):
        opened.iter_plaintext()
    with pytest.raises(io.UnsupportedOperation):
        opened.read_range(0, 1)


def test_non_seekable_trailing_bytes_stop_the_final_chunk() -> None:
    message = os.urandom(CHUNK_SIZE + 3)
    stream: BinaryIO = OneWay(seal_bytes(message) + b"!")
    opened = open_envelope(stream, KEY)
    chunks = opened.iter_plaintext()
    assert next(chunks) == message[:CHUNK_SIZE]
    with pytest.raises(DamagedEnvelope):
        next(chunks)


def test_non_seekable_truncation_is_detected() -> None:
    message = os.urandom(CHUNK_SIZE + 3)
    opened = open_envelope(OneWay(seal_bytes(message)[:-1]), KEY)
    with pytest.raises(DamagedEnvelope):
        opened.verify_payload()


def test_wrong_key_fails_at_the_header_mac() -> None:
    envelope = seal_bytes(b"hello")
    for key in (bytes(32), KEY[:-1] + b"\x00", b"short"):
        with pytest.raises(DamagedEnvelope):
            open_bytes(envelope, key)


def test_read_header_trusts_nothing_but_parses() -> None:
    envelope = seal_bytes(b"hello")
    assert read_header(io.BytesIO(envelope)).key_id == "k1"
    for bad in (b"", envelope[:11], envelope[:20], b"mailseal/v2\n" + envelope[12:], b"\0" * 100):
        with pytest.raises(DamagedEnvelope):
            read_header(io.BytesIO(bad))
        with pytest.raises(DamagedEnvelope):
            header_mac_of(io.BytesIO(bad))
        with pytest.raises(DamagedEnvelope):
            header_fingerprint(io.BytesIO(bad))


def test_header_mac_of_fingerprints_the_header() -> None:
    envelope = seal_bytes(b"hello")
    header_len = int.from_bytes(envelope[12:16], "big")
    assert header_mac_of(io.BytesIO(envelope)) == envelope[16 + header_len : 48 + header_len]
    assert header_mac_of(io.BytesIO(envelope)) != header_mac_of(io.BytesIO(seal_bytes(b"hello", key=bytes(32))))


@pytest.mark.parametrize("length", [0, 64 * 1024 + 1, 2**32 - 1])
def test_header_length_bounds(length: int) -> None:
    envelope = seal_bytes(b"hello")
    forged = envelope[:12] + length.to_bytes(4, "big") + envelope[16:]
    with pytest.raises(DamagedEnvelope):
        read_header(io.BytesIO(forged))


@pytest.mark.parametrize("length", [0, 15, 4 * 1024 * 1024 + 1, 2**32 - 1])
def test_index_length_bounds(length: int) -> None:
    envelope = seal_bytes(b"hello")
    header_len = int.from_bytes(envelope[12:16], "big")
    at = 16 + header_len + 32
    forged = envelope[:at] + length.to_bytes(4, "big") + envelope[at + 4 :]
    with pytest.raises(DamagedEnvelope):
        open_bytes(forged)


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"recipients": []}, InputError),
        ({"recipients": ["x@example.org"] * 501}, InputError),
        ({"recipients": ["a" * 255]}, InputError),
        ({"recipients": [f"{'r' * 240}{i}@example.org" for i in range(300)]}, TooLarge),
        ({"sender": ""}, InputError),
        ({"issuer": ""}, InputError),
        ({"key_id": ""}, InputError),
        ({"created": -1}, InputError),
        ({"policy": Policy("", (), None)}, InputError),
        ({"policy": Policy("t", ("r",) * 33, None)}, InputError),
        ({"policy": Policy("t", ("",), None)}, InputError),
        ({"policy": Policy("t", (), -5)}, InputError),
    ],
)
def test_seal_refuses_a_header_out_of_bounds(override: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        seal_bytes(b"hello", **override)  # type: ignore[arg-type]


def test_seal_refuses_bad_key_or_id_sizes() -> None:
    with pytest.raises(InputError):
        seal_bytes(b"hello", key=b"short")
    with pytest.raises(InputError):
        seal_bytes(b"hello", message_id=b"short")


def test_seal_detects_a_source_that_changes_between_passes() -> None:
    class Growing(io.BytesIO):
        grown = False

        def seek(self, offset: int, whence: int = 0) -> int:
            if not self.grown:  # seal seeks back after its scan: the message grows meanwhile
                self.grown = True
                super().seek(0, io.SEEK_END)
                self.write(b"more")
            return super().seek(offset, whence)

    with pytest.raises(InputError):
        seal(
            Growing(b"hello"),
            io.BytesIO(),
            content_key=KEY,
            message_id=MID,
            issuer="example.org",
            sender="a@example.org",
            recipients=["b@example.org"],
            policy=POLICY,
            key_id="k",
            created=0,
        )


def test_seal_starts_at_the_current_position() -> None:
    source = io.BytesIO(b"IGNORED" + b"Subject: x\r\n\r\nbody")
    source.seek(7)
    out = io.BytesIO()
    seal(
        source,
        out,
        content_key=KEY,
        message_id=MID,
        issuer="example.org",
        sender="a@example.org",
        recipients=["b@example.org"],
        policy=POLICY,
        key_id="k",
        created=0,
    )
    assert b"".join(open_bytes(out.getvalue()).iter_plaintext()) == b"Subject: x\r\n\r\nbody"


def test_message_ids() -> None:
    assert message_id_text(MID) == "ucq2fi5euwtkpkfjvkv2zlnov4"
    assert parse_message_id("ucq2fi5euwtkpkfjvkv2zlnov4") == MID
    for _ in range(50):
        raw = new_message_id()
        text = message_id_text(raw)
        assert len(text) == 26 and text == text.lower()
        assert parse_message_id(text) == raw
    assert new_message_id() != new_message_id()
    assert len(new_content_key()) == 32 and new_content_key() != new_content_key()
    for bad in (
        "",
        "UCQ2FI5EUWTKPKFJVKV2ZLNOV4",  # uppercase is not the text form
        "ucq2fi5euwtkpkfjvkv2zlnov",  # 25 characters
        "ucq2fi5euwtkpkfjvkv2zlnov44",
        "ucq2fi5euwtkpkfjvkv2zlnov1",  # not base32
        "ucq2fi5euwtkpkfjvkv2zlnov5",  # non-zero spare bits
        "ucq2fi5euwtkpkfjvkv2zlnov=",
    ):
        with pytest.raises(InputError):
            parse_message_id(bad)
    with pytest.raises(InputError):
        message_id_text(b"short")


def test_header_id_property() -> None:
    header = read_header(io.BytesIO(seal_bytes(b"x")))
    assert isinstance(header, Header)
    assert parse_message_id(header.id) == header.message_id


def test_corpus_round_trip_and_ranges(corpora: Path) -> None:
    """Every corpus message seals and opens to identical bytes, range by range too."""
    files = corpus_eml_files()
    assert len(files) > 150
    for path in files:
        message = path.read_bytes()
        opened = open_bytes(seal_bytes(message))
        assert b"".join(opened.iter_plaintext()) == message, path.name
        for part in opened.index.parts:
            assert b"".join(opened.read_range(part.start, part.end)) == message[part.start : part.end]


def test_header_fingerprint_binds_the_header_and_its_mac() -> None:
    envelope = seal_bytes(b"hello")
    fingerprint = header_fingerprint(io.BytesIO(envelope))
    assert fingerprint == header_fingerprint(io.BytesIO(envelope + b"trailing payload bytes do not matter"))
    header_len = int.from_bytes(envelope[12:16], "big")
    for position in range(16, 48 + header_len):  # every header and MAC byte
        changed = bytearray(envelope)
        changed[position] ^= 0x01
        try:
            assert header_fingerprint(io.BytesIO(bytes(changed))) != fingerprint
        except DamagedEnvelope:
            pass
        # The MAC alone does not notice a changed header:
        if position < 16 + header_len:
            try:
                assert header_mac_of(io.BytesIO(bytes(changed))) == header_mac_of(io.BytesIO(envelope))
            except DamagedEnvelope:
                pass
