"""Decode a MIME leaf's body (base64, quoted-printable, 7bit/8bit/binary) as a stream of bytes.

Works on the chunks of an envelope's random-access reader, so a 100 MiB attachment is decoded with
memory bounded by a chunk and a line.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from collections.abc import Iterable, Iterator

_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
MAX_LINE = 1024 * 1024


def decode_stream(encoded: Iterable[bytes], transfer_encoding: str) -> Iterator[bytes]:
    encoding = (transfer_encoding or "").strip().lower()
    if encoding == "base64":
        return _base64(encoded)
    if encoding == "quoted-printable":
        return _quoted_printable(encoded)
    return iter(encoded)


def _base64(encoded: Iterable[bytes]) -> Iterator[bytes]:
    """Lenient like mail clients: ignore characters outside the alphabet, stop at padding."""
    pending = b""
    for chunk in encoded:
        head, sep, _ = chunk.partition(b"=")
        pending += _NOT_BASE64.sub(b"", head)
        usable = len(pending) - len(pending) % 4
        if usable:
            yield base64.b64decode(pending[:usable])
            pending = pending[usable:]
        if sep:
            break
    if pending:
        pending += b"=" * (-len(pending) % 4)
        try:
            yield base64.b64decode(pending)
        except binascii.Error:
            return


def _quoted_printable(encoded: Iterable[bytes]) -> Iterator[bytes]:
    pending = b""
    for chunk in encoded:
        pending += chunk
        cut = pending.rfind(b"\n")
        if cut < 0 and len(pending) < MAX_LINE:
            continue
        if cut < 0:
            cut = len(pending) - 3
        yield quopri.decodestring(pending[: cut + 1])
        pending = pending[cut + 1 :]
    if pending:
        yield quopri.decodestring(pending)


def decode_all(encoded: Iterable[bytes], transfer_encoding: str, *, limit: int) -> bytes:
    """The whole decoded body, refusing more than `limit` bytes (for bodies shown on screen)."""
    out = bytearray()
    for piece in decode_stream(encoded, transfer_encoding):
        out += piece
        if len(out) > limit:
            raise ValueError("body too large to display")
    return bytes(out)
