"""sanitize_html: what a mail keeps, what it loses, and what is counted."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from mailseal.errors import TooLarge
from mailseal.render import MAX_HTML_CHARS, SanitizedHtml, sanitize_html

PNG = "data:image/png;base64,iVBORw0KGgo="


def no_cid(content_id: str) -> str | None:
    return None


def clean(html: str) -> SanitizedHtml:
    return sanitize_html(html, cid_url=no_cid)


class Elements(HTMLParser):
    """The start tags of a fragment, with their attributes, as a browser-like parser reads them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def test_tracking_pixel_is_removed_and_counted() -> None:
    result = clean('<p>Hi</p><img src="https://track.example/open.gif?u=1" width="1" height="1" alt="">')
    assert result.html == "<p>Hi</p>"
    assert result.remote_images_blocked == 1


@pytest.mark.parametrize(
    "src",
    ["http://x.example/a.png", "HTTPS://x.example/a.png", "//x.example/a.png", "/a.png", "a.png", " https://x/a"],
)
def test_every_image_from_elsewhere_is_blocked(src: str) -> None:
    result = clean(f'<img src="{src}" alt="logo">')
    assert "<img" not in result.html
    assert result.remote_images_blocked == 1


def test_remote_backgrounds_and_css_urls_are_removed_and_counted() -> None:
    result = clean(
        '<table background="https://x.example/bg.png"><tr><td background="bg.png" '
        "style=\"color: red; background-image: url('https://x.example/t.gif')\">c</td></tr></table>"
    )
    assert "background" not in result.html.replace("background-color", "")
    assert "url(" not in result.html
    assert 'style="color: red"' in result.html
    assert result.remote_images_blocked == 3


def test_cid_image_is_rewritten_through_cid_url() -> None:
    asked: list[str] = []

    def cid_url(content_id: str) -> str | None:
        asked.append(content_id)
        return PNG if content_id == "logo@mail.example" else None

    result = sanitize_html(
        '<img src="cid:logo@mail.example" alt="Logo"><img src="CID:%3Cmissing%40x%3E">', cid_url=cid_url
    )
    assert asked == ["logo@mail.example", "missing@x"]
    assert result.html == f'<img src="{PNG}" alt="Logo">'
    assert result.remote_images_blocked == 0


def test_cid_url_may_point_at_the_api_but_never_at_a_script() -> None:
    result = sanitize_html(
        '<img src="cid:a"><img src="cid:b">',
        cid_url=lambda cid: "https://mail.example/api/parts/a" if cid == "a" else "javascript:alert(1)",
    )
    assert result.html == '<img src="https://mail.example/api/parts/a">'


def test_an_error_in_cid_url_is_raised_not_swallowed() -> None:
    def broken(content_id: str) -> str | None:
        raise LookupError(content_id)

    with pytest.raises(LookupError):
        sanitize_html('<img src="cid:x">', cid_url=broken)


def test_data_images_of_raster_types_are_kept_in_canonical_form() -> None:
    result = clean(
        '<img src="data:image/PNG;base64,iVBO Rw0K\nGgo="><img src="data:image/jpg;base64,/9j/"><img '
        'src="data:image/webp;name=a.webp;base64,UklGRg==">'
    )
    sources = [attrs["src"] for attrs in Elements(result.html).named("img")]
    assert sources == [PNG, "data:image/jpeg;base64,/9j/", "data:image/webp;base64,UklGRg=="]
    assert result.remote_images_blocked == 0


@pytest.mark.parametrize(
    "src",
    [
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
        "data:image/svg+xml,<svg onload=alert(1)>",
        "data:text/html;base64,PHNjcmlwdD4=",
        "data:image/png,notbase64",
        "data:image/png;base64,!!!",
    ],
)
def test_other_data_urls_are_dropped(src: str) -> None:
    assert "<img" not in clean(f'<img src="{src}">').html


def test_a_data_image_over_the_limit_is_dropped() -> None:
    big = "data:image/png;base64," + "A" * (1024 * 1024)
    assert "<img" not in clean(f'<img src="{big}">').html


def test_links_open_outside_without_referrer_and_are_counted() -> None:
    result = clean('<a href="https://bank.example/login" target="_self" rel="opener" onclick="steal()">Log in</a>')
    [link] = Elements(result.html).named("a")
    assert link == {
        "href": "https://bank.example/login",
        "target": "_blank",
        "rel": "noopener noreferrer nofollow",
    }
    assert result.links == 1


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "cid:part@x",
        "/relative",
        "#top",
        "file:///etc/passwd",
    ],
)
def test_links_other_than_web_and_mail_lose_their_href(href: str) -> None:
    result = clean(f'<a href="{href}">x</a>')
    [link] = Elements(result.html).named("a")
    assert "href" not in link
    assert result.links == 0


