"""Finding envelopes in uploads and mails: raw, armored, attached, forwarded, re-encoded; bounded; never crashes."""

from __future__ import annotations

import base64
import email.policy
import html
import io
import os
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailseal.errors import MalformedMail, NoEnvelope, TooLarge
from mailseal.mail import Branding, compose_wrapper_mail, find_envelopes

ALLOWED = (NoEnvelope, MalformedMail, TooLarge)


def fake_envelope(size: int = 700) -> bytes:
    """Not a real envelope: the magic line and random bytes (the format room's job is not tested here)."""
    return b"mailseal/v1\n" + os.urandom(size)


def armor(envelope: bytes, *, width: int = 64, newline: str = "\n") -> str:
    text = base64.b64encode(envelope).decode()
    lines = newline.join(text[i : i + width] for i in range(0, len(text), width))
    return f"-----BEGIN MAILSEAL MESSAGE-----{newline}{lines}{newline}-----END MAILSEAL MESSAGE-----"


def page(envelope: bytes, **options: object) -> bytes:
    return (
        "<!DOCTYPE html><html><head><meta charset=utf-8><title>Protected message</title></head><body>"
        "<p>This file holds a protected message. Open it with Mailseal.</p>"
        f"<pre>{armor(envelope, **options)}</pre></body></html>"  # type: ignore[arg-type]
    ).encode()


def mail(subject: str = "Hi", body: str = "Hello.") -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = "alice@example.org"
    msg["To"] = "bob@example.net"
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def with_attachment(envelope: bytes, **options: str) -> EmailMessage:
    msg = mail()
    maintype, _, subtype = options.get("type", "text/html").partition("/")
    msg.add_attachment(page(envelope), maintype=maintype, subtype=subtype,
                       filename=options.get("filename", "message.html"),
                       cte=options.get("cte", "base64"))
    return msg


def forward(inner: EmailMessage, subject: str = "Fwd: Hi") -> EmailMessage:
    """A forward "as attachment": the whole mail as a message/rfc822 part."""
    outer = mail(subject, "See the forwarded mail.")
    outer.add_attachment(inner)
    return outer


def test_raw_envelope() -> None:
    envelope = fake_envelope()
    assert find_envelopes(envelope) == [envelope]


def test_armored_message_html() -> None:
    envelope = fake_envelope()
    assert find_envelopes(page(envelope)) == [envelope]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda a: a.replace("\n", "\r\n"),
        lambda a: a.replace("\n", " \n  "),
        lambda a: a.replace("\n", "<br>\n"),
        lambda a: "\n".join("> " + line for line in a.split("\n")),  # quoted in a reply
        lambda a: html.escape(a).replace("+", "&#43;").replace("/", "&#x2F;"),
        lambda a: a.replace("+", "-").replace("/", "_"),  # URL-safe alphabet
        lambda a: a.replace("=\n", "\n").replace("==", ""),  # padding lost
        lambda a: a.replace("-----\n", "-----\nVersion: 1\nComment: made by Mailseal\n\n", 1),
    ],
    ids=["crlf", "spaces", "br", "quoted", "entities", "urlsafe", "no-padding", "armor-headers"],
)
def test_armor_survives_what_clients_do_to_it(mangle: object) -> None:
    envelope = fake_envelope(701)
    text = mangle(armor(envelope))  # type: ignore[operator]
    assert find_envelopes(f"<html><body><div>{text}</div></body></html>".encode()) == [envelope]


def test_attached_message_html() -> None:
    envelope = fake_envelope()
    assert find_envelopes(with_attachment(envelope).as_bytes()) == [envelope]


def test_attached_as_octet_stream_or_raw_envelope_file() -> None:
    first, second = fake_envelope(), fake_envelope()
    msg = with_attachment(first, type="application/octet-stream", filename="message.html")
    msg.add_attachment(second, maintype="application", subtype="octet-stream", filename="message.mailseal")
    assert find_envelopes(msg.as_bytes()) == [first, second]


