"""Untrusted markup before the HTML parser sees it: rename tags with parser side effects, measure, split text.

html5ever and ammonia (inside nh3) have superlinear corners that one small mail can hit, each measured on
one core: deep nesting (every block start tag walks the stack of open elements: 100 000 `<div>` took 58 s),
many attributes on one tag (each is checked against the others: 400 000 took 132 s), unclosed formatting
elements (one unclosed `<b a1>` … `<b aN>` run is rebuilt for every later paragraph: 33 KB became 28 MB
and 1 GB of memory), and escaping `&` and U+00A0 on output (cost grows with their number times the length
of their text node: 400 000 `&` took 3.6 s).

`prepare` renames two groups of tags with an `x-` prefix, so the parser treats them as ordinary elements:
the tags that switch the tokenizer out of its data state (raw text such as `script` and `style`, foreign
content `svg` and `math`), and the formatting elements (`b`, `a`, `font`, …) that the tree builder re-opens
and re-parents. With those renamed the parser tokenizes the whole input in the data state, as `scan`
does, so what `prepare` counts is exact; SVG/MathML namespace confusion and formatting-element
amplification are gone before the sanitizer runs. `prepare` also cuts long text nodes with empty comments,
and refuses markup over `Limits`. Only tag tokens are renamed: text and attribute values stay as written.
The sanitizer drops the renamed raw-text elements with their content and gives the formatting elements
their names back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

import msgspec

# Every tag that switches the HTML tokenizer out of its data state (WHATWG HTML, tree construction).
TOKENIZER_SWITCHING_TAGS = (
    "iframe",
    "math",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
    "script",
    "style",
    "svg",
    "textarea",
    "title",
    "xmp",
)
RENAMED_PREFIX = "x-"

# The active formatting elements, which the tree builder re-opens after a misnested close.
FORMATTING_TAGS = (
    "a",
    "b",
    "big",
    "code",
    "em",
    "font",
    "i",
    "nobr",
    "s",
    "small",
    "strike",
    "strong",
    "tt",
    "u",
)


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """What the parser is allowed to see. Worst cases at each limit, measured on one core, in the comments."""

    # Nested block elements: the cost grows with the square of the depth (10 000 take about 0.9 s).
    start_tags: int = 10_000
    # Start tags, end tags, comments and declarations: bounds the work of `prepare` itself.
    tokens: int = 50_000
    # One tag's attributes are checked against each other (64 on every one of 10 000 tags: 0.03 s).
    attributes_per_tag: int = 64
    # "<", "&" and NUL each cost the tokenizer about 0.5 µs (5 MiB of "<" took 2.6 s).
    special_characters: int = 1_000_000
    # Escaping "&" and U+00A0 in an attribute costs their number times the attribute's length (~0.02 s).
    attribute_escape_work: int = 1_000_000_000


LIMITS = Limits()
# `prepare` starts a new text node before every this many "&" or U+00A0 (and at each text run).
TEXT_NODE_ESCAPES = 64


RENAMED_TAGS = frozenset(TOKENIZER_SWITCHING_TAGS + FORMATTING_TAGS)


class Prepared(msgspec.Struct, frozen=True, kw_only=True):
    """Markup ready for the parser, with what was counted; or, when `exceeded` names the first limit
    passed, no markup (counting stopped there)."""

    markup: str
    start_tags: int
    tokens: int
    exceeded: str = ""


class Token(msgspec.Struct, frozen=True):
    """A tag, comment or declaration at `start:end`. `unterminated` runs to the end of input and is dropped."""

    kind: Literal["start", "end", "other", "unterminated"]
    start: int
    end: int
    name: str = ""
    attributes: str = ""


_SPACE = r"\t\n\f\r "
# One attribute as the tokenizer reads it from the "before attribute name" state. Its name may start with
# "="; a value follows an "=" (spaces allowed around it) and is quoted, unquoted, or missing before ">".
# Possessive quantifiers and the lookaheads keep each match linear; a failure means end of input in a tag.
_ATTRIBUTE_NAME = rf"[^{_SPACE}/>][^{_SPACE}/>=]*+"
_ATTRIBUTE_VALUE = (
    rf"(?:[{_SPACE}]*+=[{_SPACE}]*+(?:\"[^\"]*+\"|'[^']*+'|[^{_SPACE}>\"'][^{_SPACE}>]*+|(?=>))"
    rf"|(?![{_SPACE}]*=))"
)
_TAG = re.compile(rf"<(/?)([A-Za-z][^{_SPACE}/>]*+)((?:[{_SPACE}/]++|{_ATTRIBUTE_NAME}{_ATTRIBUTE_VALUE})*+)>")
_ATTRIBUTES = re.compile(rf"[{_SPACE}/]*+({_ATTRIBUTE_NAME}){_ATTRIBUTE_VALUE}")
_MARKUP_START = re.compile(r"<[A-Za-z!?/]")
# The next token as `scan` reads it, in one search: a whole tag (groups 1-3, as `_TAG`); else a tag that
# never ends (4); else a comment, declaration or bogus comment (5), whose end `_markup_end` finds.
_NEXT_TOKEN = re.compile(rf"{_TAG.pattern}|<(/?[A-Za-z])|<([!?/])")
_COMMENT_END = re.compile(r"--!?>")
# From one "&" or U+00A0 up to the next TEXT_NODE_ESCAPES of them.
_ESCAPE_CHUNK = re.compile(rf"(?:[&\xa0][^&\xa0]*+){{1,{TEXT_NODE_ESCAPES}}}")
SPLIT_MARK = "<!---->"


def _ascii_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _markup_end(html: str, i: int) -> int | None:
    """Where the comment or declaration at `i` ends, or None when it runs to the end of input."""
    if html.startswith("<!--", i):
        body = i + 4
        if html.startswith(">", body):
            return body + 1
        if html.startswith("->", body):
            return body + 2
        end = _COMMENT_END.search(html, body)
        return None if end is None else end.end()
    if html.startswith("</>", i):
        return i + 3
    if html.startswith("</", i) and i + 2 >= len(html):
        return None  # a lone "</" at the end is text
    # A doctype, "<?", "<!x" or "</9" is a bogus comment or declaration: all end at the first ">".
    end_of = html.find(">", i + 2)
    return None if end_of < 0 else end_of + 1


def scan(html: str) -> Iterator[Token]:
    """The tokens other than text, in order, as the HTML tokenizer reads them in its data state (which is
    how it reads `prepare`d markup). Everything between two tokens is text. An unterminated tag or comment
    ends the scan: the tokenizer drops it and everything after it."""
    pos = 0
    while (found := _MARKUP_START.search(html, pos)) is not None:
        i = found.start()
        if _ascii_letter(html[i + 1]) or (html[i + 1] == "/" and _ascii_letter(html[i + 2 : i + 3])):
            tag = _TAG.match(html, i)
            if tag is None:
                yield Token("unterminated", i, len(html))
                return
            pos = tag.end()
            yield Token("end" if tag[1] else "start", i, pos, tag[2].lower(), tag[3])
        else:
            end = _markup_end(html, i)
            if end is None:
                yield Token("unterminated", i, len(html))
                return
            pos = end
            yield Token("other", i, pos)


def attribute_names(attributes: str) -> list[str]:
    """The attribute names in a tag's raw attribute text, lowercased, duplicates kept."""
    return [m[1].lower() for m in _ATTRIBUTES.finditer(attributes + ">")]


