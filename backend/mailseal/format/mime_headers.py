"""What the index needs from one MIME header block, read with the stdlib `email` package.

`email` is lenient but can still raise on hostile input; every lookup here falls back to a plain
value instead, so a header block can never stop the scan.
"""

from __future__ import annotations

import email.policy
import re
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from typing import NamedTuple

from mailseal.format import index as idx

HEADER_LINE = re.compile(rb"From |[\x21-\x39\x3b-\x7e]*:|[\t ]")
_FOLD = re.compile(r"\r\n|\r|\n")
IDENTITY_ENCODINGS = frozenset({"7bit", "8bit", "binary"})


class EntityHeaders(NamedTuple):
    content_type: str
    boundary: bytes | None
    charset: str
    filename: str
    disposition: str
    content_id: str
    transfer_encoding: str


def parse_block(block: bytes) -> Message:
    """Parse a header block; an empty message if even that fails."""
    try:
        message = BytesHeaderParser(policy=email.policy.default).parsebytes(block)
    except Exception:
        return EmailMessage(policy=email.policy.default)
    return message


def clean(value: str, limit: int) -> str:
    """Valid UTF-8 text on one line, at most `limit` characters."""
    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return _FOLD.sub("", text).strip()[:limit]


def field(message: Message, name: str, limit: int, *, decoded: bool = True) -> str:
    """A field's value, unfolded and (unless `decoded` is False) RFC 2047 decoded; "" when absent."""
    raw = _raw(message, name)
    if raw is None:
        return ""
    if decoded:
        try:
            value = message.get(name)
            return clean(str(value) if value is not None else "", limit)
        except Exception:  # fall back to decoding the raw text ourselves
            return _decode_words(raw, limit)
    return clean(raw, limit)


def _decode_words(raw: str, limit: int) -> str:
    """RFC 2047 decoding with the older, simpler decoder; the raw text if even that fails."""
    try:
        return clean(str(make_header(decode_header(_FOLD.sub("", raw)))), limit)
    except Exception:
        return clean(raw, limit)


def _raw(message: Message, name: str) -> str | None:
    try:
        for key, value in message.raw_items():
            if key.lower() == name:
                return str(value)
    except Exception:
        return None
    return None


def entity_headers(message: Message, default_type: str) -> EntityHeaders:
    """The MIME facts of one entity, each of them safe to compute on any input."""
    content_type = "text/plain"
    try:
        message.set_default_type(default_type)
        content_type = message.get_content_type()
    except Exception:
        content_type = default_type
    boundary: bytes | None = None
    if content_type.startswith("multipart/"):
        boundary = _boundary(message)
    charset = ""
    try:
        charset = message.get_content_charset("") or ""
    except Exception:
        charset = ""
    filename = ""
    try:
        filename = message.get_filename("") or ""
    except Exception:
        filename = ""
    disposition = ""
    try:
        disposition = message.get_content_disposition() or ""
    except Exception:
        disposition = ""
    encoding = field(message, "content-transfer-encoding", idx.TRANSFER_ENCODING_CHARS).lower()
    return EntityHeaders(
        content_type=clean(content_type, idx.CONTENT_TYPE_CHARS),
        boundary=boundary,
        charset=clean(str(charset), idx.CHARSET_CHARS),
        filename=clean(str(filename), idx.FILENAME_CHARS),
        disposition=disposition if disposition in ("inline", "attachment") else "",
        content_id=field(message, "content-id", idx.CONTENT_ID_CHARS),
        transfer_encoding=encoding or "7bit",
    )


def _boundary(message: Message) -> bytes | None:
    try:
        boundary = message.get_boundary()
    except Exception:
        return None
    if not boundary:
        return None
    try:
        raw = boundary.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        raw = boundary.encode("utf-8", "surrogateescape")
    return raw if 1 <= len(raw) <= 200 else None


def summary(message: Message) -> dict[str, str]:
    """The top-level fields the index keeps, by their index field name."""
    limit = idx.SUMMARY_FIELD_CHARS
    return {
        "subject": field(message, "subject", limit),
        "from_": field(message, "from", limit),
        "to": field(message, "to", limit),
        "cc": field(message, "cc", limit),
        "date": field(message, "date", limit, decoded=False),
        "message_id_header": field(message, "message-id", limit),
        "in_reply_to": field(message, "in-reply-to", limit),
        "references": field(message, "references", limit),
    }