def test_our_own_wrapper_mail() -> None:
    envelope = fake_envelope(3000)
    raw = compose_wrapper_mail(
        branding=Branding(), mail_from="no-reply@example.org", sender_display="Alice", recipient="bob@example.net",
        subject=None, view_url="https://mail.example.org/m/1", expires_at=None, template="encrypt-only",
        message_html=page(envelope), forward_hint_domain=None, message_id_domain="example.org",
    )
    assert find_envelopes(raw) == [envelope]


def test_nested_forward_two_levels() -> None:
    envelope = fake_envelope()
    twice = forward(forward(with_attachment(envelope)), "Fwd: Fwd: Hi")
    assert twice.as_bytes().count(b"message/rfc822") == 2
    assert find_envelopes(twice.as_bytes()) == [envelope]


def test_forward_with_base64_encoded_message_part() -> None:
    # RFC 2046 forbids encoding message/rfc822, but some clients do it anyway.
    envelope = fake_envelope()
    inner = with_attachment(envelope).as_bytes()
    raw = (
        b"From: carol@example.org\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nsee\r\n'
        b"--b1\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(inner).replace(b"\n", b"\r\n")
        + b"--b1--\r\n"
    )
    assert find_envelopes(raw) == [envelope]


def test_forwarded_eml_file_attachment() -> None:
    envelope = fake_envelope()
    outer = mail("Fwd")
    outer.add_attachment(with_attachment(envelope).as_bytes(), maintype="application", subtype="octet-stream",
                         filename="Protected message.eml")
    assert find_envelopes(outer.as_bytes()) == [envelope]


def test_inline_forward_that_kept_the_attachment() -> None:
    envelope = fake_envelope()
    msg = mail("Fwd: Alice sent you a protected message", (
        "---------- Forwarded message ---------\nFrom: Alice <no-reply@example.org>\n"
        "Subject: Alice sent you a protected message\n\n> Read the message: https://mail.example.org/m/1\n"
    ))
    msg.add_alternative("<div>---------- Forwarded message ---------<br>Read the message</div>", subtype="html")
    msg.add_attachment(page(envelope), maintype="text", subtype="html", filename="message.html")
    assert find_envelopes(msg.as_bytes()) == [envelope]


def test_quoted_printable_html_part() -> None:
    envelope = fake_envelope(900)
    msg = mail()
    msg.add_attachment(page(envelope, width=300).decode(), subtype="html", filename="message.html",
                       cte="quoted-printable")
    raw = msg.as_bytes()
    assert b"=\n" in raw or b"=\r\n" in raw  # soft line breaks run through the armor
    assert find_envelopes(raw) == [envelope]


def test_inline_html_body_with_the_armor() -> None:
    envelope = fake_envelope()
    msg = mail()
    msg.add_alternative(page(envelope, width=76).decode(), subtype="html", cte="quoted-printable")
    assert find_envelopes(msg.as_bytes()) == [envelope]


def test_several_envelopes_deduplicated_in_order() -> None:
    first, second = fake_envelope(), fake_envelope()
    msg = with_attachment(first)
    msg.add_attachment(page(second), maintype="text", subtype="html", filename="message (1).html")
    msg.add_attachment(page(first), maintype="text", subtype="html", filename="message (2).html")
    assert find_envelopes(forward(msg).as_bytes()) == [first, second]


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", b"<html><body>nothing here</body></html>", mail().as_bytes(), b"mailseal/v1",
     b"MAILSEAL/V1\n" + os.urandom(20)],
)
def test_nothing_found(data: bytes) -> None:
    with pytest.raises(NoEnvelope):
        find_envelopes(data)


def test_a_damaged_armor_is_malformed_not_missing() -> None:
    envelope = fake_envelope()
    with pytest.raises(MalformedMail):
        find_envelopes(page(envelope).replace(b"-----END MAILSEAL MESSAGE-----", b""))
    not_an_envelope = base64.b64encode(b"something else entirely").decode()
    with pytest.raises(MalformedMail):
        find_envelopes(f"-----BEGIN MAILSEAL MESSAGE-----\n{not_an_envelope}\n-----END MAILSEAL MESSAGE-----".encode())