def _count_attributes(text: str, limit: int) -> int:
    # Every attribute but the last takes at least two characters, so short lists need no counting.
    if (len(text) + 1) // 2 <= limit:
        return 0
    count = 0
    for _ in _ATTRIBUTES.finditer(text + ">"):  # the ">" that ended the tag: "a=>" has an empty value
        count += 1
        if count > limit:
            break
    return count


def _escapes(text: str) -> int:
    return text.count("&") + text.count("\xa0")


def count_special_characters(html: str) -> int:
    """The characters the tokenizer handles one at a time: "<", "&" and NUL."""
    return html.count("<") + html.count("&") + html.count("\0")


def _split_run(text: str) -> str:
    first = min((i for i in (text.find("&"), text.find("\xa0")) if i >= 0), default=-1)
    if first < 0:
        return text
    # The first mark goes at the start of the run, not before its first "&": inside a table, a run that
    # is all spaces would stay in the table while the rest of the run is moved out before it.
    return SPLIT_MARK + text[:first] + SPLIT_MARK.join(_ESCAPE_CHUNK.findall(text, first))


def _exceeded(limits: Limits, too_many_attributes: bool, start_tags: int, tokens: int, escape_work: int) -> str:
    if too_many_attributes:
        return "attributes_per_tag"
    if start_tags > limits.start_tags:
        return "start_tags"
    if tokens > limits.tokens:
        return "tokens"
    if escape_work > limits.attribute_escape_work:
        return "attribute_escape_work"
    return ""


