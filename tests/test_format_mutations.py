"""Tampering: every bit of the header, MAC and index, a sample of payload bits, truncations, chunk
swaps and header splices all end in `DamagedEnvelope`, and no plaintext of a damaged chunk escapes."""

from __future__ import annotations

import io
import random

import msgspec
import pytest

from mailseal.errors import DamagedEnvelope
from mailseal.format import CHUNK_SIZE, Header, Policy, open_envelope, seal
from mailseal.format.header import encode_header

KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 132))
MID_A = bytes(range(0xA0, 0xB0))
MID_B = bytes(range(0xB0, 0xC0))
STEP = CHUNK_SIZE + 16
SMALL = b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: Hi\r\n\r\nHello, Bob.\r\n"


def seal_bytes(message: bytes, key: bytes = KEY_A, message_id: bytes = MID_A, **overrides: object) -> bytes:
    kwargs: dict[str, object] = {
        "issuer": "example.org",
        "sender": "alice@example.org",
        "recipients": ["bob@example.net"],
        "policy": Policy("encrypt-only", ("view", "reply"), None),
        "key_id": "k1",
        "created": 1767225600,
    }
    kwargs.update(overrides)
    out = io.BytesIO()
    seal(io.BytesIO(message), out, content_key=key, message_id=message_id, **kwargs)
    return out.getvalue()


def payload_offset(envelope: bytes) -> int:
    header_len = int.from_bytes(envelope[12:16], "big")
    index_len = int.from_bytes(envelope[48 + header_len : 52 + header_len], "big")
    return 52 + header_len + index_len


def assert_damaged(envelope: bytes, key: bytes = KEY_A) -> None:
    with pytest.raises(DamagedEnvelope):
        open_envelope(io.BytesIO(envelope), key).verify_payload()


def released_before_failure(envelope: bytes, key: bytes = KEY_A) -> list[bytes]:
    """The chunks `iter_plaintext` yields before it raises (it must raise)."""
    released: list[bytes] = []
    with pytest.raises(DamagedEnvelope):
        for chunk in open_envelope(io.BytesIO(envelope), key).iter_plaintext():
            released.append(chunk)
    return released


@pytest.fixture(scope="module")
def three_chunks() -> tuple[bytes, bytes]:
    message = random.Random(1).randbytes(2 * CHUNK_SIZE + 5000)
    return message, seal_bytes(message)


