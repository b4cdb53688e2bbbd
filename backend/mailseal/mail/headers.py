"""Clean text for mail headers and for showing names: no line breaks, no controls, no hidden encoded words.

Python's `email` package decodes RFC 2047 encoded words in a value we *set*, and (before 3.11.10) folds
a decoded CR/LF straight into the output: `=?utf-8?q?Hi=0D=0ABcc:_x?=` becomes a new header. So we
decode encoded words ourselves, look at what they hide, and make any left-over `=?` inert.
"""

from __future__ import annotations

import email.errors
import re
from email.header import decode_header, make_header

from mailseal.errors import InputError

ELLIPSIS = "\u2026"
# An invisible WORD JOINER between "=" and "?" stops a parser from reading an encoded word there.
_INERT_ENCODED_WORD_START = "=\u2060?"
_LINE_BREAKS = re.compile(r"[\r\n]")
# Replaced by a space: tab, vertical tab, form feed, NEL, the Unicode line and paragraph separators.
_SPACES = re.compile(r"[\t\x0b\x0c\x85\u2028\u2029]")
# Removed: other C0 and C1 controls, DEL, bidi marks, embeddings, overrides and isolates, BOM.
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_RUNS_OF_SPACE = re.compile(r"\s+")


def header_text(value: str, *, limit: int = 200) -> str:
    """Text safe to put in a header: refuses line breaks (also hidden in encoded words), strips the rest."""
    decoded = decode_encoded_words(value)
    if _LINE_BREAKS.search(decoded):
        raise InputError("A header value may not contain line breaks")
    return _tidy(decoded, limit)


def display_text(value: str, *, limit: int = 200) -> str:
    """Like `header_text`, for showing: line breaks become spaces instead of an error."""
    return _tidy(_LINE_BREAKS.sub(" ", decode_encoded_words(value)), limit)


def decode_encoded_words(value: str) -> str:
    """Decode RFC 2047 encoded words (repeatedly, for words that decode to words); never raises."""
    for _ in range(3):
        if "=?" not in value:
            break
        try:
            decoded = str(make_header(decode_header(value)))
        except (email.errors.HeaderParseError, LookupError, UnicodeError, ValueError):
            break
        if decoded == value:
            break
        value = decoded
    return value


def _tidy(value: str, limit: int) -> str:
    value = _SPACES.sub(" ", value)
    value = _INVISIBLE.sub("", value)
    value = _RUNS_OF_SPACE.sub(" ", value).strip()
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + ELLIPSIS
    return value.replace("=?", _INERT_ENCODED_WORD_START)
