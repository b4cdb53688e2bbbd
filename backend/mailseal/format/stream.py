"""The STREAM payload: 64 KiB chunks, each sealed with its position and final flag (spec section 5)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from mailseal.errors import DamagedEnvelope, InputError
from mailseal.format.primitives import TAG_SIZE, Aead

CHUNK_SIZE = 64 * 1024
COUNTER_SIZE = 11
LAST_CHUNK = b"\x01"
NOT_LAST_CHUNK = b"\x00"


def chunk_count(payload_size: int) -> int:
    """n = max(1, ceil(S / C)): an empty payload is one empty final chunk."""
    return max(1, -(-payload_size // CHUNK_SIZE))


def chunk_nonce(counter: int, last: bool) -> bytes:
    """u88be(counter) || final flag."""
    return counter.to_bytes(COUNTER_SIZE, "big") + (LAST_CHUNK if last else NOT_LAST_CHUNK)


def chunk_plaintext_size(counter: int, payload_size: int) -> int:
    return min(CHUNK_SIZE, payload_size - counter * CHUNK_SIZE)


def chunk_offset(counter: int) -> int:
    """Where chunk `counter` starts, counted from the start of the payload."""
    return counter * (CHUNK_SIZE + TAG_SIZE)


def payload_ciphertext_size(payload_size: int) -> int:
    return payload_size + TAG_SIZE * chunk_count(payload_size)


def read_exactly(src: BinaryIO, size: int) -> bytes:
    """Read `size` bytes or fail: a short envelope is a damaged one."""
    data = src.read(size)
    while len(data) < size:
        more = src.read(size - len(data))
        if not more:
            raise DamagedEnvelope()
        data += more
    return data


def seal_chunks(aead: Aead, source: BinaryIO, payload_size: int) -> Iterator[bytes]:
    """Encrypt exactly `payload_size` bytes of `source`, one chunk at a time."""
    n = chunk_count(payload_size)
    for counter in range(n):
        want = chunk_plaintext_size(counter, payload_size)
        plaintext = source.read(want)
        while len(plaintext) < want:
            more = source.read(want - len(plaintext))
            if not more:
                raise InputError("the message changed while it was being sealed")
            plaintext += more
        yield aead.seal(chunk_nonce(counter, counter == n - 1), plaintext)
    if source.read(1):
        raise InputError("the message changed while it was being sealed")


def open_chunk(aead: Aead, counter: int, payload_size: int, ciphertext: bytes) -> bytes:
    """Authenticate and decrypt chunk `counter`; raises `DamagedEnvelope`."""
    last = counter == chunk_count(payload_size) - 1
    return aead.open(chunk_nonce(counter, last), ciphertext)
