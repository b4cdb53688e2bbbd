"""The message index: a summary of the top-level header and one `Part` per MIME leaf (spec section 3)."""

from __future__ import annotations

import msgspec

from mailseal.errors import DamagedEnvelope, TooLarge

MAX_INDEX_LEN = 4 * 1024 * 1024
MAX_PARTS = 1000
SUMMARY_FIELD_CHARS = 8192
CONTENT_TYPE_CHARS = 127
CHARSET_CHARS = 64
FILENAME_CHARS = 255
DISPOSITION_CHARS = 32
CONTENT_ID_CHARS = 255
TRANSFER_ENCODING_CHARS = 32


class Part(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    """One MIME leaf: what it is, and where its (still transfer-encoded) body lies in the message."""

    number: int
    content_type: str
    charset: str
    filename: str
    disposition: str
    content_id: str
    transfer_encoding: str
    start: int
    end: int
    depth: int


class MessageIndex(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    """What a viewer needs to list a message and fetch one part without decrypting the rest."""

    subject: str = ""
    from_: str = ""
    to: str = ""
    cc: str = ""
    date: str = ""
    message_id_header: str = ""
    in_reply_to: str = ""
    references: str = ""
    parts: tuple[Part, ...] = ()


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(MessageIndex)


def encode_index(index: MessageIndex) -> bytes:
    data = _encoder.encode(index)
    if len(data) + 16 > MAX_INDEX_LEN:
        raise TooLarge("the message index is larger than 4 MiB")
    return data


def decode_index(data: bytes, payload_size: int) -> MessageIndex:
    """Decode an authenticated index strictly; raises `DamagedEnvelope` if the sealer broke a rule."""
    try:
        index = _decoder.decode(data)
    except (msgspec.MsgspecError, ValueError):  # ValueError: invalid UTF-8
        raise DamagedEnvelope() from None
    if _encoder.encode(index) != data or not 1 <= len(index.parts) <= MAX_PARTS:
        raise DamagedEnvelope()
    previous_end = 0
    for number, part in enumerate(index.parts, start=1):
        if part.number != number or not previous_end <= part.start <= part.end <= payload_size:
            raise DamagedEnvelope()
        if part.depth < 0:
            raise DamagedEnvelope()
        previous_end = part.end
    return index
