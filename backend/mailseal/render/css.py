"""Inline `style` attributes: an allow-list of properties and a value grammar that cannot name a URL.

Values may hold only keywords, numbers, lengths, colours (`#hex`, `rgb()`, `rgba()`, `hsl()`, `hsla()`)
and, in font families, plain quoted names. That leaves no room for `url()`, `image-set()`, `expression()`,
`-moz-binding`, CSS escapes or comments. Each kept declaration is written out again by us, so the browser
parses only what was checked here. Negative numbers are refused so mail cannot pull text over other text.
"""

from __future__ import annotations

import functools
import re

import msgspec

MAX_STYLE_CHARS = 16 * 1024
MAX_DECLARATIONS = 100
MAX_VALUE_CHARS = 256


def _sides(*names: str) -> set[str]:
    return {f"{name}{side}" for name in names for side in ("", "-top", "-right", "-bottom", "-left")}


ALLOWED_PROPERTIES = frozenset(
    {
        "background",
        "background-color",
        "border-collapse",
        "border-spacing",
        "border-radius",
        "box-sizing",
        "caption-side",
        "clear",
        "color",
        "direction",
        "display",
        "empty-cells",
        "float",
        "font",
        "font-family",
        "font-size",
        "font-stretch",
        "font-style",
        "font-variant",
        "font-weight",
        "height",
        "letter-spacing",
        "line-height",
        "list-style",
        "list-style-position",
        "list-style-type",
        "max-height",
        "max-width",
        "min-height",
        "min-width",
        "opacity",
        "overflow",
        "overflow-wrap",
        "table-layout",
        "text-align",
        "text-decoration",
        "text-decoration-color",
        "text-decoration-line",
        "text-decoration-style",
        "text-indent",
        "text-overflow",
        "text-transform",
        "vertical-align",
        "visibility",
        "white-space",
        "width",
        "word-break",
        "word-spacing",
        "word-wrap",
    }
    | _sides("margin", "padding", "border")
    | {
        f"border{side}-{part}"
        for side in ("", "-top", "-right", "-bottom", "-left")
        for part in ("color", "style", "width")
    }
)
# Properties whose values may contain quoted family names.
QUOTED_NAME_PROPERTIES = frozenset({"font", "font-family"})

_PROPERTY = re.compile(r"[a-z][a-z-]{0,40}")
_COLOUR_FUNCTION = r"(?:rgba?|hsla?)\([0-9a-z.,%/+ -]{0,60}\)"
_IMPORTANT = r"(?:!important)?"
_VALUE = re.compile(rf"(?:{_COLOUR_FUNCTION}|[0-9a-z#%.,/+ -])*+{_IMPORTANT}", re.IGNORECASE | re.ASCII)
# Family names may be in any script, bare or in quotes, but hold no quote, backslash or bracket.
_VALUE_WITH_NAMES = re.compile(
    rf"(?:{_COLOUR_FUNCTION}|[\w#%.,/+ -]|\"[\w .,+-]{{0,80}}\"|'[\w .,+-]{{0,80}}')*+{_IMPORTANT}", re.IGNORECASE
)
_NEGATIVE = re.compile(r"(?<![\w])-[0-9.]")
_URL = re.compile(r"url\(\s*+['\"]?+\s*+(?!data:)", re.IGNORECASE)
_SPACES = re.compile(r"[\t\n\f\r ]+")


class FilteredStyle(msgspec.Struct, frozen=True):
    """The declarations kept (None when none are), and how many `url()`s to other places were dropped."""

    style: str | None
    remote_urls: int


def _declaration(text: str) -> str | None:
    name, colon, value = text.partition(":")
    name = name.strip().lower()
    value = _SPACES.sub(" ", value).strip()
    if not colon or name not in ALLOWED_PROPERTIES or not _PROPERTY.fullmatch(name):
        return None
    if not value or len(value) > MAX_VALUE_CHARS or _NEGATIVE.search(value):
        return None
    grammar = _VALUE_WITH_NAMES if name in QUOTED_NAME_PROPERTIES else _VALUE
    if not grammar.fullmatch(value):
        return None
    return f"{name}: {value}"


@functools.lru_cache(maxsize=4096)
def filter_style(style: str) -> FilteredStyle:
    """Keep the allowed declarations of an inline style, in order, each written out again.

    Pure, and mail repeats the same few styles hundreds of times (a 50 KB newsletter: 274 attributes,
    6 distinct values), so results are cached; the cache holds style strings, not whole mails.
    """
    remote = len(_URL.findall(style))
    if len(style) > MAX_STYLE_CHARS:
        return FilteredStyle(None, remote)
    kept = [d for part in style.split(";")[:MAX_DECLARATIONS] if (d := _declaration(part)) is not None]
    return FilteredStyle("; ".join(kept) if kept else None, remote)
