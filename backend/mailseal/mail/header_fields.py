"""The header section of a mail as raw byte spans, and the one edit Mailseal makes to it: no Bcc.

A sealed copy must never show a Bcc recipient to anyone else (RFC 5322 section 3.6.3), so what is
sealed is the original minus its `Bcc` and `Resent-Bcc` fields, each removed whole with its
continuation lines. Every other byte stays as it was (line ends, folding, order, the body), so what
was signed over the rest still verifies. No parser rewrites anything here: only spans are cut out.

Where the header section ends is read as the `email` package and the format's index scanner read it:
at the first empty line, or at the first line that is neither a field nor a continuation line (the
body then starts without an empty line). Lines end in CRLF, LF or a lone CR.
"""

from __future__ import annotations

import io
import re
from typing import BinaryIO, Final, NamedTuple

_EOL: Final = re.compile(rb"\r\n|\n|\r")
# A field's first line: a name of printable characters but the colon, then the colon (RFC 5322
# section 2.2); spaces before the colon are obsolete syntax (section 4.5), still read as that field.
_FIELD_START: Final = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")
HIDDEN_RECIPIENT_FIELDS: Final = frozenset({b"bcc", b"resent-bcc"})
# How much of a message is read to decide whether it has a Bcc field before copying any of it:
# the relay refuses a header section over 1 MiB, so a mail from it never needs more.
HEADER_WINDOW: Final = 1024 * 1024 + 4


class FieldSpan(NamedTuple):
    name: bytes  # as written, b"" for a continuation line with no field before it
    start: int
    end: int  # after the line end of its last continuation line


class HeaderSection(NamedTuple):
    fields: tuple[FieldSpan, ...]
    end: int  # where the empty line, or the body, starts
    complete: bool  # False when the data ended inside the section (more may follow)


def header_section(data: bytes) -> HeaderSection:
    """The fields at the start of `data`, as spans, and where the section ends."""
    fields: list[FieldSpan] = []
    position = 0
    while position < len(data):
        eol = _EOL.search(data, position)
        content_end, line_end = (eol.start(), eol.end()) if eol else (len(data), len(data))
        if content_end == position:
            return HeaderSection(tuple(fields), position, True)  # the empty line
        first = data[position:position + 1]
        name = _FIELD_START.match(data, position, content_end)
        if first in (b" ", b"\t"):
            if fields:
                fields[-1] = fields[-1]._replace(end=line_end)
            else:
                fields.append(FieldSpan(b"", position, line_end))
        elif name is not None:
            fields.append(FieldSpan(name.group(1), position, line_end))
        elif data.startswith(b"From ", position):  # an mbox separator line, as `email` reads one
            fields.append(FieldSpan(b"From ", position, line_end))
        else:
            return HeaderSection(tuple(fields), position, True)  # the body starts without an empty line
        if eol is None:
            break
        position = line_end
    return HeaderSection(tuple(fields), position, False)


def is_hidden_recipient_field(field: FieldSpan) -> bool:
    return field.name.lower() in HIDDEN_RECIPIENT_FIELDS


def without_bcc(message: bytes) -> bytes:
    """`message` minus its Bcc and Resent-Bcc fields; the same bytes when it has none."""
    cut = [field for field in header_section(message).fields if is_hidden_recipient_field(field)]
    if not cut:
        return message
    kept: list[bytes] = []
    position = 0
    for field in cut:
        kept.append(message[position:field.start])
        position = field.end
    kept.append(message[position:])
    return b"".join(kept)


def without_bcc_stream(source: BinaryIO) -> BinaryIO:
    """`source` (seekable, read from its current position) as it is when its header section has no Bcc
    field, else an in-memory copy without them. Plaintext is never written to disk on the way."""
    start = source.tell()
    head = source.read(HEADER_WINDOW)
    section = header_section(head)
    whole_section_read = section.complete or len(head) < HEADER_WINDOW
    if whole_section_read and not any(is_hidden_recipient_field(field) for field in section.fields):
        source.seek(start)
        return source
    return io.BytesIO(without_bcc(head + source.read()))
