"""`prepare` reads tokens in one search each and copies unchanged stretches whole; it must give exactly
what the plain token loop over `scan` gives (the way `prepare` was first written, kept here as the
oracle), on generated markup, at every limit, and on every HTML the shared corpora hold."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailseal.render.markup import (
    LIMITS,
    RENAMED_PREFIX,
    RENAMED_TAGS,
    Limits,
    Prepared,
    Token,
    _count_attributes,
    _escapes,
    _exceeded,
    _split_run,
    count_special_characters,
    prepare,
    scan,
)
from support.corpora import corpus_eml_files
from test_render_markup import PIECES, UNLIMITED

SMALL = Limits(start_tags=6, tokens=9, attributes_per_tag=3, special_characters=40, attribute_escape_work=30)


def _renamed(html: str, token: Token) -> str:
    text = html[token.start : token.end]
    if token.name not in RENAMED_TAGS:
        return text
    name_at = 2 if token.kind == "end" else 1
    return f"{text[:name_at]}{RENAMED_PREFIX}{text[name_at:]}"


def plain_prepare(html: str, limits: Limits = LIMITS) -> Prepared:
    if count_special_characters(html) > limits.special_characters:
        return Prepared(markup="", start_tags=0, tokens=0, exceeded="special_characters")
    parts: list[str] = []
    start_tags = tokens = escape_work = 0
    pos = 0
    for token in scan(html):
        parts.append(_split_run(html[pos : token.start]))
        pos = token.end
        if token.kind == "unterminated":
            parts.append(html[token.start :])
            break
        tokens += 1
        too_many_attributes = False
        if token.kind == "other":
            parts.append(html[token.start : token.end])
        else:
            parts.append(_renamed(html, token))
            start_tags += token.kind == "start"
            escape_work += _escapes(token.attributes) * len(token.attributes)
            too_many_attributes = _count_attributes(token.attributes, limits.attributes_per_tag) > (
                limits.attributes_per_tag
            )
        exceeded = _exceeded(limits, too_many_attributes, start_tags, tokens, escape_work)
        if exceeded:
            return Prepared(markup="", start_tags=start_tags, tokens=tokens, exceeded=exceeded)
    else:
        parts.append(_split_run(html[pos:]))
    return Prepared(markup="".join(parts), start_tags=start_tags, tokens=tokens)


EXTRA = ["&nbsp;", "\xa0", "<a href='x&y'>", "<p title=\"&amp;&amp;\">", "<b a=1 b=2 c=3 d=4>", "<!-->", "<!--->",
         "</>", "</3", "<?x>", "<x-b>", "<B>", "</A >", "<td", "é", "\0"]  # fmt: skip
markup = st.lists(st.sampled_from(PIECES + EXTRA), max_size=40).map("".join)


def same(html: str, limits: Limits) -> None:
    assert prepare(html, limits) == plain_prepare(html, limits), repr(html[:200])


@settings(max_examples=1500, deadline=None)
@given(markup, st.sampled_from([UNLIMITED, LIMITS, SMALL]))
def test_the_same_as_the_plain_loop_on_generated_markup(html: str, limits: Limits) -> None:
    same(html, limits)


@pytest.mark.parametrize(
    "html",
    [
        "", "plain text", "a & b", "<p>a</p>", "<b>", "</b", "<b", "<!--", "<!-- x", "x <!-- y --> z &amp;",
        "&" * 200, "<p>" + "&amp;x" * 200 + "</p>", "<div" + " a" * 70 + ">", "<p title='" + "&" * 50 + "'>",
        "<svg><style>&</style></svg>&", "<" * 50, "</", "a</", "<a\n>x</a\t>",
    ],
)  # fmt: skip
@pytest.mark.parametrize("limits", [UNLIMITED, LIMITS, SMALL])
def test_the_same_as_the_plain_loop_at_the_edges(html: str, limits: Limits) -> None:
    same(html, limits)


def corpus_html(corpora: Path) -> list[str]:
    found: list[str] = []
    for path in sorted((corpora / "xss").glob("*.json")):
        found += json.loads(path.read_text(encoding="utf-8"))
    found.append((corpora / "xss" / "roundcube_htmlxss.txt").read_text(encoding="utf-8"))
    found += [s for s in json.loads((corpora / "strings" / "blns.json").read_text(encoding="utf-8")) if s]
    for path in corpus_eml_files():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in message.walk():
            if part.get_content_type() == "text/html":
                try:
                    found.append(part.get_content())
                except (LookupError, ValueError, AssertionError):
                    continue
    return found


def test_the_same_as_the_plain_loop_on_the_corpora(corpora: Path) -> None:
    html = corpus_html(corpora)
    assert len(html) > 2000
    for item in html:
        for limits in (UNLIMITED, LIMITS, SMALL):
            same(item, limits)
