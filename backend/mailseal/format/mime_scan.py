"""The streaming MIME scanner that builds the message index (spec section 8).

It reads the message once, line by line, keeping only a block, one header block (at most 64 KiB) and
the stack of open boundaries. It never raises on malformed mail: whatever it cannot make sense of
becomes one leaf covering it.
"""

from __future__ import annotations

import re
from typing import BinaryIO, NamedTuple

import msgspec

from mailseal.format.index import MAX_PARTS, MessageIndex, Part
from mailseal.format.mime_headers import (
    HEADER_LINE,
    IDENTITY_ENCODINGS,
    EntityHeaders,
    entity_headers,
    parse_block,
    summary,
)
from mailseal.format.mime_lines import LineReader, LineStarts, first_line

MAX_DEPTH = 20
MAX_HEADER_BLOCK = 64 * 1024
MAX_FIELD = 16 * 1024  # one field with its continuation lines; `email` parses long ones slowly
MAX_DELIMITER_LINE = 1024
_EOL = rb"(?:\r\n|\n|\r(?=[^\n]))"
# Runs of lines the header reader may step over without looking at them: ordinary header lines
# (not "From " lines, not lines starting with "-" that could be delimiters), or continuation lines.
HEADER_RUN = re.compile(rb"(?:(?:[\x21-\x2c\x2e-\x39\x3b-\x7e][\x21-\x39\x3b-\x7e]*:|[ \t])[^\r\n]*" + _EOL + rb")*")
CONTINUATION_RUN = re.compile(rb"(?:[ \t][^\r\n]*" + _EOL + rb")*")
NESTED_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global"})
CATCH_ALL_TYPE = "application/octet-stream"


class _Delimiter(NamedTuple):
    level: int  # position in the boundary stack, outermost first
    close: bool
    line_start: int
    body_end: int  # where the body before it ends: the line end before a delimiter belongs to it


class _PartLimit(Exception):
    """Internal: the 1000th leaf now covers the rest of the message."""


def scan_message(source: BinaryIO) -> tuple[MessageIndex, int]:
    """Index the message read from `source` (to its end); return the index and the message size."""
    scanner = _Scanner(LineReader(source))
    return scanner.run()


class _Delimiters(NamedTuple):
    """The delimiters of the open boundaries, outermost first, prepared for fast searching."""

    stack: tuple[bytes, ...]
    starts: LineStarts
    line: re.Pattern[bytes]  # a whole delimiter line; alternatives in stack order: the outermost wins

    @classmethod
    def of(cls, stack: tuple[bytes, ...]) -> _Delimiters:
        alternatives = b"|".join(re.escape(d) for d in stack)
        line = re.compile(b"(" + alternatives + rb")(--)?[ \t]*(?:(?=[\r\n])|\Z)")
        return cls(stack, LineStarts.of(stack), line)

    def match(self, head: bytes, whole: bool) -> tuple[int, bool] | None:
        """Which boundary the line at the start of `head` delimits, and whether it closes it.
        `whole` says whether `head` holds the whole rest of the input (so it may end the line)."""
        found = self.line.match(head)
        if found is None or (found.end() == len(head) and not whole):
            return None
        return self.stack.index(found.group(1)), found.group(2) is not None


