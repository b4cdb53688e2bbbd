"""Composing the wrapper and passcode mails: structure, escaping, and no header injection of any kind."""

from __future__ import annotations

import base64
import email
import email.parser
import email.policy
import json
import os
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailseal.errors import InputError
from mailseal.mail import Branding, compose_passcode_mail, compose_wrapper_mail, find_envelopes

ENVELOPE = b"mailseal/v1\n" + bytes(range(256)) * 2
VIEW_URL = "https://mail.contoso.example/m/abc123?k=1&v=2"
WRAPPER_HEADERS = ["from", "to", "subject", "date", "message-id", "x-mailseal", "x-auto-response-suppress",
                   "mime-version", "content-type"]
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def message_html(envelope: bytes = ENVELOPE) -> bytes:
    text = base64.b64encode(envelope).decode()
    lines = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    return (
        "<!DOCTYPE html><html><body><p>This is a protected message.</p><pre>\n"
        f"-----BEGIN MAILSEAL MESSAGE-----\n{lines}\n-----END MAILSEAL MESSAGE-----\n</pre></body></html>"
    ).encode()


def wrapper(**changes: Any) -> bytes:
    values: dict[str, Any] = {
        "branding": Branding(org_name="Contoso", intro="Hello from Contoso.", disclaimer="Confidential."),
        "mail_from": "no-reply@contoso.example",
        "sender_display": "Alice Example",
        "recipient": "bob@example.org",
        "subject": "Q3 results",
        "view_url": VIEW_URL,
        "expires_at": 1_900_000_000,
        "template": "do-not-forward",
        "message_html": message_html(),
        "forward_hint_domain": "in.contoso.example",
        "message_id_domain": "contoso.example",
    }
    values.update(changes)
    raw: bytes = compose_wrapper_mail(**values)
    return raw


def passcode(**changes: Any) -> bytes:
    values: dict[str, Any] = {
        "branding": Branding(org_name="Contoso"),
        "mail_from": "no-reply@contoso.example",
        "recipient": "bob@example.org",
        "code": "04815162",
        "reference": "K7QF",
        "expires_minutes": 10,
        "message_id_domain": "contoso.example",
    }
    values.update(changes)
    raw: bytes = compose_passcode_mail(**values)
    return raw


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def header_names(raw: bytes) -> list[str]:
    headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    return [name.lower() for name in headers.keys()]


def html_of(raw: bytes) -> str:
    part = parse(raw).get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def text_of(raw: bytes) -> str:
    part = parse(raw).get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_wrapper_structure() -> None:
    raw = wrapper()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    msg = parse(raw)
    assert header_names(raw) == WRAPPER_HEADERS
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == "text/html"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "message.html"
    assert attachment.get_content() == message_html().decode()
    assert msg["Subject"] == "Alice Example sent you a protected message"
    assert msg["To"] == "bob@example.org"
    assert msg["From"].addresses[0].addr_spec == "no-reply@contoso.example"
    assert msg["From"].addresses[0].display_name == "Alice Example via Contoso"
    assert re.fullmatch(r"<[^@>]+@contoso\.example>", msg["Message-ID"])
    assert msg["Date"].datetime is not None
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_wrapper_says_what_a_recipient_needs() -> None:
    html, text = html_of(wrapper()), text_of(wrapper())
    for body in (html, text):
        assert "Alice Example" in body
        assert "message.html" in body
        assert "Mailseal app" in body
        assert "@in.contoso.example" in body
        assert "Do Not Forward" in body
        assert "Confidential." in body and "Hello from Contoso." in body
        assert "Sunday, 17 March 2030, 17:46 UTC" in body  # the expiry, in words (CLDR, en-GB)
    assert "Q3 results" not in html + text  # show_subject is off
    assert f'href="{VIEW_URL.replace("&", "&amp;")}"' in html
    assert VIEW_URL in text
    assert "Read the message" in html and "max-width:600px" in html
    assert "<script" not in html.lower() and "<style" not in html.lower()


def test_show_subject_and_optional_parts() -> None:
    raw = wrapper(branding=Branding(show_subject=True), expires_at=None, forward_hint_domain=None)
    assert parse(raw)["Subject"] == "Q3 results"
    html = html_of(raw)
    assert "Q3 results" in html
    assert "You can read it until" not in html and "forward this mail" not in html
    assert parse(wrapper(branding=Branding(show_subject=True), subject=None))["Subject"].endswith(
        "sent you a protected message"
    )


def test_every_inserted_value_is_escaped() -> None:
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>&amp;'
    raw = wrapper(
        branding=Branding(org_name=evil, intro=evil, disclaimer=evil, show_subject=True),
        sender_display=evil,
        subject=evil,
        template=evil,
    )
    html = html_of(raw)
    assert "<script" not in html and "<img src=x" not in html and "onerror=alert(2)>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;&amp;amp;" in html
    assert "<img" not in html  # and no remote image at all without a logo


