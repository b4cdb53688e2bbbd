"""A byte stream read as lines (LF, CRLF or lone CR) with absolute offsets, in bounded memory.

Only a block and one bounded line piece are ever held: long lines are returned cut, bodies are
skipped by searching for the lines that start like a delimiter (the only ones a MIME scanner must
look at), and header lines that need no reading are stepped over with one regular expression.
"""

from __future__ import annotations

import re
from typing import BinaryIO, NamedTuple

BLOCK_SIZE = 64 * 1024
_EOL = re.compile(rb"\r\n?|\n")
_CR = 0x0D
_LF = 0x0A


class Line(NamedTuple):
    start: int
    content: bytes  # without its line end; cut to the requested limit
    eol: bytes  # b"" at the end of the input
    cut: bool  # True if the line was longer than the limit


class LineStarts(NamedTuple):
    """What `skip_to_line_starting` looks for, prepared once: the prefixes, each after LF or CR.

    Each prefix is searched alone and the byte before it checked: one search per block instead of one
    per line end. `after_eol` (the prefix after LF, after CR) is the fallback when a prefix turns up
    inside a line, so text full of such near misses costs no more than searching for them directly."""

    prefixes: tuple[bytes, ...]
    after_eol: tuple[tuple[bytes, bytes], ...]
    keep: int  # a line end and its prefix may straddle the end of the buffer: keep this many bytes

    @classmethod
    def of(cls, prefixes: tuple[bytes, ...]) -> LineStarts:
        after_eol = tuple((b"\n" + prefix, b"\r" + prefix) for prefix in prefixes)
        return cls(prefixes, after_eol, max(len(prefix) + 1 for prefix in prefixes))


def first_line(data: bytes) -> tuple[bytes, bool]:
    """The first line of `data` without its end, and whether that end is in `data`."""
    match = _EOL.search(data)
    if match is None:
        return data, False
    return data[: match.start()], True