class _Scanner:
    def __init__(self, reader: LineReader) -> None:
        self._reader = reader
        self._parts: list[Part] = []
        self._summary: dict[str, str] = {}
        self._catch_all = False
        self._prepared: dict[tuple[bytes, ...], _Delimiters] = {}

    def run(self) -> tuple[MessageIndex, int]:
        try:
            self._entity(0, [], "text/plain")
        except _PartLimit:
            self._catch_all = True
        self._reader.skip_to_end()
        size = self._reader.offset
        parts = self._parts  # never empty: every entity yields at least one leaf
        if self._catch_all:
            parts[-1] = msgspec.structs.replace(parts[-1], end=size)
        return MessageIndex(**self._summary, parts=tuple(parts)), size

    def _entity(self, depth: int, stack: list[bytes], default_type: str) -> _Delimiter | None:
        """Scan one entity; return the delimiter line that ended it (unread), or None at the end."""
        block = self._header_block(stack)
        body_start = self._reader.offset
        message = parse_block(block)
        info = entity_headers(message, default_type)
        if depth == 0:
            self._summary = summary(message)
        if depth < MAX_DEPTH:
            if info.boundary is not None:
                return self._multipart(info, depth, stack, body_start)
            if info.content_type in NESTED_MESSAGE_TYPES and info.transfer_encoding in IDENTITY_ENCODINGS:
                return self._entity(depth + 1, stack, "text/plain")
        return self._leaf(info, depth, stack, body_start)

    def _multipart(self, info: EntityHeaders, depth: int, stack: list[bytes], body_start: int) -> _Delimiter | None:
        assert info.boundary is not None
        own = len(stack)
        inner = [*stack, b"--" + info.boundary]
        found = self._find_delimiter(inner, body_start)
        if found is None or found.level != own or found.close:
            # Never opened: its body is one leaf, up to the line that ends it (as `email` reads it).
            end = found.line_start if found is not None else self._reader.offset
            self._add_leaf(info, depth, body_start, end)
            if found is None or found.level != own:
                return found
            self._reader.read_line(0)
            return self._find_delimiter(stack, self._reader.offset)  # skip the epilogue
        child_default = "message/rfc822" if info.content_type == "multipart/digest" else "text/plain"
        while True:
            self._reader.read_line(0)  # the delimiter line itself
            if found.close:
                return self._find_delimiter(stack, self._reader.offset)  # skip the epilogue
            self._skip_repeated_delimiters(inner, own)
            found = self._entity(depth + 1, inner, child_default)
            if found is None or found.level != own:  # the close delimiter is missing
                return found

    def _skip_repeated_delimiters(self, stack: list[bytes], own: int) -> None:
        """Delimiter lines that follow one another enclose no part (as `email` reads RFC 2046)."""
        delimiters = self._delimiters(stack)
        while True:
            head = self._reader.peek(MAX_DELIMITER_LINE)
            hit = delimiters.match(head, len(head) < MAX_DELIMITER_LINE) if head else None
            if hit is None or hit[0] != own:
                return
            self._reader.read_line(0)

    def _leaf(self, info: EntityHeaders, depth: int, stack: list[bytes], body_start: int) -> _Delimiter | None:
        found = self._find_delimiter(stack, body_start)
        self._add_leaf(info, depth, body_start, self._body_end(found, stack, body_start))
        return found

    def _body_end(self, found: _Delimiter | None, enclosing: list[bytes], body_start: int) -> int:
        """Where a body ends: before its delimiter's line end, or at the end of the message (without
        the final line end if a multipart was left open)."""
        if found is not None:
            return found.body_end
        end = self._reader.offset
        if enclosing:
            end = max(body_start, end - self._reader.final_eol_len())
        return end

    def _find_delimiter(self, stack: list[bytes], floor: int) -> _Delimiter | None:
        """Skip lines up to the next delimiter of any open boundary, leaving it unread."""
        reader = self._reader
        if not stack:
            reader.skip_to_end()
            return None
        delimiters = self._delimiters(stack)
        at_line_start = True
        while reader.skip_to_line_starting(delimiters.starts, at_line_start=at_line_start):
            head = reader.peek(MAX_DELIMITER_LINE)
            hit = delimiters.match(head, len(head) < MAX_DELIMITER_LINE)
            if hit is not None:
                end = max(floor, reader.offset - reader.last_eol_len)
                return _Delimiter(hit[0], hit[1], reader.offset, end)
            reader.step_into_line()  # it only starts like a delimiter: look further
            at_line_start = False
        return None

    def _delimiters(self, stack: list[bytes]) -> _Delimiters:
        key = tuple(stack)
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepared[key] = _Delimiters.of(key)
        return prepared

    def _header_block(self, stack: list[bytes]) -> bytes:
        """Read a header block (and the empty line after it); keep at most 64 KiB of it."""
        reader = self._reader
        delimiters = self._delimiters(stack) if stack else None
        kept: list[bytes] = []
        size = 0
        field_size = 0
        dropping_field = False
        full = False
        first = True
        while True:
            if full:
                reader.skip_run(HEADER_RUN)
            elif dropping_field:
                reader.skip_run(CONTINUATION_RUN)
            head = reader.peek(MAX_DELIMITER_LINE)
            if not head:
                break
            line, complete = first_line(head)
            if complete and not line:  # the empty line that ends the block
                reader.read_line(0)
                break
            whole = complete or len(head) < MAX_DELIMITER_LINE
            if delimiters is not None and delimiters.match(head, len(head) < MAX_DELIMITER_LINE):
                break
            if not HEADER_LINE.match(head):
                break  # the body starts without an empty line
            continuation = head[:1] in (b" ", b"\t")
            # A "From " line that ends the block belongs to the body (as `email` reads it).
            if not first and whole and line.startswith(b"From "):
                reader.mark()
            else:
                reader.unmark()
            first = False
            read = reader.read_line(MAX_FIELD - 2)  # room for its line end
            assert read is not None
            if not continuation:
                field_size = 0
                dropping_field = False
            piece = read.content + (read.eol or b"\n")
            if full or dropping_field:
                continue
            if size + len(piece) > MAX_HEADER_BLOCK:
                full = True
            elif field_size + len(piece) > MAX_FIELD:
                dropping_field = True  # the field keeps the lines that fit; the rest are skipped
            else:
                kept.append(piece)
                size += len(piece)
                field_size += len(piece)
                dropping_field = read.cut  # a cut line keeps its start, but not its continuations
        if reader.marked:
            reader.rewind()
        return b"".join(kept)

    def _add_leaf(self, info: EntityHeaders, depth: int, start: int, end: int) -> None:
        if len(self._parts) == MAX_PARTS:
            last = self._parts[-1]
            self._parts[-1] = Part(
                number=MAX_PARTS,
                content_type=CATCH_ALL_TYPE,
                charset="",
                filename="",
                disposition="",
                content_id="",
                transfer_encoding="binary",
                start=last.start,
                end=last.end,
                depth=0,
            )
            raise _PartLimit
        self._parts.append(_part(len(self._parts) + 1, info, depth, start, end))


def _part(number: int, info: EntityHeaders, depth: int, start: int, end: int) -> Part:
    return Part(
        number=number,
        content_type=info.content_type,
        charset=info.charset,
        filename=info.filename,
        disposition=info.disposition,
        content_id=info.content_id,
        transfer_encoding=info.transfer_encoding,
        start=start,
        end=end,
        depth=depth,
    )
