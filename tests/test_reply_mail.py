"""The message inside a sealed reply: safe subject, threading headers, folding, and the parse-back check."""

from __future__ import annotations

import email
import email.message
import email.policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailseal.errors import InputError, InvalidAddress
from mailseal.messages.reply_mail import (
    FORWARD_SEPARATOR,
    MAX_REFERENCES,
    MAX_SUBJECT_CHARS,
    ForwardedOriginal,
    NewFile,
    Threading,
    compose_message,
    forward_subject,
    forward_text,
    reply_subject,
    threading_for,
)

HEADERS = ["from", "to", "subject", "date", "message-id", "mime-version", "content-type", "content-transfer-encoding"]


def compose(subject: str, **kwargs: object) -> bytes:
    values: dict[str, object] = {"sender": "bob@gmail.com", "recipients": ["alice@example.org"], "subject": subject,
                                 "text": "hello", "message_id_domain": "mailseal.test"}
    values.update(kwargs)
    return compose_message(**values)  # type: ignore[arg-type]


def parse(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("Quarterly numbers", "Re: Quarterly numbers"),
        ("Re: Quarterly numbers", "Re: Quarterly numbers"),
        ("RE: re: Aw: SV: Re[3]: Quarterly", "Re: Quarterly"),
        ("Fwd: Plans", "Re: Fwd: Plans"),
        ("", "Re:"),
        ("Re:", "Re:"),
        ("  Hello \t  world  ", "Re: Hello world"),
        ("Hello\r\nBcc: evil@evil.example", "Re: Hello Bcc: evil@evil.example"),
        ("Hello\x00\x01\x1b[31mred", "Re: Hello[31mred"),
        ("Line\u2028Break\u2029Para\x85Nel", "Re: Line Break Para Nel"),
        ("\u202eevil.exe\u202c and \ufeffBOM", "Re: evil.exe and BOM"),
        ("=?utf-8?q?Hi=0D=0ABcc:_evil=40evil.example?=", "Re: Hi Bcc: evil@evil.example"),
        ("=?utf-8?b?UmU6IENhZsOp?=", "Re: Café"),
        ("Re: =?utf-8?q?Re:_Caf=C3=A9?=", "Re: Café"),
    ],
)
def test_reply_subject(original: str, expected: str) -> None:
    assert reply_subject(original) == expected


def test_encoded_words_cannot_survive_or_smuggle() -> None:
    nested = "=?utf-8?q?=3D=3Futf-8=3Fq=3F=3D3D=3D3Futf-8=3D3Fq=3D3FHi=3D3D0A=3D3F=3D3D=3F=3D?="
    subject = reply_subject(nested)
    assert "=?" not in subject and "\n" not in subject
    message = parse(compose(subject))
    assert "\n" not in str(message["Subject"]) and len(message.get_all("Subject", [])) == 1
    assert forward_subject("Fwd: FW: x") == "Fwd: x" and forward_subject("") == "Fwd:"


def test_long_subjects_are_cut_and_folded() -> None:
    for original in ["word " * 400, "é" * 2000, "A" * 5000, "日本語のテキスト " * 100]:
        subject = reply_subject(original)
        assert len(subject) <= MAX_SUBJECT_CHARS and subject.endswith("\u2026")
        raw = compose(subject)
        head = raw.split(b"\r\n\r\n", 1)[0]
        lines = head.split(b"\r\n")
        assert all(len(line) <= 998 for line in lines)
        assert sum(1 for line in lines if line[:1] not in (b" ", b"\t")) == len(HEADERS), "only folds added"
        assert " ".join(str(parse(raw)["Subject"]).split()) == " ".join(subject.split())
    long_words = compose(reply_subject("word " * 400)).split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in long_words.split(b"\r\n")) <= 78


def test_threading_headers() -> None:
    threading = threading_for("<b@x.example>", "<a@x.example> junk <bad id@x> <a@x.example>", fallback_id="<f@y>")
    assert threading == Threading(in_reply_to="<b@x.example>", references=("<a@x.example>", "<b@x.example>"))
    assert threading_for("not an id", "", fallback_id="<f@y>").in_reply_to == "<f@y>"
    assert threading_for("<a@b>\r\nBcc: x@y", "", fallback_id="<f@y>").in_reply_to == "<f@y>"
    many = " ".join(f"<r{i}@x>" for i in range(100))
    long = threading_for("<last@x>", many, fallback_id="<f@y>")
    assert len(long.references) == MAX_REFERENCES and long.references[0] == "<r0@x>"
    assert long.references[-2:] == ("<r99@x>", "<last@x>")
    message = parse(compose("Re: x", threading=long))
    assert message["In-Reply-To"] == "<last@x>" and message["References"].split() == list(long.references)


def test_refusals() -> None:
    with pytest.raises(InvalidAddress):
        compose("Re: x", recipients=["alice@example.org\r\nBcc: evil@evil.example"])
    with pytest.raises(InvalidAddress):
        compose("Re: x", sender="bob@gmail.com, evil@evil.example")
    with pytest.raises(InputError):
        compose("Re: x\r\nBcc: evil@evil.example")
    with pytest.raises(InputError):
        compose("Re: x", recipients=[])
    with pytest.raises(InputError):
        compose("Re: x", threading=Threading(in_reply_to="<a@b>\r\nBcc: e@v", references=()))
    with pytest.raises(InputError):
        compose("Re: x", message_id_domain="evil\r\nBcc: e@v")


def test_files_get_safe_names_and_types() -> None:
    files = [NewFile("../../etc/passwd", "text/plain", b"x"), NewFile("a\r\nBcc: e@v.txt", "text/html", b"<b>"),
             NewFile(". hidden", "image/svg+xml", b"<svg/>"), NewFile("", "multipart/mixed", b"z")]
    message = parse(compose("Re: x", files=files))
    assert [part.get_filename() for part in message.iter_attachments()] == [
        "passwd", "a Bcc_ e@v.txt", "hidden", "attachment"]
    assert [part.get_content_type() for part in message.iter_attachments()] == [
        "text/plain", "application/octet-stream", "application/octet-stream", "application/octet-stream"]


def test_forward_body() -> None:
    original = ForwardedOriginal(from_="Alice <alice@example.org>", subject="Plans\r\nBcc: x", date="today",
                                 text="The plan.", html="<p>The plan.</p>")
    text, html = forward_text("See <below>", original)
    assert text.startswith("See <below>\n\n" + FORWARD_SEPARATOR) and text.endswith("The plan.")
    assert "Subject: Plans Bcc: x" in text
    assert html is not None and html.startswith("<div>See &lt;below&gt;</div>") and html.endswith("<p>The plan.</p>")
    message = parse(compose("Fwd: Plans", text=text, html_body=html))
    assert [part.get_content_type() for part in message.walk()] == ["multipart/alternative", "text/plain", "text/html"]


@settings(max_examples=150, deadline=None)
@given(subject=st.text(max_size=400), body=st.text(max_size=200), name=st.text(max_size=80))
def test_any_text_gives_one_subject_and_only_our_headers(subject: str, body: str, name: str) -> None:
    raw = compose(reply_subject(subject), text=body, files=[NewFile(name, "text/plain", b"x")])
    message = parse(raw)
    assert sorted(k.lower() for k in message.keys()) == sorted(h for h in HEADERS if h != "content-transfer-encoding")
    assert len(message.get_all("Subject", [])) == 1
    assert [a.addr_spec for a in message["To"].addresses] == ["alice@example.org"]
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and text.get_content() == body