def test_only_the_https_logo_is_remote() -> None:
    html = html_of(wrapper(branding=Branding(logo_url="https://cdn.contoso.example/logo.png")))
    sources = re.findall(r'src="([^"]*)"', html)
    assert sources == ["https://cdn.contoso.example/logo.png"]
    assert "background=" not in html and "url(" not in html


def test_data_logo_travels_as_an_inline_image() -> None:
    logo = "data:image/png;base64," + base64.b64encode(PIXEL_PNG).decode()
    raw = wrapper(branding=Branding(logo_url=logo))
    msg = parse(raw)
    alternative, _ = msg.iter_parts()
    _, related = alternative.iter_parts()
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.iter_parts()
    cid = image["Content-ID"].strip("<>")
    assert image.get_content() == PIXEL_PNG
    assert f'src="cid:{cid}"' in str(html_part.get_content())
    assert "data:" not in str(html_part.get_content())
    assert find_envelopes(raw) == [ENVELOPE]


@pytest.mark.parametrize(
    "changes",
    [
        {"colour": "red"},
        {"colour": "#12345"},
        {"colour": "#1234567"},
        {"logo_url": "javascript:alert(1)"},
        {"logo_url": "http://cdn.example/logo.png"},
        {"logo_url": 'https://cdn.example/x"onerror="alert(1)'},
        {"logo_url": "data:image/svg+xml;base64,PHN2Zy8+"},
        {"logo_url": "data:image/png;base64,%%%"},
    ],
)
def test_branding_is_validated(changes: dict[str, str]) -> None:
    with pytest.raises(InputError):
        Branding(**changes)


def test_button_text_stays_readable() -> None:
    assert Branding(colour="#1a56db").button_text_colour == "#ffffff"
    assert Branding(colour="#ffe066").button_text_colour == "#000000"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", 'https://x.example/"><script>', "https://u:p@x.example/",
            "https://x.example/a b", "ftp://x.example/", "/relative"],
)
def test_view_url_is_checked(url: str) -> None:
    with pytest.raises(InputError):
        wrapper(view_url=url)


