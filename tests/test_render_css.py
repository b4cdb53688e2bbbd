"""Inline styles: allowed properties with values that cannot load or run anything."""

from __future__ import annotations

import pytest

from mailseal.render.css import MAX_STYLE_CHARS, filter_style


@pytest.mark.parametrize(
    ("style", "kept"),
    [
        ("color: red", "color: red"),
        ("COLOR:Red;;  font-size : 12PX !important", "color: Red; font-size: 12PX !important"),
        ("color: rgb(1, 2, 3); background-color: hsla(120deg, 50%, 50%, .5)", None),
        (
            "font-family: 'Segoe UI', Arial, \u5fae\u8f6f\u96c5\u9ed1",
            "font-family: 'Segoe UI', Arial, \u5fae\u8f6f\u96c5\u9ed1",
        ),
        ('font: 12px/1.5 "Helvetica Neue", sans-serif', 'font: 12px/1.5 "Helvetica Neue", sans-serif'),
        ("border-top: 1px solid #cccccc; padding: 0 8px; text-align: center", None),
        ("display: none", "display: none"),
        ("width: 100%; max-width: 600px", "width: 100%; max-width: 600px"),
    ],
)
def test_allowed_declarations_are_kept(style: str, kept: str | None) -> None:
    assert filter_style(style).style == (kept or style)


@pytest.mark.parametrize(
    "style",
    [
        "position: fixed",
        "position: absolute; top: 0; left: 0; z-index: 9999",
        "background: url(https://tracker.example/p.gif)",
        "background-image: url('data:image/png;base64,AAAA')",
        "list-style: url(x.png)",
        "width: expression(alert(1))",
        "behavior: url(x.htc)",
        "-moz-binding: url(x.xml#xss)",
        "color: red /* comment */",
        "color: \\72 ed",
        "background: u\\72l(x)",
        "font-family: 'a\\'b'",
        "color: red; }</style><script>",
        "margin: -500px",
        "text-indent: -9999px",
        "background: image-set('x.png' 1x)",
        "content: 'x'",
        "transform: rotate(180deg)",
        "color",
        ": red",
        'font-family: "a;b"',
    ],
)
def test_dangerous_or_unknown_declarations_are_dropped(style: str) -> None:
    kept = filter_style(style).style
    assert kept is None or kept == "color: red"


def test_only_the_bad_declaration_goes() -> None:
    result = filter_style("color: #333; position: fixed; background: url(http://x/y.png); padding: 4px")
    assert result.style == "color: #333; padding: 4px"
    assert result.remote_urls == 1


def test_urls_to_elsewhere_are_counted_but_data_urls_are_not() -> None:
    assert filter_style("background: url( 'https://x/a.png' ); list-style-image: URL(b.png)").remote_urls == 2
    assert filter_style('background: url("data:image/png;base64,AA")').remote_urls == 0


def test_a_huge_style_is_dropped_whole() -> None:
    assert filter_style("color: red;" * (MAX_STYLE_CHARS // 10)).style is None
