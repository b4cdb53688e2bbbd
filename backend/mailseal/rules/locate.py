"""Where each table and key of a TOML text starts, so that an error found after parsing can name its line.

`tomllib` gives positions only for syntax errors. This scan runs on text that `tomllib` has already
accepted, follows table headers (`[a.b]`, `[[a]]` with its index) and keys (`a.b = ...`), and skips
multi-line strings. It is best effort: `line_of` falls back to the nearest enclosing table or key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from typing import Any

KeyPath = tuple[str | int, ...]

_ARRAY_HEADER = re.compile(r"\s*\[\[(?P<name>[^\[\]]+)\]\]\s*(?:#.*)?")
_TABLE_HEADER = re.compile(r"\s*\[(?P<name>[^\[\]]+)\]\s*(?:#.*)?")
_SIMPLE_KEY = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_KEY_LINE = re.compile(rf"\s*(?P<key>{_SIMPLE_KEY}(?:\s*\.\s*{_SIMPLE_KEY})*)\s*=")


class KeyLines:
    """Line numbers (1-based) of the tables and keys of one TOML document."""

    def __init__(self, text: str) -> None:
        self._lines: dict[KeyPath, int] = {}
        self._scan(text)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of `path`, or of its nearest enclosing table or key that was found."""
        key = tuple(path)
        while key:
            if key in self._lines:
                return self._lines[key]
            key = key[:-1]
        return None

    def _record(self, path: KeyPath, line: int) -> None:
        for end in range(1, len(path) + 1):
            self._lines.setdefault(path[:end], line)

    def _scan(self, text: str) -> None:
        arrays: dict[tuple[str, ...], int] = {}
        table: KeyPath = ()
        open_quote: str | None = None
        depth = 0  # open brackets of a value that spans lines
        for number, line in enumerate(text.splitlines(), start=1):
            if open_quote is not None:
                if line.count(open_quote) % 2 == 1:
                    open_quote = None
                continue
            if depth > 0:
                depth += _bracket_balance(line)
                continue
            header = _ARRAY_HEADER.fullmatch(line) or _TABLE_HEADER.fullmatch(line)
            if header:
                names = _dotted(header.group("name"))
                if names is None:
                    continue
                if header.re is _ARRAY_HEADER:
                    arrays[names] = arrays.get(names, 0) + 1
                table = _resolve(names, arrays)
                self._record(table, number)
                continue
            found = _KEY_LINE.match(line)
            if found:
                names = _dotted(found.group("key"))
                if names is not None:
                    self._record(table + names, number)
                rest = line[found.end() :]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        open_quote = quote
                if open_quote is None:
                    depth = max(0, _bracket_balance(rest))


_STRING_OR_COMMENT = re.compile(r""""(?:[^"\\]|\\.)*"|'[^']*'|\#.*""")


def _bracket_balance(text: str) -> int:
    """Opened minus closed brackets and braces, outside strings and comments."""
    bare = _STRING_OR_COMMENT.sub("", text)
    return bare.count("[") + bare.count("{") - bare.count("]") - bare.count("}")


def _dotted(text: str) -> tuple[str, ...] | None:
    """The parts of a dotted key (`a."b c".d`), read by tomllib itself so that quoting rules match."""
    try:
        document: Any = tomllib.loads(f"{text} = 0")
    except tomllib.TOMLDecodeError:
        return None
    parts: list[str] = []
    while isinstance(document, dict) and len(document) == 1:
        name, document = next(iter(document.items()))
        parts.append(str(name))
    return tuple(parts) if parts else None


def _resolve(names: tuple[str, ...], arrays: dict[tuple[str, ...], int]) -> KeyPath:
    """`rule.conditions` after the third `[[rule]]` is ('rule', 2, 'conditions')."""
    path: list[str | int] = []
    for end in range(1, len(names) + 1):
        path.append(names[end - 1])
        count = arrays.get(names[:end])
        if count:
            path.append(count - 1)
    return tuple(path)
