"""Sealing and opening envelopes: header, header MAC, index, payload (spec sections 3 to 6).

Verify, then decrypt: the header MAC is checked before the index or any chunk is decrypted, each
chunk is checked before any of its plaintext is released, and every failure is `DamagedEnvelope`.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from mailseal.errors import DamagedEnvelope, InputError, TooLarge
from mailseal.format import stream
from mailseal.format.header import MAGIC, MAX_HEADER_LEN, MAX_PAYLOAD_SIZE, Header, Policy
from mailseal.format.header import decode_header as _decode_header
from mailseal.format.header import encode_header as _encode_header
from mailseal.format.ids import CONTENT_KEY_SIZE, MESSAGE_ID_SIZE
from mailseal.format.index import MAX_INDEX_LEN, MessageIndex, decode_index, encode_index
from mailseal.format.labels import HEADER_LABEL, INDEX_LABEL, PAYLOAD_LABEL, derive_key
from mailseal.format.mime_scan import scan_message
from mailseal.format.primitives import MAC_SIZE, NONCE_SIZE, TAG_SIZE, Aead, hmac_sha256, hmac_sha256_verify
from mailseal.format.stream import CHUNK_SIZE, read_exactly

INDEX_NONCE = b"\x00" * NONCE_SIZE
_LENGTH_SIZE = 4


def _u32(value: int) -> bytes:
    return value.to_bytes(_LENGTH_SIZE, "big")


def seal(
    source: BinaryIO,
    out: BinaryIO,
    *,
    content_key: bytes,
    message_id: bytes,
    issuer: str,
    sender: str,
    recipients: Sequence[str],
    policy: Policy,
    key_id: str,
    created: int,
) -> Header:
    """Seal the message read from `source` (seekable, from its current position) into `out`.

    Pass 1 scans the message for its index and size; pass 2 encrypts it chunk by chunk.
    """
    if len(content_key) != CONTENT_KEY_SIZE or len(message_id) != MESSAGE_ID_SIZE:
        raise InputError("a content key is 32 bytes and a message id 16 bytes")
    start = source.tell()
    index, payload_size = scan_message(source)
    if payload_size > MAX_PAYLOAD_SIZE:
        raise TooLarge("the message is too large")
    header = Header(
        version=1,
        message_id=message_id,
        issuer=issuer,
        sender=sender,
        recipients=tuple(recipients),
        created=created,
        policy=policy,
        key_id=key_id,
        payload_size=payload_size,
        chunk_size=CHUNK_SIZE,
    )
    header_bytes = _encode_header(header)
    index_plaintext = encode_index(index)
    signed = MAGIC + _u32(len(header_bytes)) + header_bytes
    header_mac = hmac_sha256(derive_key(content_key, message_id, HEADER_LABEL), signed)
    index_ciphertext = Aead(derive_key(content_key, message_id, INDEX_LABEL)).seal(
        INDEX_NONCE, index_plaintext, header_mac
    )
    out.write(signed)
    out.write(header_mac)
    out.write(_u32(len(index_ciphertext)))
    out.write(index_ciphertext)
    source.seek(start)
    payload = Aead(derive_key(content_key, message_id, PAYLOAD_LABEL))
    for chunk in stream.seal_chunks(payload, source, payload_size):
        out.write(chunk)
    return header


def _read_signed_header(src: BinaryIO) -> tuple[bytes, Header, bytes]:
    """magic || header-len || header, the decoded header, and the header MAC."""
    magic = read_exactly(src, len(MAGIC))
    if magic != MAGIC:
        raise DamagedEnvelope()
    length_bytes = read_exactly(src, _LENGTH_SIZE)
    length = int.from_bytes(length_bytes, "big")
    if not 1 <= length <= MAX_HEADER_LEN:
        raise DamagedEnvelope()
    header_bytes = read_exactly(src, length)
    header = _decode_header(header_bytes)
    header_mac = read_exactly(src, MAC_SIZE)
    return magic + length_bytes + header_bytes, header, header_mac


def read_header(src: BinaryIO) -> Header:
    """Parse the header without a key, only to find the key (`key_id`, `message_id`); nothing in it
    is authenticated yet. Raises `DamagedEnvelope` on anything malformed."""
    _, header, _ = _read_signed_header(src)
    return header


def header_mac_of(src: BinaryIO) -> bytes:
    """The header MAC as written in the envelope, unverified. It does not bind the header: anyone can
    change the header and keep the MAC. To recognise an envelope without its key, compare
    `header_fingerprint`. Raises `DamagedEnvelope`."""
    _, _, header_mac = _read_signed_header(src)
    return header_mac


def header_fingerprint(src: BinaryIO) -> bytes:
    """SHA-256 of magic || header-len || header || header MAC: recorded at sealing, it recognises the
    very same header later without the content key. Raises `DamagedEnvelope`."""
    signed, _, header_mac = _read_signed_header(src)
    return hashlib.sha256(signed + header_mac).digest()


def open_envelope(src: BinaryIO, content_key: bytes) -> OpenedEnvelope:
    """Verify the header MAC, then decrypt the index. `src` is at the start of the envelope; if it is
    seekable, the envelope's length is checked here, before any plaintext is released."""
    if len(content_key) != CONTENT_KEY_SIZE:
        raise DamagedEnvelope()
    base = src.tell() if src.seekable() else 0
    signed, header, header_mac = _read_signed_header(src)
    hmac_sha256_verify(derive_key(content_key, header.message_id, HEADER_LABEL), signed, header_mac)
    index_len = int.from_bytes(read_exactly(src, _LENGTH_SIZE), "big")
    if not TAG_SIZE <= index_len <= MAX_INDEX_LEN:
        raise DamagedEnvelope()
    index_ciphertext = read_exactly(src, index_len)
    index_aead = Aead(derive_key(content_key, header.message_id, INDEX_LABEL))
    index = decode_index(index_aead.open(INDEX_NONCE, index_ciphertext, header_mac), header.payload_size)
    payload_offset = len(signed) + MAC_SIZE + _LENGTH_SIZE + index_len
    envelope = OpenedEnvelope(
        src=src,
        base=base,
        header=header,
        index=index,
        payload=Aead(derive_key(content_key, header.message_id, PAYLOAD_LABEL)),
        payload_offset=payload_offset,
    )
    if src.seekable():
        src.seek(0, io.SEEK_END)
        if src.tell() - base != payload_offset + stream.payload_ciphertext_size(header.payload_size):
            raise DamagedEnvelope()
        src.seek(base + payload_offset)
    return envelope


