"""text_to_html: plain-text mail shown as text, never as markup."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from mailseal.errors import TooLarge
from mailseal.render import MAX_TEXT_CHARS, text_to_html

LINK = 'rel="noopener noreferrer nofollow" target="_blank"'


def body(html: str) -> str:
    """The fragment without its wrapping div."""
    assert html.startswith('<div style="white-space: pre-wrap;')
    return html[html.index(">") + 1 : -len("</div>")]


def test_markup_in_text_is_shown_not_run() -> None:
    html = text_to_html('<script>alert("x")</script> & <b onmouseover=alert(1)>')
    assert body(html) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b onmouseover=alert(1)&gt;"


def test_line_breaks_and_spacing_are_kept() -> None:
    assert body(text_to_html("one\r\ntwo\rthree\n\n  indented")) == "one\ntwo\nthree\n\n  indented"


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("see https://example.org/a?b=1&c=2.", "https://example.org/a?b=1&amp;c=2"),
        ("(https://example.org/wiki/Foo_(bar))", "https://example.org/wiki/Foo_(bar)"),
        ("at <http://example.org/x>, ok", "http://example.org/x"),
        ("HTTP://EXAMPLE.ORG!", "HTTP://EXAMPLE.ORG"),
    ],
)
def test_web_links_become_links(text: str, url: str) -> None:
    assert f'<a href="{url}" {LINK}>{url}</a>' in text_to_html(text)


@pytest.mark.parametrize(
    "text", ["javascript:alert(1)", "data:text/html,<b>x</b>", "ftp://example.org/x", "https://", "www.example.org"]
)
def test_nothing_else_becomes_a_link(text: str) -> None:
    assert "<a " not in text_to_html(text)


def test_a_quote_in_a_url_cannot_leave_the_attribute() -> None:
    html = text_to_html('https://example.org/"onmouseover="alert(1)')
    assert '<a href="https://example.org/" ' in html


def test_quoted_lines_become_nested_blockquotes() -> None:
    html = body(text_to_html("Reply\n> quoted\n>> deeper\n> > also deeper\n> back\nend"))
    assert html.count("<blockquote") == 2
    opened = html.index("<blockquote")
    assert html[:opened] == "Reply"
    assert ">quoted" in html and ">deeper\nalso deeper</blockquote>back</blockquote>end" in html


def test_quoting_deeper_than_the_limit_is_shown_at_the_limit() -> None:
    assert body(text_to_html(">" * 500 + " deep")).count("<blockquote") == 16


def test_text_to_html_parses_back_to_the_text() -> None:
    text = "a < b > c & d \"e\" 'f'\n> g https://x.example/?a=1&b=2\nh"

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    parser = Text()
    parser.feed(text_to_html(text))
    parser.close()
    # The quote marks go, and the line breaks around the quote are the block quote's edges.
    assert "".join(parser.parts) == "a < b > c & d \"e\" 'f'" + "g https://x.example/?a=1&b=2" + "h"


def test_controls_and_lone_surrogates_are_removed_or_replaced() -> None:
    assert body(text_to_html("a\x00b\x1bc\ud800d\te")) == "abc\ufffdd\te"


def test_oversized_text_is_refused() -> None:
    with pytest.raises(TooLarge):
        text_to_html("x" * (MAX_TEXT_CHARS + 1))


def test_many_closing_brackets_after_a_url_stay_linear() -> None:
    html = text_to_html("https://x.example/" + ")" * 200_000)
    assert '<a href="https://x.example/"' in html
