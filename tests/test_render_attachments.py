"""Attachment names, Content-Disposition and served types: safe for any name and any claimed type."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailseal.render import (
    MAX_FILENAME_CHARS,
    OCTET_STREAM,
    content_disposition,
    is_inline_viewable,
    safe_charset,
    safe_content_type,
    safe_filename,
)
from mailseal.render.unicode import BIDI_CONTROLS, INVISIBLE

HEADER = re.compile(
    r"(inline|attachment); filename=\"((?:[ !#-\[\]-~]|\\[\"\\])*)\"; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]+)"
)
WINDOWS_FORBIDDEN = set('<>:"/\\|?*')


def check_filename(name: str) -> None:
    assert 0 < len(name) <= MAX_FILENAME_CHARS
    assert len(name.encode("utf-8")) <= 240
    assert name == unicodedata.normalize("NFC", name)
    assert not set(name) & (set(BIDI_CONTROLS) | set(INVISIBLE) | WINDOWS_FORBIDDEN)
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in name)
    assert not name.startswith((".", " ")) and not name.endswith((".", " "))


def check_header(value: str, name: str, *, inline: bool) -> None:
    assert "\r" not in value and "\n" not in value
    value.encode("ascii")
    match = HEADER.fullmatch(value)
    assert match is not None, value
    assert match[1] == ("inline" if inline else "attachment")
    assert unquote(match[3], errors="strict") == name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\bob\\evil.exe", "evil.exe"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("pay\u200bpal.html", "paypal.html"),
        ("\u2066x\u2069.pdf", "x.pdf"),
        (".htaccess", "htaccess"),
        ("...", "attachment"),
        ("CON.txt", "_CON.txt"),
        ("nul", "_nul"),
        ("com1.pdf", "_com1.pdf"),
        ("what?<now>*.txt", "what__now__.txt"),
        ("file\r\nname\t2.txt", "file name 2.txt"),
        ("trailing dots. . .", "trailing dots"),
        ("e\u0301te\u0301.pdf", "\u00e9t\u00e9.pdf"),
        ("", "attachment"),
        (None, "attachment"),
        ("\x00\x01", "attachment"),
    ],
)
def test_safe_filename(name: str | None, expected: str) -> None:
    assert safe_filename(name) == expected


def test_a_long_name_keeps_its_extension() -> None:
    name = safe_filename("a" * 500 + ".docx")
    assert len(name) == MAX_FILENAME_CHARS
    assert name.endswith("a.docx")


def test_a_long_name_in_a_wide_script_fits_a_file_system() -> None:
    name = safe_filename("\U0001f600" * 200 + ".png")
    assert len(name.encode("utf-8")) <= 240
    assert name.endswith("\U0001f600.png")


def test_the_fallback_is_used_and_cleaned_too() -> None:
    assert safe_filename("\u202e", fallback="message.txt") == "message.txt"
    assert safe_filename(None, fallback="../x\u202e.eml") == "x.eml"
    assert safe_filename(None, fallback="") == "attachment"


def test_content_disposition_gives_an_ascii_name_and_the_utf8_name() -> None:
    assert content_disposition("r\u00e9sum\u00e9 2024.pdf", inline=False) == (
        "attachment; filename=\"resume 2024.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%202024.pdf"
    )
    assert content_disposition("\u65e5\u672c.txt", inline=True) == (
        "inline; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"
    )


def test_content_disposition_cleans_the_name_first() -> None:
    assert content_disposition('dir\\a"b\r\nc%41.pdf', inline=False) == (
        "attachment; filename=\"a_b c_41.pdf\"; filename*=UTF-8''a_b%20c%2541.pdf"
    )


def test_naughty_strings_make_safe_names_and_headers(corpora: Path) -> None:
    for text in json.loads((corpora / "strings" / "blns.json").read_text(encoding="utf-8")):
        name = safe_filename(text)
        check_filename(name)
        for inline in (True, False):
            check_header(content_disposition(text, inline=inline), name, inline=inline)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
@example(".\r0")  # once gave " 0": a dot stripped, then the space it uncovered kept
def test_any_text_makes_a_safe_name_and_header(text: str) -> None:
    name = safe_filename(text)
    check_filename(name)
    check_header(content_disposition(text, inline=False), name, inline=False)
    assert safe_filename(name) == name


@pytest.mark.parametrize(
    ("claimed", "served"),
    [
        ("image/png", "image/png"),
        ("IMAGE/JPG; name=x.jpg", "image/jpeg"),
        ("application/pdf", "application/pdf"),
        ("text/plain", "text/plain"),
        ('text/plain; charset="ISO-8859-1"', "text/plain"),
        ("text/plain; charset=x\r\nSet-Cookie: a=b", "text/plain"),
        ("text/csv; charset=windows-1252", "text/csv"),
        ("audio/mp3", "audio/mpeg"),
        ("video/mp4", "video/mp4"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", None),
        ("text/html", OCTET_STREAM),
        ("application/xhtml+xml", OCTET_STREAM),
        ("image/svg+xml", OCTET_STREAM),
        ("text/xml", OCTET_STREAM),
        ("application/xml", OCTET_STREAM),
        ("application/javascript", OCTET_STREAM),
        ("text/javascript", OCTET_STREAM),
        ("multipart/x-mixed-replace; boundary=x", OCTET_STREAM),
        ("application/x-shockwave-flash", OCTET_STREAM),
        ("text/html\r\nX: y", OCTET_STREAM),
        ("", OCTET_STREAM),
        (None, OCTET_STREAM),
    ],
)
def test_safe_content_type(claimed: str | None, served: str | None) -> None:
    assert safe_content_type(claimed) == (served or claimed)


@pytest.mark.parametrize(
    ("named", "served"),
    [
        ("ISO-8859-1", "iso-8859-1"),
        ('"windows-1252"', "windows-1252"),
        ("utf-8", "utf-8"),
        ("", "utf-8"),
        (None, "utf-8"),
        ("utf-7", "utf-8"),
        ("UTF_7", "utf-8"),
        ("csUnicode11UTF7", "utf-8"),
        ("x-user-defined", "utf-8"),
        ("x-klingon", "utf-8"),
        ("x\r\nSet-Cookie: a=b", "utf-8"),
    ],
)
def test_safe_charset(named: str | None, served: str) -> None:
    """The sender's charset when it is a known, safe encoding (no UTF-7, nothing a header could carry)."""
    assert safe_charset(named) == served


@pytest.mark.parametrize(
    ("content_type", "viewable"),
    [
        ("image/png", True),
        ("image/jpg", True),
        ("application/pdf", True),
        ("text/plain; charset=utf-8", True),
        ("audio/ogg", True),
        ("video/webm", True),
        ("text/csv", False),
        ("application/zip", False),
        ("text/html", False),
        ("image/svg+xml", False),
        (None, False),
    ],
)
def test_is_inline_viewable(content_type: str | None, viewable: bool) -> None:
    assert is_inline_viewable(content_type) is viewable