INJECTIONS = [
    "Hi\r\nBcc: eve@evil.example",
    "Hi\nBcc: eve@evil.example",
    "Hi\rBcc: eve@evil.example",
    "Hi\x00Bcc: eve@evil.example",
    "Hi\u2028Bcc: eve@evil.example",
    "Hi\u2029Bcc: eve@evil.example",
    "Hi\x85Bcc: eve@evil.example",
    "Hi\x0bBcc: eve@evil.example\x0c",
    "Hi\x1cBcc: eve@evil.example",
    "=?utf-8?q?Hi=0D=0ABcc:_eve@evil.example?=",
    "=?utf-8?b?" + base64.b64encode(b"Hi\r\nBcc: eve@evil.example").decode() + "?=",
    "=?utf-8?q?=3D=3Futf-8=3Fq=3FHi=3D0D=3D0ABcc:_eve@evil.example=3F=3D?=",  # encoded twice
    "x" * 70 + " =?utf-8?q?=0ABcc:_eve@evil.example?= " + "y" * 70,
    "=?utf-8?q?=E2=80=A8Bcc:_eve@evil.example?=",
    "=?bogus-charset?q?Hi=0ABcc:_eve@evil.example?=",
    "Hi =?utf-8?q?not closed",
    "\u202eevil\u202c reversed",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_header_injection_never_adds_a_header(payload: str) -> None:
    attempts = [
        {"subject": payload, "branding": Branding(show_subject=True)},
        {"sender_display": payload},
        {"template": payload},
        {"branding": Branding(org_name=payload)},
        {"recipient": payload},
        {"recipient": f"bob@example.org{payload}"},
        {"mail_from": f"no-reply@contoso.example{payload}"},
        {"message_id_domain": f"contoso.example{payload}"},
        {"forward_hint_domain": f"in.contoso.example{payload}"},
    ]
    for changes in attempts:
        try:
            raw = wrapper(**changes)
        except InputError:
            continue
        assert header_names(raw) == WRAPPER_HEADERS, changes
        assert b"eve@evil.example" not in b"\r\n".join(
            line for line in raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n") if line.lower().startswith(b"bcc")
        )
        msg = parse(raw)
        assert not msg.defects
        for value in (str(msg["Subject"]), str(msg["From"])):
            assert not re.search(r"[\r\n\x00\u2028\u2029\x85\u202e]", value)


def test_line_breaks_in_header_values_are_refused() -> None:
    with pytest.raises(InputError):
        wrapper(subject="Hi\r\nBcc: eve@evil.example", branding=Branding(show_subject=True))
    with pytest.raises(InputError):
        wrapper(sender_display="=?utf-8?q?Alice=0D=0ABcc:_eve@evil.example?=")


def test_encoded_words_are_shown_decoded_and_never_decoded_twice() -> None:
    raw = wrapper(sender_display="=?utf-8?q?J=C3=B6rg?=", subject="=?utf-8?q?=3D=3Fx=3Fq=3Fy=3F=3D?=",
                  branding=Branding(show_subject=True))
    msg = parse(raw)
    assert msg["From"].addresses[0].display_name == "Jörg via Mailseal"
    assert "Jörg sent you" in html_of(raw)
    assert msg["Subject"].replace("\u2060", "") == "=?x?q?y?="  # shown literally, not decoded again


@given(subject=st.text(max_size=300), sender=st.text(max_size=120))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_text_either_composes_safely_or_is_refused(subject: str, sender: str) -> None:
    try:
        raw = wrapper(subject=subject, sender_display=sender, branding=Branding(show_subject=True))
    except InputError:
        assert re.search(r"[\r\n]", subject + sender) or "=?" in subject + sender
        return
    assert header_names(raw) == WRAPPER_HEADERS
    assert not parse(raw).defects


def test_naughty_strings_never_add_headers(corpora: Path) -> None:
    strings = json.loads((corpora / "strings" / "blns.json").read_text(encoding="utf-8"))
    branding = Branding(show_subject=True)
    for value in strings:
        try:
            raw = wrapper(subject=value, sender_display=value, branding=branding)
        except InputError:
            continue
        assert header_names(raw) == WRAPPER_HEADERS, value


def test_wrapper_round_trips_through_find_envelopes() -> None:
    envelope = b"mailseal/v1\n" + os.urandom(5000)
    assert find_envelopes(wrapper(message_html=message_html(envelope))) == [envelope]


def test_passcode_mail() -> None:
    raw = passcode()
    msg = parse(raw)
    assert msg["Subject"] == "Your Mailseal code"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["To"] == "bob@example.org"
    assert msg.get_content_type() == "multipart/alternative"
    html, text = html_of(raw), text_of(raw)
    for body in (html, text):
        assert "04815162" in body
        assert "sign-in K7QF" in body or "sign-in <strong>K7QF</strong>" in body
        assert "10 minutes" in body
        assert "did not ask for it, ignore this mail" in body
    assert "font-size:36px" in html
    assert "04815162" not in str(msg["Subject"])
    preheader = re.search(r'<div style="display:none[^>]*>([^<]*)</div>', html)
    assert preheader is not None and "04815162" not in preheader.group(1)


def test_a_long_passcode_is_shown_in_groups_of_four() -> None:
    raw = passcode(code="0481516223420815")
    html, text = html_of(raw), text_of(raw)
    for body in (html, text):
        assert "0481 5162 2342 0815" in body
    assert "font-size:24px" in html, "16 digits fit a phone's screen"


@pytest.mark.parametrize(
    "changes",
    [{"code": "1234"}, {"code": "1234567a"}, {"code": "1" * 17}, {"code": "12345678\r\nBcc: x@y.z"},
     {"reference": "k7qf"}, {"reference": "K7QF\nX"}, {"expires_minutes": 0}, {"recipient": "not an address"}],
)
def test_passcode_inputs_are_checked(changes: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        passcode(**changes)


def test_the_footer_names_the_organisation_once() -> None:
    """With the default org name the footer said "Sent by Mailseal with Mailseal."."""
    for raw in (wrapper(branding=Branding()), passcode(branding=Branding())):
        for body in (html_of(raw), text_of(raw)):
            assert "Sent with Mailseal." in body and "Sent by Mailseal" not in body
    for body in (html_of(wrapper()), text_of(passcode())):
        assert "Sent by Contoso with Mailseal." in body


def test_each_platform_is_told_its_own_way_in() -> None:
    """iOS cannot share a file to a web app: iPhone readers are told to save it to Files and open it from
    the app; only Android readers are told to share it."""
    message = parse(wrapper())
    text_part, html_part = message.get_body(("plain",)), message.get_body(("html",))
    assert text_part is not None and html_part is not None
    text = " ".join(text_part.get_content().split())
    html = " ".join(html_part.get_content().split())
    for words in (text, html):
        assert "iPhone or iPad" in words and "to Files" in words and "Open a protected message" in words
        assert "Android" in words
        share = words.index("share the attached")
        assert words.rfind("Android", 0, share) > words.rfind("iPhone", 0, share), "sharing is Android's way"
