"""markup.prepare: it reads markup exactly as html5ever does, and it keeps the parser's cost bounded.

The oracle is nh3 itself: given prepared markup it must build one `<span>` per start tag `scan` saw, with
the attributes `attribute_names` read. The pathological inputs below each took html5ever from seconds to
minutes (see markup.py); here they come back simplified, or parsed in linear time.
"""

from __future__ import annotations

import collections
import re

import nh3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailseal.render import Limits, sanitize_html
from mailseal.render.markup import SPLIT_MARK, attribute_names, prepare, scan

UNLIMITED = Limits(
    start_tags=10**9, tokens=10**9, attributes_per_tag=10**9, special_characters=10**9, attribute_escape_work=10**18
)

PIECES = [
    "<span", "</span", "<span>", "<SPAN", "<Span ", ">", " ", "\t", "\n", "\r", "\f", "=", '"', "'", "/", "a", "b",
    "x", "c=d", "&", "&amp", "&quot;", "\xa0", "`", "<", "</", "<!", "<?", "<!--", "-->", "--!>", "-", "!",
    "<![CDATA[", "]]>", "<!DOCTYPE", "<svg>", "</svg>", "<math>", "<style>", "</style>", "<script>", "</script>",
    "<textarea>", "<title>", "</title>", "<noscript>", "<plaintext>", "<xmp>", "<iframe>", "<table>", "<td>",
    "<select>", "<p>", "<b>", "</b>", "<a x=1>", "<font color=red>", "</font>",
]  # fmt: skip
markup = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


def scanned_spans(html: str) -> tuple[int, collections.Counter[str]]:
    count = 0
    names: collections.Counter[str] = collections.Counter()
    for token in scan(html):
        if token.kind == "start" and token.name == "span":
            count += 1
            names.update(list(dict.fromkeys(attribute_names(token.attributes))))  # duplicates: the first wins
    return count, names


def parsed_spans(html: str) -> tuple[int, collections.Counter[str]]:
    names: collections.Counter[str] = collections.Counter()

    def record(tag: str, name: str, value: str) -> str:
        if tag == "span":
            names[name] += 1
        return value

    out = nh3.clean(html, tags={"span"}, generic_attribute_prefixes={""}, attribute_filter=record)
    return len(re.findall(r"<span(?=[ >])", out)), names


@settings(max_examples=400, deadline=None)
@given(markup)
def test_scan_reads_tags_and_attributes_as_html5ever_reads_prepared_markup(html: str) -> None:
    assert scanned_spans(html) == parsed_spans(prepare(html, UNLIMITED).markup)


@settings(max_examples=300, deadline=None)
@given(markup.filter(lambda html: "<!--" not in html))
def test_split_marks_change_no_text(html: str) -> None:
    prepared = prepare(html, UNLIMITED).markup
    tags = {"p", "table", "tbody", "tr", "td", "span", "x-b"}
    with_marks = nh3.clean(prepared, tags=tags)
    without = nh3.clean(prepared.replace(SPLIT_MARK, ""), tags=tags)
    # Only where blank text sits around a table may differ (blank text is not moved out of a table).
    assert re.sub(r"\s", "", with_marks) == re.sub(r"\s", "", without)


def test_prepare_renames_tags_only_in_tags() -> None:
    html = '<SCRIPT>x</Script><p title="<script> &amp; <b>">a <b>b</b> <svg><style>'
    assert prepare(html).markup == (
        '<x-SCRIPT>x</x-Script><p title="<script> &amp; <b>">a <x-b>b</x-b> <x-svg><x-style>'
    )


def test_prepare_splits_long_text_before_entities() -> None:
    prepared = prepare("a" + "&amp;" * 130)
    assert prepared.markup == SPLIT_MARK + "a" + SPLIT_MARK.join(["&amp;" * 64, "&amp;" * 64, "&amp;" * 2])


@pytest.mark.parametrize(
    ("html", "limit"),
    [
        ("<div>" * 10_001, "start_tags"),
        ("<div" + "".join(f" a{i}" for i in range(65)) + ">", "attributes_per_tag"),
        ("<!---->" * 50_001, "tokens"),
        ("<" * 1_000_001, "special_characters"),
        ('<p title="' + "&" * 40_000 + '">', "attribute_escape_work"),
    ],
)
def test_each_limit_is_named_when_passed(html: str, limit: str) -> None:
    assert prepare(html).exceeded == limit
    assert prepare(html).markup == ""


def test_a_tag_at_the_attribute_limit_is_parsed() -> None:
    html = "<div" + "".join(f" a{i}" for i in range(64)) + ">x</div>"
    assert prepare(html).exceeded == ""


def test_attributes_hidden_in_a_comment_or_script_are_counted_as_the_parser_counts_them() -> None:
    many = "".join(f" a{i}" for i in range(100))
    # The comment ends at "-->", so the div is a real tag with 100 attributes.
    assert prepare(f'<!-- <a title="--> <div{many}>" -->').exceeded == "attributes_per_tag"
    # Once `script` is renamed the quote opens an attribute value: the div is text inside it.
    assert prepare(f'<script><x y="</script><div{many}>"</script>').exceeded == ""


@pytest.mark.parametrize(
    "html",
    [
        "<div>" * 100_000,  # 58 s in html5ever
        "<div" + "".join(f" a{i}" for i in range(400_000)) + ">",  # 132 s
        "&" * 5_000_000,  # minutes: escaping one long text node
        "<!---->" * 700_000,
        "<a" * 2_000_000,
    ],
)
def test_pathological_markup_is_shown_as_text(html: str) -> None:
    result = sanitize_html(html, cid_url=lambda cid: None)
    assert result.simplified
    assert result.html.startswith("<div style=")


@pytest.mark.parametrize(
    "html",
    [
        "<p>" + "".join(f"<b a{i}>" for i in range(2000)) + "</p>" + "<p>x</p>" * 2000,  # was 28 MB, 1 GB
        "\xa0" * 1_000_000,
        ("&nbsp;" * 63 + "</x>") * 10_000,  # a stray end tag does not end a text node
        "<b><div></b>" * 3000,
    ],
)
def test_amplifying_markup_is_parsed_without_amplification(html: str) -> None:
    result = sanitize_html(html, cid_url=lambda cid: None)
    assert not result.simplified
    assert len(result.html) < 12 * len(html)


def test_simplified_markup_keeps_its_text_and_drops_hidden_blocks() -> None:
    html = (
        "<html><head><title>T</title><style>p { color: red }</style></head><body><p>Hi &amp; there</p>"
        "<div>line<br>next https://x.example/a</div><script>alert(1)</script><!-- secret -->" + "<" * 1_000_001
    )
    result = sanitize_html(html, cid_url=lambda cid: None)
    assert result.simplified
    assert "Hi &amp; there\n\nline\nnext " in result.html
    assert result.links == 1
    for hidden in ("color", "alert", "secret", "<script", "<p>"):
        assert hidden not in result.html