class OpenedEnvelope:
    """An envelope whose header MAC and index were verified; its payload is decrypted on demand."""

    def __init__(
        self,
        *,
        src: BinaryIO,
        base: int,
        header: Header,
        index: MessageIndex,
        payload: Aead,
        payload_offset: int,
    ) -> None:
        self.header = header
        self.index = index
        self._src = src
        self._base = base
        self._payload = payload
        self._payload_offset = payload_offset
        self._streamed = False

    def iter_plaintext(self) -> Iterator[bytes]:
        """The whole message, chunk by chunk; each chunk is verified before it is yielded, and the end
        of the envelope is checked before the final chunk is."""
        seekable = self._src.seekable()
        if not seekable and self._streamed:
            raise io.UnsupportedOperation("a non-seekable envelope can be read only once")
        self._streamed = True
        return self._chunks(seekable)

    def _chunks(self, seekable: bool) -> Iterator[bytes]:
        size = self.header.payload_size
        n = stream.chunk_count(size)
        for counter in range(n):
            if seekable:
                self._src.seek(self._base + self._payload_offset + stream.chunk_offset(counter))
            ciphertext = read_exactly(self._src, stream.chunk_plaintext_size(counter, size) + TAG_SIZE)
            if counter == n - 1 and self._src.read(1):
                raise DamagedEnvelope()
            yield stream.open_chunk(self._payload, counter, size, ciphertext)

    def read_range(self, start: int, end: int) -> Iterator[bytes]:
        """Bytes [start, end) of the message, decrypting only the chunks that cover them. Needs a
        seekable envelope."""
        if not 0 <= start <= end <= self.header.payload_size:
            raise InputError("the range is outside the message")
        if not self._src.seekable():
            raise io.UnsupportedOperation("random access needs a seekable envelope")
        return self._range(start, end)

    def _range(self, start: int, end: int) -> Iterator[bytes]:
        if start == end:
            return
        size = self.header.payload_size
        for counter in range(start // CHUNK_SIZE, (end - 1) // CHUNK_SIZE + 1):
            self._src.seek(self._base + self._payload_offset + stream.chunk_offset(counter))
            ciphertext = read_exactly(self._src, stream.chunk_plaintext_size(counter, size) + TAG_SIZE)
            plaintext = stream.open_chunk(self._payload, counter, size, ciphertext)
            first = counter * CHUNK_SIZE
            yield plaintext[max(start - first, 0) : min(end - first, len(plaintext))]

    def verify_payload(self) -> None:
        """Read and authenticate every chunk without keeping any; raises `DamagedEnvelope`."""
        for _ in self.iter_plaintext():
            pass
