"""Inbox cursors: where the next page of a listing starts, signed so that only this server's cursors count.

A cursor is the position of a page's last row (its time, then its arrival within that second), with a
version byte and an HMAC under a key derived from the server secret. It names a place in the listing, not
a row: messages that arrive later sit above every cursor, so the pages after it stay as they were.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from typing import Final

from mailseal.errors import BadInboxCursor
from mailseal.storage import InboxPosition

LABEL_INBOX_CURSOR: Final = b"mailseal.org/messages/v1/inbox-cursor"
VERSION: Final = 1
_BODY: Final = struct.Struct(">Bqq")
_MAC_BYTES: Final = 16
_ALPHABET: Final = re.compile(r"[A-Za-z0-9_-]+")


class InboxCursors:
    """Makes and checks the cursors of inbox pages; every cursor that fails looks the same."""

    __slots__ = ("_key",)

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, LABEL_INBOX_CURSOR, hashlib.sha256).digest()

    def __repr__(self) -> str:
        return "InboxCursors(<key hidden>)"

    def make(self, position: InboxPosition) -> str:
        body = _BODY.pack(VERSION, position.added_at, position.arrival)
        return base64.urlsafe_b64encode(body + self._mac(body)).rstrip(b"=").decode("ascii")

    def read(self, cursor: str) -> InboxPosition:
        """The position a cursor names; `BadInboxCursor` for anything this server did not make."""
        if len(cursor) > 64 or not _ALPHABET.fullmatch(cursor):  # b64decode alone would skip other characters
            raise BadInboxCursor()
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError) as error:
            raise BadInboxCursor() from error
        body, mac = raw[: _BODY.size], raw[_BODY.size :]
        if len(raw) != _BODY.size + _MAC_BYTES or not hmac.compare_digest(mac, self._mac(body)):
            raise BadInboxCursor()
        version, added_at, arrival = _BODY.unpack(body)
        if version != VERSION:
            raise BadInboxCursor()
        return InboxPosition(added_at=added_at, arrival=arrival)

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:_MAC_BYTES]
