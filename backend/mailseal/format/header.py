"""The envelope header: its grammar, bounds and canonical msgpack encoding (spec section 3)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from mailseal.errors import DamagedEnvelope, InputError, TooLarge
from mailseal.format.ids import message_id_text
from mailseal.format.stream import CHUNK_SIZE

MAGIC = b"mailseal/v1\n"
FORMAT_VERSION = 1
MAX_HEADER_LEN = 64 * 1024
MAX_RECIPIENTS = 500
MAX_RIGHTS = 32
MAX_PAYLOAD_SIZE = 2**40
MAX_TIMESTAMP = 2**63 - 1

MessageId = Annotated[bytes, msgspec.Meta(min_length=16, max_length=16)]
Address = Annotated[str, msgspec.Meta(min_length=1, max_length=254)]
Issuer = Annotated[str, msgspec.Meta(min_length=1, max_length=253)]
Template = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Right = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
KeyId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Timestamp = Annotated[int, msgspec.Meta(ge=0, le=MAX_TIMESTAMP)]
Version = Annotated[int, msgspec.Meta(ge=0)]
PayloadSize = Annotated[int, msgspec.Meta(ge=0, le=MAX_PAYLOAD_SIZE)]
ChunkSize = Annotated[int, msgspec.Meta(ge=1)]


class Policy(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    """What the key service enforces: the template it came from, the rights, the expiry (or None)."""

    template: Template
    rights: Annotated[tuple[Right, ...], msgspec.Meta(max_length=MAX_RIGHTS)]
    expires_at: Timestamp | None


class Header(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    """The authenticated, unencrypted description of a sealed message."""

    version: Version
    message_id: MessageId
    issuer: Issuer
    sender: Address
    recipients: Annotated[tuple[Address, ...], msgspec.Meta(min_length=1, max_length=MAX_RECIPIENTS)]
    created: Timestamp
    policy: Policy
    key_id: KeyId
    payload_size: PayloadSize
    chunk_size: ChunkSize

    @property
    def id(self) -> str:
        """The message id in its text form."""
        return message_id_text(self.message_id)


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Header)


class _Invalid(Exception):
    """Internal: why a header was refused (never shown for a received envelope)."""


def _decode_strict(data: bytes) -> Header:
    try:
        header = _decoder.decode(data)
    except (msgspec.MsgspecError, ValueError) as exc:  # ValueError: invalid UTF-8
        raise _Invalid(str(exc)) from None
    if header.version != FORMAT_VERSION:
        raise _Invalid("unknown version")
    if header.chunk_size != CHUNK_SIZE:
        raise _Invalid("chunk size must be 65536")
    if _encoder.encode(header) != data:
        raise _Invalid("not canonical")
    return header


def encode_header(header: Header) -> bytes:
    """The canonical bytes of a header the sealer built; raises `InputError` if it breaks a bound."""
    data = _encoder.encode(header)
    if len(data) > MAX_HEADER_LEN:
        raise TooLarge("the header is larger than 64 KiB (too many or too long recipients)")
    try:
        _decode_strict(data)
    except _Invalid as exc:
        raise InputError(f"the header is not valid: {exc}") from None
    return data


def decode_header(data: bytes) -> Header:
    """Decode received header bytes strictly and canonically; raises `DamagedEnvelope`."""
    if not 1 <= len(data) <= MAX_HEADER_LEN:
        raise DamagedEnvelope()
    try:
        return _decode_strict(data)
    except _Invalid:
        raise DamagedEnvelope() from None
