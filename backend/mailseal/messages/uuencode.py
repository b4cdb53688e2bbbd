"""Uuencoded files inside a text part (`begin 644 name` … `end`), as old clients and some scripts send.

Thunderbird and Outlook show such a block as an attachment; so do we: the text keeps the lines around
it, and each block is decoded and offered under its name.
"""

from __future__ import annotations

import binascii
import re
from typing import NamedTuple

MAX_BLOCKS = 100
_BEGIN = re.compile(r"^begin [0-7]{3,4} ([^\r\n]{1,255})\r?$", re.MULTILINE)
_END = re.compile(r"^end[ \t]*\r?$", re.MULTILINE)
_UU_LINE = re.compile(r"[\x20-\x60]{1,100}")


class UuFile(NamedTuple):
    name: str
    data: bytes
    start: int  # where the block starts and ends in the text
    end: int


def _line(line: str) -> bytes:
    raw = line.encode("ascii")
    try:
        return binascii.a2b_uu(raw)
    except binascii.Error:
        # Some encoders pad lines wrongly; decode the length the line says it holds (as `email` does).
        length = (((raw[0] - 32) & 63) * 4 + 5) // 3
        return binascii.a2b_uu(raw[:length])


def find_uuencoded(text: str) -> list[UuFile]:
    """Every well-formed block in `text`, in order: a `begin` line, uuencoded lines, an `end` line."""
    found: list[UuFile] = []
    position = 0
    while len(found) < MAX_BLOCKS and (begin := _BEGIN.search(text, position)) is not None:
        end = _END.search(text, begin.end())
        if end is None:
            break
        lines = text[begin.end() : end.start()].strip("\r\n").splitlines()
        position = begin.end()
        if not lines or not all(_UU_LINE.fullmatch(line.rstrip("\r")) for line in lines):
            continue
        try:
            data = b"".join(_line(line.rstrip("\r")) for line in lines)
        except (binascii.Error, IndexError):
            continue
        found.append(UuFile(begin.group(1).strip(), data, begin.start(), end.end()))
        position = end.end()
    return found


def without_blocks(text: str, files: list[UuFile]) -> str:
    """The text with each block replaced by a line that names the file (offered among the attachments)."""
    kept, position = [], 0
    for file in files:
        kept += [text[position : file.start], f"[{file.name}: attached]"]
        position = file.end
    kept.append(text[position:])
    return "".join(kept)
