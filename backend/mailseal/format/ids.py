"""Message ids and content keys: their text form, and the public edge that draws them."""

from __future__ import annotations

import base64
import binascii
import os
import re

from mailseal.errors import InputError

MESSAGE_ID_SIZE = 16
CONTENT_KEY_SIZE = 32
MESSAGE_ID_TEXT_LENGTH = 26

_TEXT = re.compile(r"[a-z2-7]{26}")


def message_id_text(message_id: bytes) -> str:
    """Lowercase RFC 4648 base32 without padding: 26 characters."""
    if len(message_id) != MESSAGE_ID_SIZE:
        raise InputError("a message id is 16 bytes")
    return base64.b32encode(message_id).decode("ascii").rstrip("=").lower()


def parse_message_id(text: str) -> bytes:
    """The inverse of `message_id_text`; only the canonical text is accepted."""
    if not _TEXT.fullmatch(text):
        raise InputError("not a message id")
    try:
        raw = base64.b32decode(text.upper() + "======")
    except binascii.Error:
        raise InputError("not a message id") from None
    if message_id_text(raw) != text:  # the 2 spare bits of the last character must be zero
        raise InputError("not a message id")
    return raw


def new_message_id() -> bytes:
    """16 random bytes from the OS CSPRNG."""
    return os.urandom(MESSAGE_ID_SIZE)


def new_content_key() -> bytes:
    """32 random bytes from the OS CSPRNG; never stored in an envelope."""
    return os.urandom(CONTENT_KEY_SIZE)