def test_depth_is_bounded() -> None:
    msg = with_attachment(fake_envelope())
    for _ in range(12):
        msg = forward(msg)
    with pytest.raises(TooLarge):
        find_envelopes(msg.as_bytes())
    assert find_envelopes(msg.as_bytes(), max_depth=40)


def test_parts_are_bounded() -> None:
    msg = mail()
    for i in range(30):
        msg.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=f"{i}.bin")
    msg.add_attachment(page(fake_envelope()), maintype="text", subtype="html", filename="message.html")
    with pytest.raises(TooLarge):
        find_envelopes(msg.as_bytes(), max_parts=20)
    assert find_envelopes(msg.as_bytes(), max_parts=40)


def test_size_is_bounded() -> None:
    with pytest.raises(TooLarge):
        find_envelopes(fake_envelope(2000), max_bytes=1000)


def test_deeply_nested_multiparts_do_not_exhaust_the_stack() -> None:
    depth = 3000
    head = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(depth))
    with pytest.raises(ALLOWED):
        find_envelopes(b"From: a@b.example\r\n" + head + b"Content-Type: text/plain\r\n\r\nx\r\n")


def test_corpora_never_crash(corpora: Path) -> None:
    files = sorted((corpora / "eml").rglob("*.eml"))
    assert files
    for file in files:
        data = file.read_bytes()
        try:
            find_envelopes(data)
        except ALLOWED:
            pass
        except Exception as exc:  # pragma: no cover - the failure message names the file
            pytest.fail(f"{file.relative_to(corpora)}: {type(exc).__name__}: {exc}")


def test_corpora_with_an_envelope_attached_still_find_it(corpora: Path) -> None:
    envelope = fake_envelope()
    attachment = (
        b"\r\n--outer\r\nContent-Type: text/html; name=message.html\r\nContent-Disposition: attachment\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(page(envelope)) + b"\r\n--outer--\r\n"
    )
    for file in sorted((corpora / "eml").rglob("*.eml"))[:60]:
        inner = file.read_bytes()
        raw = (
            b'From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="outer"\r\n\r\n'
            b"--outer\r\nContent-Type: message/rfc822\r\n\r\n" + inner + attachment
        )
        try:
            found = find_envelopes(raw)
        except ALLOWED:
            continue  # a broken inner mail may swallow the rest; it must still not crash
        assert envelope in found, file.name


@given(cut=st.integers(min_value=0), flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)),
                                                    max_size=8))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_damaged_mail_never_crashes(cut: int, flips: list[tuple[int, int]]) -> None:
    raw = bytearray(forward(with_attachment(b"mailseal/v1\n" + bytes(300), cte="quoted-printable")).as_bytes())
    for position, value in flips:
        raw[position % len(raw)] = value
    try:
        find_envelopes(bytes(raw[: len(raw) - cut % len(raw)]))
    except ALLOWED:
        pass


def test_same_markers_and_magic_as_the_format_room() -> None:
    fmt = pytest.importorskip("mailseal.format")
    from mailseal.mail import extract

    assert (extract.ARMOR_BEGIN, extract.ARMOR_END, extract.ENVELOPE_MAGIC) == (fmt.BEGIN, fmt.END, fmt.MAGIC)


def test_a_page_armored_by_the_format_room() -> None:
    fmt = pytest.importorskip("mailseal.format")
    envelope = fake_envelope(5000)
    out = io.BytesIO()
    fmt.armor(io.BytesIO(envelope), out, view_url="https://mail.example.org/m/1", org_name="Contoso",
              sender="Alice <alice@example.org>", subject_hint="Q3")
    assert find_envelopes(out.getvalue()) == [envelope]
    msg = mail()
    msg.add_attachment(out.getvalue(), maintype="text", subtype="html", filename="message.html")
    assert find_envelopes(forward(msg).as_bytes()) == [envelope]
