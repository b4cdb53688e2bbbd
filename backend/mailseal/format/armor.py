"""Armor: the envelope as base64 inside `message.html`, and back (spec section 7). Streamed."""

from __future__ import annotations

import binascii
import html
import re
from typing import BinaryIO, Literal

from mailseal.errors import DamagedEnvelope, InputError, NoEnvelope
from mailseal.format.armor_page import (
    ARMOR_MARK,
    PAGE_END_OF_HEAD,
    PAGE_HEAD,
    PAGE_START,
    PAGE_STYLE,
    PAGE_TAIL,
    SUBJECT_LINE,
)
from mailseal.format.header import MAGIC

BEGIN = b"-----BEGIN MAILSEAL MESSAGE-----"
END = b"-----END MAILSEAL MESSAGE-----"
LINE_CHARS = 76
SNIFF_SIZE = 1024
_LINE_BYTES = LINE_CHARS // 4 * 3  # 57 bytes of envelope per line of base64
_READ_LINES = 1024
_BLOCK_SIZE = 64 * 1024
_WHITESPACE = re.compile(rb"[ \t\r\n]+")


def _escape(value: str) -> str:
    return html.escape(value, quote=True)


def english_head(*, view_url: str, org_name: str, sender: str, subject_hint: str | None = None) -> str:
    if not view_url.startswith(("https://", "http://")):
        raise InputError("the view link must be an http(s) URL")
    subject_line = SUBJECT_LINE.format(subject=_escape(subject_hint)) if subject_hint else ""
    return PAGE_HEAD.format(
        style=PAGE_STYLE,
        sender=_escape(sender),
        org_name=_escape(org_name),
        view_url=_escape(view_url),
        subject_line=subject_line,
    )


def armor(
    envelope: BinaryIO,
    out: BinaryIO,
    *,
    view_url: str = "",
    org_name: str = "",
    sender: str = "",
    subject_hint: str | None = None,
    head: str | None = None,
) -> None:
    """Write `message.html` carrying the envelope read from `envelope`: the English page around it, or
    `head`, a page written elsewhere in other words (it must start as every armored page does)."""
    if head is None:
        head = english_head(view_url=view_url, org_name=org_name, sender=sender, subject_hint=subject_hint)
    elif not head.startswith(PAGE_START) or not head.endswith(PAGE_END_OF_HEAD) or BEGIN.decode() in head:
        raise InputError("a message.html page must start and end its head as the armor does")
    out.write(head.encode("utf-8"))
    out.write(BEGIN + b"\n")
    block_size = _LINE_BYTES * _READ_LINES
    pending = b""
    while True:
        data = envelope.read(block_size - len(pending))
        if data:
            pending += data
            if len(pending) < block_size:
                continue
        if pending:
            encoded = binascii.b2a_base64(pending, newline=False)
            for i in range(0, len(encoded), LINE_CHARS):
                out.write(encoded[i : i + LINE_CHARS] + b"\n")
            pending = b""
        if not data:
            break
    out.write(END + b"\n")
    out.write(PAGE_TAIL.encode("utf-8"))


def sniff(prefix: bytes) -> Literal["binary", "armored"] | None:
    """What a file is, from its first bytes: 64 recognise our own pages, 1024 also find a BEGIN line."""
    if prefix.startswith(MAGIC):
        return "binary"
    head = prefix[:SNIFF_SIZE]
    if ARMOR_MARK in head or BEGIN in head:
        return "armored"
    return None


def dearmor(src: BinaryIO, out: BinaryIO) -> None:
    """Write the envelope found in an armored page (or a binary envelope, copied as is) to `out`.

    Raises `NoEnvelope` if there is none and `DamagedEnvelope` if the armor is broken.
    """
    first = src.read(len(MAGIC))
    if first == MAGIC:
        out.write(first)
        while data := src.read(_BLOCK_SIZE):
            out.write(data)
        return
    rest = _skip_past_begin(src, first)
    _decode_until_end(src, rest, out)


def _skip_past_begin(src: BinaryIO, data: bytes) -> bytes:
    """Consume input up to the end of the BEGIN line; return what was read after it."""
    window = data
    while True:
        at = window.find(BEGIN)
        if at >= 0:
            return window[at + len(BEGIN) :]
        window = window[-(len(BEGIN) - 1) :]
        more = src.read(_BLOCK_SIZE)
        if not more:
            raise NoEnvelope()
        window += more


def _decode_until_end(src: BinaryIO, data: bytes, out: BinaryIO) -> None:
    decoder = _Base64Stream(out)
    window = data
    while True:
        at = window.find(b"-")
        if at >= 0:  # base64 never contains "-": this must be the END line
            decoder.feed(window[:at])
            tail = window[at:]
            while len(tail) < len(END):
                more = src.read(_BLOCK_SIZE)
                if not more:
                    break
                tail += more
            if not tail.startswith(END):
                raise DamagedEnvelope()
            decoder.finish()
            return
        decoder.feed(window)
        window = src.read(_BLOCK_SIZE)
        if not window:
            raise DamagedEnvelope()


class _Base64Stream:
    """Strict base64 decoding of text that arrives in pieces, ignoring whitespace."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._pending = b""
        self._checked = b""  # the first decoded bytes, until there are enough to check the magic
        self._done = False  # padding seen: only whitespace may follow

    def feed(self, text: bytes) -> None:
        text = _WHITESPACE.sub(b"", text)
        if not text:
            return
        if self._done:
            raise DamagedEnvelope()
        text = self._pending + text
        usable = len(text) - len(text) % 4
        self._pending = text[usable:]
        self._decode(text[:usable])

    def _decode(self, text: bytes) -> None:
        if not text:
            return
        padded = text.find(b"=")
        if padded >= 0:
            if padded < len(text) - 2 or len(text) % 4:
                raise DamagedEnvelope()
            self._done = True
        try:
            data = binascii.a2b_base64(text, strict_mode=True)
        except binascii.Error:
            raise DamagedEnvelope() from None
        if len(self._checked) < len(MAGIC):
            self._checked += data[: len(MAGIC) - len(self._checked)]
            if not MAGIC.startswith(self._checked):
                raise DamagedEnvelope()
        self._out.write(data)

    def finish(self) -> None:
        if self._pending:
            raise DamagedEnvelope()
        if self._checked != MAGIC:
            raise DamagedEnvelope()
