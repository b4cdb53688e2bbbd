"""The viewer document and its Content-Security-Policy: nothing runs, nothing loads from elsewhere."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

import mailseal.render as render
from mailseal.errors import ConfigError
from mailseal.render import FRAME_SANDBOX, sanitize_html, text_to_html, viewer_csp, wrap_for_viewer


def directives(csp: str) -> dict[str, str]:
    return {name: value for name, _, value in (part.strip().partition(" ") for part in csp.split(";"))}


def test_the_policy_loads_nothing_and_runs_nothing() -> None:
    policy = directives(viewer_csp())
    assert policy == {
        "default-src": "'none'",
        "img-src": "data:",
        "style-src": "'unsafe-inline'",
        "form-action": "'none'",
        "base-uri": "'none'",
    }


def test_the_header_policy_also_sandboxes_and_names_the_framer() -> None:
    policy = directives(viewer_csp(for_header=True))
    assert policy["sandbox"] == FRAME_SANDBOX == "allow-same-origin allow-popups allow-popups-to-escape-sandbox"
    # Same origin (so the app can measure the frame) only because no script can ever run in it.
    assert "allow-scripts" not in policy["sandbox"] and "script-src" not in policy
    assert policy["frame-ancestors"] == "'self'"


def test_an_api_origin_is_the_only_other_image_source() -> None:
    assert directives(viewer_csp("https://Mail.Example.org:8443/"))["img-src"] == "data: https://mail.example.org:8443"
    assert directives(viewer_csp("http://localhost:8000"))["img-src"] == "data: http://localhost:8000"


@pytest.mark.parametrize(
    "origin",
    [
        "http://mail.example.org",
        "https://mail.example.org/api",
        "https://*.example.org",
        "https://mail.example.org; script-src *",
        "https://mail.example.org 'unsafe-inline'",
        "javascript:alert(1)",
        "",
    ],
)
def test_an_api_origin_that_is_not_one_https_origin_is_refused(origin: str) -> None:
    with pytest.raises(ConfigError):
        viewer_csp(origin)


class Document(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.style = ""
        self._in_style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data


def test_the_document_carries_the_policy_before_any_content() -> None:
    safe = sanitize_html('<p>Hello <img src="https://t.example/x.gif"></p>', cid_url=lambda cid: None).html
    html = wrap_for_viewer(safe)
    assert html.startswith("<!DOCTYPE html>")
    document = Document(html)
    tags = [tag for tag, _ in document.elements]
    assert tags[:3] == ["html", "head", "meta"]
    assert document.elements[2][1] == {"charset": "utf-8"}
    assert document.elements[3] == ("meta", {"http-equiv": "Content-Security-Policy", "content": viewer_csp()})
    assert ("meta", {"name": "referrer", "content": "no-referrer"}) in document.elements
    assert ("base", {"target": "_blank"}) in document.elements
    assert tags.index("body") > tags.index("style")
    assert html.endswith("<body><p>Hello </p></body></html>")


def test_the_stylesheet_fits_a_phone() -> None:
    style = Document(wrap_for_viewer("<p>x</p>")).style
    for rule in ("img{max-width:100%;height:auto}", "overflow-wrap:anywhere", "background:Canvas"):
        assert rule in style
    assert "url(" not in style and "@import" not in style


def test_colour_scheme_follows_dark_mode_only_when_asked() -> None:
    assert '<meta name="color-scheme" content="light">' in wrap_for_viewer("x")
    text = wrap_for_viewer(text_to_html("plain"), color_scheme="light dark")
    assert '<meta name="color-scheme" content="light dark">' in text


def test_the_public_surface() -> None:
    assert sorted(render.__all__) == sorted(
        [
            "FRAME_SANDBOX",
            "LIMITS",
            "MAX_DATA_URL_CHARS",
            "MAX_FILENAME_CHARS",
            "MAX_HTML_CHARS",
            "MAX_TEXT_CHARS",
            "OCTET_STREAM",
            "CidUrl",
            "ColorScheme",
            "Limits",
            "SanitizedHtml",
            "content_disposition",
            "is_inline_viewable",
            "safe_charset",
            "safe_content_type",
            "safe_filename",
            "sanitize_html",
            "text_to_html",
            "viewer_csp",
            "wrap_for_viewer",
        ]
    )
    assert all(hasattr(render, name) for name in render.__all__)
