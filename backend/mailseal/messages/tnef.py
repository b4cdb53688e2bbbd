"""Outlook's TNEF (`winmail.dat`, `application/ms-tnef`): the body and the files inside it.

Outlook sends TNEF when it keeps its rich format; other mail clients show a useless `winmail.dat`.
We read it with `tnefparse` (pure Python, the TNEF reader other projects use, with its own corpus of
Outlook samples), with `compressed-rtf` to unpack the RTF body and `striprtf` to read it as text.
A TNEF that does not parse is simply offered as the file it is.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import tnefparse
from striprtf.striprtf import rtf_to_text

from mailseal.messages.charsets import decode_text

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
MAX_FILES = 200
logging.getLogger("tnefparse").setLevel(logging.ERROR)


class TnefFile(NamedTuple):
    name: str
    data: bytes


class TnefContent(NamedTuple):
    html: str | None
    text: str | None
    files: tuple[TnefFile, ...]


def is_tnef(content_type: str, filename: str) -> bool:
    return content_type.lower() in TNEF_TYPES or filename.lower() == "winmail.dat"


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = decode_text(value.rstrip(b"\x00")).text
    if isinstance(value, str) and value.strip("\x00 \r\n\t"):
        return value.rstrip("\x00")
    return None


def read_tnef(data: bytes) -> TnefContent | None:
    """The body (HTML, else plain text, else the RTF read as text) and the attached files; None when
    `data` is not TNEF or does not parse."""
    if not data.startswith(TNEF_SIGNATURE):
        return None
    try:
        parsed = tnefparse.TNEF(data, do_checksum=False)
        html = _text(parsed.htmlbody)
        text = None if html else _text(parsed.body)
        if html is None and text is None and parsed.rtfbody:
            rtf = parsed.rtfbody
            text = _text(rtf_to_text(rtf.decode("latin-1") if isinstance(rtf, bytes) else str(rtf)))  # type: ignore[no-untyped-call]
        files = []
        for number, attachment in enumerate(parsed.attachments[:MAX_FILES], start=1):
            name = attachment.long_filename() or attachment.name or f"attachment-{number}"
            files.append(TnefFile(str(name).strip("\x00 "), bytes(attachment.data or b"")))
    except Exception:  # a hostile or truncated TNEF is offered as it is
        return None
    return TnefContent(html=html, text=text, files=tuple(files))