def test_mailto_links_are_kept() -> None:
    result = clean('<a href="mailto:bob@example.org?subject=Hi">Bob</a>')
    assert Elements(result.html).named("a")[0]["href"] == "mailto:bob@example.org?subject=Hi"


def test_inline_styles_keep_only_safe_declarations() -> None:
    result = clean(
        "<p style=\"color: #333; position: fixed; top: 0; font-family: 'Segoe UI', Arial; "
        'width: expression(alert(1)); behavior: url(x.htc); margin: -200px; padding: 4px">x</p>'
    )
    [paragraph] = Elements(result.html).named("p")
    assert paragraph["style"] == "color: #333; font-family: 'Segoe UI', Arial; padding: 4px"


def test_event_handlers_ids_names_and_classes_are_dropped() -> None:
    result = clean('<div id="x" class="c" name="n" onmouseover="alert(1)" title="t" align="center">d</div>')
    assert Elements(result.html).named("div") == [{"title": "t", "align": "center"}]


@pytest.mark.parametrize(
    ("html", "kept"),
    [
        ("<script>alert(1)</script>after", "after"),
        ("<style>p { color: red }</style>after", "after"),
        ("<svg><g onload=alert(1)><text>svg</text></g></svg>after", "after"),
        ("<math><mi>x</mi></math>after", "after"),
        ("<iframe src=https://x.example></iframe>after", "after"),
        ("<object data=x.swf><embed src=x.swf></object>after", "after"),
        ('<form action="https://x.example"><input name=a value=v><button>Go</button></form>', "Go"),
        ("<title>Newsletter</title><template><p>t</p></template>after", "after"),
        (
            '<link rel=stylesheet href="https://x.example/s.css"><meta http-equiv=refresh content="0;url=x">after',
            "after",
        ),
        ("<base href=https://evil.example/>after", "after"),
    ],
)
def test_active_and_hidden_content_is_dropped(html: str, kept: str) -> None:
    assert clean(html).html == kept


def test_noscript_content_is_what_a_reader_without_scripts_sees() -> None:
    assert clean("<noscript><p>Enable images</p></noscript>").html == "<p>Enable images</p>"


def test_formatting_elements_keep_their_names_and_attributes() -> None:
    result = clean('<B style="color:red">bold <I>it</I></B> <FONT color="#00f" face="Arial">f</FONT> <u>u</u>')
    assert result.html == ('<b style="color: red">bold <i>it</i></b> <font color="#00f" face="Arial">f</font> <u>u</u>')


def test_misnested_formatting_is_not_rebuilt_for_later_paragraphs() -> None:
    assert clean("<p><b>bold</p><p>plain</p>").html == "<p><b>bold</b></p><p>plain</p>"


def test_mail_structure_survives() -> None:
    html = (
        '<table width="600" cellpadding="0" border="0"><tr><td valign="top" bgcolor="#ffffff" colspan="2">'
        "<h1>Title</h1><ul><li>one</li></ul><blockquote>quoted</blockquote><pre>code</pre></td></tr></table>"
    )
    assert clean(html).html == (
        '<table width="600" cellpadding="0" border="0"><tbody><tr><td valign="top" bgcolor="#ffffff" '
        'colspan="2"><h1>Title</h1><ul><li>one</li></ul><blockquote>quoted</blockquote><pre>code</pre>'
        "</td></tr></tbody></table>"
    )


def test_text_is_escaped_and_attribute_values_stay_values() -> None:
    result = clean('<p title="&quot;><script>alert(1)</script>">1 &lt; 2 &amp; 3 &gt; 2</p>')
    assert result.html == '<p title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">1 &lt; 2 &amp; 3 &gt; 2</p>'


def test_many_entities_in_one_text_keep_their_text() -> None:
    text = "&amp;&nbsp;x" * 500
    result = clean(f"<p>{text}</p>")
    assert result.html == "<p>" + "&amp;&nbsp;x" * 500 + "</p>"


def test_oversized_html_is_refused() -> None:
    with pytest.raises(TooLarge):
        clean("x" * (MAX_HTML_CHARS + 1))


def test_lone_surrogates_do_not_break_sanitizing() -> None:
    assert clean("<p>a\ud800b</p>").html == "<p>a\ufffdb</p>"


def test_sanitizing_twice_changes_nothing() -> None:
    html = '<div><a href="https://x.example">x</a><b><i>y</i></b><img src="cid:a" alt="a"></div>'
    once = sanitize_html(html, cid_url=lambda cid: PNG)
    twice = sanitize_html(once.html, cid_url=no_cid)
    assert Elements(twice.html).tags == Elements(once.html).tags