def test_every_bit_before_the_payload_is_covered() -> None:
    envelope = seal_bytes(SMALL)
    end = payload_offset(envelope)
    assert end > 200
    for position in range(end * 8):
        flipped = bytearray(envelope)
        flipped[position // 8] ^= 1 << (position % 8)
        assert_damaged(bytes(flipped))


def test_sampled_payload_bits_never_release_the_damaged_chunk(three_chunks: tuple[bytes, bytes]) -> None:
    message, envelope = three_chunks
    start = payload_offset(envelope)
    rng = random.Random(2)
    edges = [start + i * STEP + d for i in range(3) for d in (0, 1, STEP - 17, STEP - 16, STEP - 1)]
    edges = [p for p in edges if p < len(envelope)] + [len(envelope) - 1]
    positions = [p * 8 + rng.randrange(8) for p in edges]
    positions += [rng.randrange(start * 8, len(envelope) * 8) for _ in range(150)]
    for position in positions:
        flipped = bytearray(envelope)
        flipped[position // 8] ^= 1 << (position % 8)
        damaged_chunk = (position // 8 - start) // STEP
        released = released_before_failure(bytes(flipped))
        assert len(released) == damaged_chunk
        assert b"".join(released) == message[: damaged_chunk * CHUNK_SIZE]


@pytest.mark.parametrize("cut", ["each-chunk-boundary", "inside-chunks", "before-payload"])
def test_truncation(three_chunks: tuple[bytes, bytes], cut: str) -> None:
    _, envelope = three_chunks
    start = payload_offset(envelope)
    if cut == "each-chunk-boundary":
        lengths = [start + i * STEP for i in range(3)]
    elif cut == "inside-chunks":
        lengths = [start + i * STEP + d for i in range(3) for d in (1, 16, 17, STEP - 1)]
        lengths = [n for n in lengths if n < len(envelope)]
    else:
        lengths = list(range(start))
    for length in lengths:
        assert_damaged(envelope[:length])


def test_streaming_truncation_releases_only_whole_authentic_chunks(three_chunks: tuple[bytes, bytes]) -> None:
    class OneWay(io.BytesIO):
        def seekable(self) -> bool:
            return False

    message, envelope = three_chunks
    start = payload_offset(envelope)
    for boundary in range(3):
        truncated = envelope[: start + boundary * STEP]
        opened = open_envelope(OneWay(truncated), KEY_A)
        released: list[bytes] = []
        with pytest.raises(DamagedEnvelope):
            for chunk in opened.iter_plaintext():
                released.append(chunk)
        assert b"".join(released) == message[: boundary * CHUNK_SIZE]


def test_swapped_duplicated_and_dropped_chunks() -> None:
    message = random.Random(3).randbytes(4 * CHUNK_SIZE)  # four full chunks of equal length
    envelope = seal_bytes(message)
    start = payload_offset(envelope)
    head, chunks = envelope[:start], [envelope[start + i * STEP : start + (i + 1) * STEP] for i in range(4)]
    for i in range(4):
        for j in range(4):
            if i == j:
                continue
            swapped = list(chunks)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            assert_damaged(head + b"".join(swapped))
            duplicated = list(chunks)
            duplicated[j] = chunks[i]
            assert_damaged(head + b"".join(duplicated))
    for i in range(4):
        assert_damaged(head + b"".join(chunks[:i] + chunks[i + 1 :]))
        assert_damaged(head + b"".join(chunks) + chunks[i])


def test_chunks_from_another_message_under_the_same_key_do_not_fit() -> None:
    """The payload key depends on the message id, so even a reused content key keeps messages apart."""
    message = b"x" * 100
    a = seal_bytes(message)
    b = seal_bytes(message, message_id=MID_B)
    assert_damaged(a[: payload_offset(a)] + b[payload_offset(b) :])


def test_header_fields_swapped_between_two_envelopes() -> None:
    a = seal_bytes(SMALL)
    b = seal_bytes(
        SMALL + b"!",
        key=KEY_B,
        message_id=MID_B,
        issuer="other.example",
        sender="mallory@other.example",
        recipients=["eve@other.example", "bob@example.net"],
        policy=Policy("do-not-forward", ("view",), 1800000000),
        key_id="k2",
        created=1767225601,
    )
    header_a = msgspec.msgpack.decode(a[16 : 16 + int.from_bytes(a[12:16], "big")], type=Header)
    header_b = msgspec.msgpack.decode(b[16 : 16 + int.from_bytes(b[12:16], "big")], type=Header)
    rest_a = a[16 + int.from_bytes(a[12:16], "big") :]  # header MAC, index, payload of A
    for name in header_a.__struct_fields__:
        if getattr(header_a, name) == getattr(header_b, name):
            continue
        mixed = msgspec.structs.replace(header_a, **{name: getattr(header_b, name)})
        mixed_bytes = encode_header(mixed)
        forged = a[:12] + len(mixed_bytes).to_bytes(4, "big") + mixed_bytes + rest_a
        assert_damaged(forged, KEY_A)
        assert_damaged(forged, KEY_B)
    # Whole sections spliced across envelopes.
    split_a, split_b = 48 + int.from_bytes(a[12:16], "big"), 48 + int.from_bytes(b[12:16], "big")
    assert_damaged(a[:split_a] + b[split_b:], KEY_A)
    assert_damaged(a[:split_a] + b[split_b:], KEY_B)
    assert_damaged(b[:split_b] + a[split_a:], KEY_A)
    assert_damaged(b[:split_b] + a[split_a:], KEY_B)
