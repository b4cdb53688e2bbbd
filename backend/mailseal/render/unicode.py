"""Unicode hygiene for untrusted text: code points that cannot be encoded, or that reorder what people see."""

from __future__ import annotations

import re

# Explicit embeddings, overrides and isolates (U+202A to U+202E, U+2066 to U+2069), the directional marks
# (U+200E, U+200F, U+061C): they make "invoice_exe.pdf" display differently from what it is.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# Zero-width and invisible characters: they hide differences between two names that look the same.
INVISIBLE = "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u034f"

_SURROGATE = re.compile("[\ud800-\udfff]")
_C0_EXCEPT_TAB_NEWLINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def well_formed(text: str) -> str:
    """`text` with each surrogate code point replaced by U+FFFD, so that it encodes as UTF-8."""
    return _SURROGATE.sub("\ufffd", text)


def without_controls(text: str) -> str:
    """`text` without C0 controls and DEL, except tab and newline."""
    return _C0_EXCEPT_TAB_NEWLINE.sub("", text)