def prepare(html: str, limits: Limits = LIMITS) -> Prepared:
    """Rename the tokenizer-switching and formatting tags (`<svg` → `<x-svg`, `</B>` → `</x-B>`); put an
    empty comment at the start of each text run that holds a "&" or U+00A0, and before every
    `TEXT_NODE_ESCAPES` more of them (a comment always ends a text node, a stray end tag does not, and a
    "&" never sits inside a character reference); count what matters for the parser's cost, stopping at
    the first limit passed.

    It reads the tokens as `scan` does, but in one search per token and without building them, and
    copies the unchanged stretches between edits whole: a first open of a 50 KB newsletter spent most of
    its time here. tests/test_render_markup.py holds it to the plain token loop over `scan`."""
    if count_special_characters(html) > limits.special_characters:
        return Prepared(markup="", start_tags=0, tokens=0, exceeded="special_characters")
    escapes_anywhere = "&" in html or "\xa0" in html
    long_attributes = 2 * limits.attributes_per_tag  # shorter attribute text cannot hold more (see above)
    parts: list[str] = []
    copied = 0  # html[:copied] is in parts
    start_tags = tokens = escape_work = 0
    pos = 0
    while (found := _NEXT_TOKEN.search(html, pos)) is not None:
        at = found.start()
        if escapes_anywhere and at > pos and ("&" in (run := html[pos:at]) or "\xa0" in run):
            parts += (html[copied:pos], _split_run(run))
            copied = at
        name = found[2]
        too_many_attributes = False
        if name is not None:
            pos = found.end()
            if name.lower() in RENAMED_TAGS:
                name_at = at + 1 + len(found[1])
                parts += (html[copied:name_at], RENAMED_PREFIX)
                copied = name_at
            start_tags += not found[1]
            if attributes := found[3]:
                if escapes_anywhere:
                    escape_work += _escapes(attributes) * len(attributes)
                too_many_attributes = len(attributes) > long_attributes and (
                    _count_attributes(attributes, limits.attributes_per_tag) > limits.attributes_per_tag
                )
        elif found[4] is not None or (end := _markup_end(html, at)) is None:
            break  # a tag or comment that never ends: the tokenizer drops it and all after it, as written
        else:
            pos = end
        tokens += 1
        if (
            too_many_attributes
            or start_tags > limits.start_tags
            or tokens > limits.tokens
            or escape_work > limits.attribute_escape_work
        ):
            exceeded = _exceeded(limits, too_many_attributes, start_tags, tokens, escape_work)
            return Prepared(markup="", start_tags=start_tags, tokens=tokens, exceeded=exceeded)
    else:
        if escapes_anywhere and ("&" in (run := html[pos:]) or "\xa0" in run):
            parts += (html[copied:pos], _split_run(run))
            copied = len(html)
    parts.append(html[copied:])
    return Prepared(markup="".join(parts), start_tags=start_tags, tokens=tokens)
