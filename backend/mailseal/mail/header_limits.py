"""Bounds on the header section of a mail that arrives over SMTP, checked before any flow parses it.

A scan of the raw bytes (no parser): how many fields, how long each is with its continuation lines,
how large the whole section is, and how many `Received` fields it has (a mail that went round a loop
collects them; RFC 5321 section 6.3 asks servers to stop it).
"""

from __future__ import annotations

import re
from typing import Final

import msgspec

from mailseal.mail import smtp_status as status

_BLANK_LINE: Final = re.compile(rb"\r?\n\r?\n")
_RECEIVED: Final = re.compile(rb"received[ \t]*:", re.IGNORECASE)


class HeaderLimits(msgspec.Struct, frozen=True, kw_only=True):
    max_fields: int = 500
    max_field_bytes: int = 64 * 1024
    max_section_bytes: int = 1024 * 1024
    max_received: int = 50


DEFAULT_LIMITS: Final = HeaderLimits()


def header_refusal(data: bytes, limits: HeaderLimits = DEFAULT_LIMITS) -> str | None:
    """The SMTP reply refusing `data` for its header section, or None when the section is within bounds."""
    window = data[: limits.max_section_bytes + 4]
    end = _BLANK_LINE.search(window)
    if end is None:
        if len(data) > limits.max_section_bytes:
            return status.HEADER_TOO_LARGE
        section = window
    else:
        section = window[: end.start()]
    fields = 0
    received = 0
    field_bytes = 0
    for line in section.splitlines():
        if line[:1] in (b" ", b"\t"):
            field_bytes += len(line) + 2
        else:
            fields += 1
            field_bytes = len(line) + 2
            if _RECEIVED.match(line):
                received += 1
        if field_bytes > limits.max_field_bytes:
            return status.HEADER_TOO_LONG
    if fields > limits.max_fields:
        return status.TOO_MANY_HEADERS
    if received > limits.max_received:
        return status.MAIL_LOOP
    return None