class LineReader:
    """Sequential line access to a binary stream; never holds more than a block plus one peek."""

    def __init__(self, source: BinaryIO, block_size: int = BLOCK_SIZE) -> None:
        self._source = source
        self._block_size = block_size
        self._buf = b""
        self._pos = 0
        self._base = 0  # offset of _buf[0] in the stream
        self._eof = False
        self._tail = b""  # the last two bytes read, to tell how the input ends
        self._mark: tuple[int, int] | None = None  # (offset, last_eol_len) to rewind to
        # The first position of each searched pattern in this buffer (-1: none up to its end), so that
        # many hits of one pattern do not make every search rescan the buffer for the others.
        self._hits: dict[bytes, int] = {}
        self.last_eol_len = 0  # length of the line end just before the current position

    @property
    def offset(self) -> int:
        return self._base + self._pos

    def _fill(self) -> bool:
        """Append one block, dropping what was consumed; False at the end of the input."""
        if self._eof:
            return False
        data = self._source.read(self._block_size)
        if not data:
            self._eof = True
            return False
        self._tail = (self._tail + data)[-2:]
        self._hits.clear()
        keep = self._pos if self._mark is None else min(self._pos, self._mark[0] - self._base)
        self._base += keep
        self._buf = self._buf[keep:] + data
        self._pos -= keep
        return True

    def mark(self) -> None:
        """Remember this position (keeping the bytes after it) so `rewind` can come back to it."""
        self._mark = (self.offset, self.last_eol_len)

    @property
    def marked(self) -> bool:
        return self._mark is not None

    def unmark(self) -> None:
        self._mark = None

    def rewind(self) -> None:
        assert self._mark is not None
        offset, self.last_eol_len = self._mark
        self._pos = offset - self._base
        self._mark = None

    def at_end(self) -> bool:
        return self._pos >= len(self._buf) and not self._fill()

    def peek(self, size: int) -> bytes:
        """Up to `size` bytes from the current position, without consuming them."""
        while len(self._buf) - self._pos < size and self._fill():
            pass
        return self._buf[self._pos : self._pos + size]

    def read_line(self, limit: int) -> Line | None:
        """Consume the next line; keep at most `limit` bytes of it. None at the end of the input."""
        if self.at_end():
            return None
        start = self.offset
        kept: bytes | None = None
        scanned = 0  # bytes after _pos known to hold no complete line end
        while True:
            match = _EOL.search(self._buf, self._pos + scanned)
            # A CR at the very end of the buffer may be the first half of a CRLF: look further first.
            if match is not None and (self._eof or match.end() < len(self._buf) or match.group() != b"\r"):
                content = self._buf[self._pos : match.start()]
                self._pos = match.end()
                return self._line(start, content, match.group(), kept, limit)
            scanned = (match.start() if match is not None else len(self._buf)) - self._pos
            if kept is None and scanned > limit:
                kept = self._buf[self._pos : self._pos + limit]
            if kept is not None:  # the rest of this line is not needed: let it go
                self._pos += scanned
                scanned = 0
            if not self._fill():
                if match is not None:
                    continue  # the pending CR is a line end after all
                content = self._buf[self._pos :]
                self._pos = len(self._buf)
                return self._line(start, content, b"", kept, limit)

    def _line(self, start: int, content: bytes, eol: bytes, kept: bytes | None, limit: int) -> Line:
        self.last_eol_len = len(eol)
        if kept is not None:
            return Line(start, kept, eol, True)
        if len(content) > limit:
            return Line(start, content[:limit], eol, True)
        return Line(start, content, eol, False)

    def starts_with(self, prefixes: tuple[bytes, ...]) -> bool:
        """Whether the input at the current position starts with one of `prefixes`."""
        self.peek(max(map(len, prefixes), default=0))
        return self._buf.startswith(prefixes, self._pos)

    def step_into_line(self) -> None:
        """Move one byte into the line that starts here, so that the next search passes it."""
        self._pos += 1

    def skip_to_line_starting(self, starts: LineStarts, *, at_line_start: bool = True) -> bool:
        """Move to the next line start (this one too, if `at_line_start`) whose line begins with one of
        the prefixes. False, with everything consumed, at the end of the input. The line ends LF, CR
        (not before LF) and CRLF are found by searching for the prefix after LF or CR."""
        if at_line_start and self.starts_with(starts.prefixes):
            return True
        keep = starts.keep
        floor = self.offset  # the line end before this offset was already counted in last_eol_len
        search = self._pos
        while True:
            hit = self._find_line_end_before(starts, search)
            if hit >= 0:
                crlf = self._buf[hit] == _LF and self._base + hit - 1 >= floor and self._buf[hit - 1] == _CR
                self.last_eol_len = 2 if crlf else 1
                self._pos = hit + 1
                return True
            search = max(search, len(self._buf) - keep + 1)
            self._pos = max(self._pos, len(self._buf) - keep)  # one byte more, for the CR test
            relative = search - self._pos
            if not self._fill():
                self._pos = len(self._buf)
                return False
            search = self._pos + relative

    def skip_run(self, run: re.Pattern[bytes]) -> None:
        """Consume whole lines while `run` (a pattern matching a run of complete lines) matches them:
        a fast path for lines that only need to be stepped over. Drops the mark if it moves."""
        while True:
            end = len(self._buf) if self._eof else len(self._buf) - 1  # a last CR may start a CRLF
            match = run.match(self._buf, self._pos, end)
            if match is not None and match.end() > self._pos:
                self._pos = match.end()
                self.last_eol_len = 2 if self._buf.endswith(b"\r\n", 0, self._pos) else 1
                self._mark = None
            complete = self._buf.find(b"\n", self._pos, end) >= 0 or self._buf.find(b"\r", self._pos, end) >= 0
            # Stop at a complete line the run does not match, or before a long incomplete one.
            if complete or len(self._buf) - self._pos > BLOCK_SIZE or not self._fill():
                return

    def final_eol_len(self) -> int:
        """The length of the line end the input finishes with (0, 1 or 2), once it was all read."""
        if self._tail.endswith(b"\r\n"):
            return 2
        return 1 if self._tail.endswith((b"\n", b"\r")) else 0

    def skip_to_end(self) -> None:
        while self._fill():
            pass
        self._pos = len(self._buf)

    def _find_line_end_before(self, starts: LineStarts, start: int) -> int:
        """The first position at or after `start` of a line end (LF or CR) followed by one of the
        prefixes, or -1."""
        best = -1
        buf = self._buf
        for prefix, after_eol in zip(starts.prefixes, starts.after_eol, strict=True):
            hit = self._find_first((prefix,), start + 1)
            if hit >= 0:
                if buf[hit - 1] == _LF or buf[hit - 1] == _CR:
                    hit -= 1
                else:  # the prefix inside a line: look for it after a line end instead
                    hit = self._find_first(after_eol, start)
            if hit >= 0 and (best < 0 or hit < best):
                best = hit
        return best

    def _find_first(self, patterns: tuple[bytes, ...], start: int) -> int:
        """The first position at or after `start` where one of `patterns` occurs, or -1."""
        best = -1
        hits = self._hits
        for pattern in patterns:
            hit = hits.get(pattern, -2)
            if hit == -2 or 0 <= hit < start:
                hit = hits[pattern] = self._buf.find(pattern, start)
            if hit >= 0 and (best < 0 or hit < best):
                best = hit
        return best
