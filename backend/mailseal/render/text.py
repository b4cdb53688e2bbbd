"""Plain-text mail as HTML: escaped, web links clickable, quoted lines as block quotes, long lines wrapped."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from mailseal.errors import TooLarge
from mailseal.render.allowlist import LINK_REL, LINK_TARGET
from mailseal.render.unicode import well_formed, without_controls

MAX_TEXT_CHARS = 5 * 1024 * 1024
# Deeper quoting is shown at this depth: every level costs a nested element.
MAX_QUOTE_DEPTH = 16

TEXT_STYLE = "white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-word"
QUOTE_STYLE = "margin: 0.25em 0 0.25em 0.5em; padding-left: 0.75em; border-left: 3px solid #8888"

_WEB_URL = re.compile(r"https?://[^\s<>\"'`\x00-\x1f\x7f]+", re.IGNORECASE)
_TRAILING = ".,;:!?'*"
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_QUOTE_MARK = re.compile(r"(?:[ \t]{0,3}>)+")


def _trim(url: str) -> str:
    """Drop punctuation that ends a sentence rather than the URL, keeping brackets the URL opened."""
    open_count = {closer: url.count(opener) for closer, opener in _CLOSERS.items()}
    close_count = {closer: url.count(closer) for closer in _CLOSERS}
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _TRAILING:
            end -= 1
        elif last in _CLOSERS and close_count[last] > open_count[last]:
            close_count[last] -= 1
            end -= 1
        else:
            break
    return url[:end]


def linkify(line: str) -> str:
    """One line of text, escaped, with each http(s) URL made a link."""
    out: list[str] = []
    pos = 0
    for match in _WEB_URL.finditer(line):
        url = _trim(match[0])
        if "://" not in url or url.endswith("://"):
            continue
        out.append(html.escape(line[pos : match.start()]))
        escaped = html.escape(url)
        out.append(f'<a href="{escaped}" rel="{LINK_REL}" target="{LINK_TARGET}">{escaped}</a>')
        pos = match.start() + len(url)
    out.append(html.escape(line[pos:]))
    return "".join(out)


def _quoted(lines: list[str]) -> Iterator[tuple[int, str]]:
    for line in lines:
        mark = _QUOTE_MARK.match(line)
        if mark is None:
            yield 0, line
            continue
        depth = mark[0].count(">")
        rest = line[mark.end() :]
        yield min(depth, MAX_QUOTE_DEPTH), rest[1:] if rest.startswith(" ") else rest


def text_to_html(text: str) -> str:
    """A text/plain body as an HTML fragment that keeps its line breaks and spacing."""
    if len(text) > MAX_TEXT_CHARS:
        raise TooLarge("The text is too large to show")
    text = without_controls(well_formed(text).replace("\r\n", "\n").replace("\r", "\n"))
    parts = [f'<div style="{TEXT_STYLE}">']
    depth = 0
    first_in_block = True
    for level, line in _quoted(text.split("\n")):
        if level != depth:
            while depth > level:
                parts.append("</blockquote>")
                depth -= 1
            while depth < level:
                parts.append(f'<blockquote style="{QUOTE_STYLE}">')
                depth += 1
            first_in_block = True
        # The block boundaries already break the line; a newline there would show as an empty line.
        if not first_in_block:
            parts.append("\n")
        parts.append(linkify(line))
        first_in_block = False
    parts.append("</blockquote>" * depth)
    parts.append("</div>")
    return "".join(parts)
