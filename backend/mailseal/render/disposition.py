"""The `Content-Disposition` header for an attachment (RFC 6266): an ASCII name for old clients, UTF-8 beside it."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from mailseal.render.filenames import safe_filename

# RFC 8187 attr-char, kept as is in `filename*`; everything else is percent-encoded UTF-8.
_ATTR_CHAR_PUNCTUATION = "!#$&+-.^_`|~"


def _ascii_fallback(name: str) -> str:
    # "é" becomes "e"; what has no ASCII letter becomes "_". "%" too: some browsers decode it here.
    letters = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    ascii_name = "".join(c if " " <= c <= "~" and c != "%" else "_" for c in letters)
    return ascii_name.replace("\\", "\\\\").replace('"', '\\"')


def content_disposition(filename: str | None, *, inline: bool) -> str:
    """`inline` or `attachment`, with `filename="…"` and `filename*=UTF-8''…` for `safe_filename(filename)`."""
    name = safe_filename(filename)
    kind = "inline" if inline else "attachment"
    encoded = quote(name, safe=_ATTR_CHAR_PUNCTUATION)
    return f"{kind}; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{encoded}"
