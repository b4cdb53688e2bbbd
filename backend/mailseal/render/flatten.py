"""The last-resort view of markup too complex to parse safely: its text, with tags and hidden blocks removed.

This never parses HTML: it removes whatever looks like a tag and keeps the rest as text, which
`text_to_html` then escapes. A misread tag costs legibility, never safety.
"""

from __future__ import annotations

import html
import re

from mailseal.render.markup import RENAMED_PREFIX

# Blocks whose text a reader never sees, named as written or as `markup.prepare` renames them.
_HIDDEN = ("script", "style", "title", "textarea", "iframe", "noembed", "noframes", "svg", "math")
_HIDDEN_START = re.compile(
    rf"<(?=(?:{RENAMED_PREFIX})?[imnstIMNST])((?:{RENAMED_PREFIX})?(?:{'|'.join(_HIDDEN)}))(?=[\t\n\f\r />])",
    re.IGNORECASE | re.ASCII,
)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_BREAKS = frozenset(
    {"br", "hr", "p", "div", "tr", "li", "blockquote", "table", "pre", "ul", "ol"} | {f"h{n}" for n in range(1, 7)}
)
_TAG = re.compile(r"<(/?)([A-Za-z][^\t\n\f\r /<>]*+)[^<>]*+>|<[!?/][^<>]*+>")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


def _without_hidden(markup: str) -> str:
    lower = markup.lower()
    kept: list[str] = []
    pos = 0
    while (start := _HIDDEN_START.search(markup, pos)) is not None:
        kept.append(markup[pos : start.start()])
        end = lower.find(f"</{start[1].lower()}", start.end())
        if end < 0:
            return "".join(kept)
        pos = end
    kept.append(markup[pos:])
    return "".join(kept)


def markup_to_text(markup: str) -> str:
    """The readable text of markup (as written, or `markup.prepare`d)."""
    text = _COMMENT.sub("", _without_hidden(markup))
    text = _TAG.sub(lambda m: "\n" if m[2] and m[2].lower() in _BREAKS else "", text)
    text = html.unescape(text).replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()
