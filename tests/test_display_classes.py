"""Each class of real mail the display rule (docs/display.md) names, built here and opened through the API
as its recipient: what is shown, in which order, what is offered with which bytes, and the notes."""

from __future__ import annotations

import binascii
import email.message
import email.policy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import tnefparse

from support.corpora import corpora_path
from support.mailseal_app import MailsealClient, running_app

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"pixel" * 10


def new(subject: str = "Site visit", *, sender: str = "Alice <alice@example.org>") -> email.message.EmailMessage:
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"], message["To"], message["Subject"] = sender, "bob@gmail.com", subject
    message["Date"] = "Fri, 27 Nov 2026 09:00:00 +0000"
    return message


def part(content: str | bytes, maintype: str = "text", subtype: str = "plain",
         **kwargs: Any) -> email.message.EmailMessage:
    piece = email.message.EmailMessage(policy=email.policy.SMTP)
    if isinstance(content, str):
        piece.set_content(content, subtype=subtype, **kwargs)
    else:
        piece.set_content(content, maintype=maintype, subtype=subtype, **kwargs)
    return piece


def mixed(subject: str, *parts: email.message.EmailMessage) -> email.message.EmailMessage:
    message = new(subject)
    message.make_mixed()
    for piece in parts:
        message.attach(piece)
    return message


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[MailsealClient]:
    async with running_app(tmp_path) as running:
        await running.sign_in("bob@gmail.com")
        yield running


async def open_view(app: MailsealClient, raw: bytes) -> tuple[str, dict[str, Any]]:
    sealed = await app.seal(raw)
    response = await app.http.get(f"/api/messages/{sealed.message_id}")
    assert response.status_code == 200, response.text
    return sealed.message_id, response.json()


async def download(app: MailsealClient, message_id: str, attachment: dict[str, Any]) -> Any:
    response = await app.http.get(f"/api/messages/{message_id}/attachments/{attachment['index']}")
    assert response.status_code == 200, response.text
    return response


async def test_several_inline_texts_are_shown_in_order_with_the_images_between(app: MailsealClient) -> None:
    message = mixed("Photos", part("First, the plan."), part(PNG, "image", "png", disposition="inline",
                                                               filename="site.png"),
                    part("Then the budget."), part("<p>And the <b>schedule</b>.</p>", subtype="html"))
    message_id, view = await open_view(app, message.as_bytes())
    body = (await app.http.get(view["bodyUrl"])).text
    order = ("First, the plan.", "data:image/png;base64,", "Then the budget.", "<b>schedule</b>")
    positions = [body.index(s) for s in order]
    assert positions == sorted(positions)
    [photo] = view["attachments"]  # shown in place, and offered to save
    assert photo["filename"] == "site.png" and (await download(app, message_id, photo)).content == PNG


async def test_an_inline_text_with_a_file_name_is_shown_and_offered(app: MailsealClient) -> None:
    message = mixed("Notes", part("Hello Bob."), part("Minutes of the meeting.", disposition="inline",
                                                       filename="minutes.txt"))
    message_id, view = await open_view(app, message.as_bytes())
    body = (await app.http.get(view["bodyUrl"])).text
    assert body.index("Hello Bob.") < body.index("Minutes of the meeting.")
    [minutes] = view["attachments"]
    assert minutes["filename"] == "minutes.txt"
    assert (await download(app, message_id, minutes)).text.strip() == "Minutes of the meeting."


async def test_the_last_alternative_the_viewer_can_show_wins(app: MailsealClient) -> None:
    message = new("Order")
    message.set_content("<p>rich version</p>", subtype="html")
    message.add_alternative("plain version, sent last")
    _, view = await open_view(app, message.as_bytes())
    assert view["text"].strip() == "plain version, sent last" and view["bodyUrl"] is None

    invite = new("Invitation")
    invite.set_content("plain")
    invite.add_alternative("<p>html version</p>", subtype="html")
    invite.add_alternative("BEGIN:VCALENDAR\nEND:VCALENDAR\n", subtype="calendar")
    _, view = await open_view(app, invite.as_bytes())
    assert "html version" in (await app.http.get(view["bodyUrl"])).text
    [calendar] = view["attachments"]  # not viewable: offered, never dropped
    assert calendar["contentType"].startswith("text/calendar")


def forwarded(level: int, depth: int) -> email.message.EmailMessage:
    message = new(f"Level {level}", sender=f"Person {level} <p{level}@example.org>")
    message.set_content(f"Text of level {level}.")
    message.add_attachment(f"file of level {level}".encode(), maintype="application", subtype="pdf",
                           filename=f"level{level}.pdf")
    if level < depth:
        message.add_attachment(forwarded(level + 1, depth))
    return message


async def test_forwarded_messages_three_deep_are_shown_nested_and_offered_as_eml(app: MailsealClient) -> None:
    top = forwarded(0, 3)
    raw = top.as_bytes()
    message_id, view = await open_view(app, raw)
    chain, node = [], view
    while node["nested"]:
        [node] = node["nested"]
        chain.append(node)
    assert [n["subject"] for n in chain] == ["Level 1", "Level 2", "Level 3"]
    assert [n["fromName"] for n in chain] == ["Person 1", "Person 2", "Person 3"]
    assert [n["text"].strip() for n in chain] == ["Text of level 1.", "Text of level 2.", "Text of level 3."]
    for level, holder in enumerate([view, *chain]):
        names = [a["filename"] for a in holder["attachments"]]
        assert f"level{level}.pdf" in names
        pdf = next(a for a in holder["attachments"] if a["filename"] == f"level{level}.pdf")
        assert (await download(app, message_id, pdf)).content == f"file of level {level}".encode()
        if level < 3:
            eml = next(a for a in holder["attachments"] if a["filename"] == f"Level {level + 1}.eml")
            got = await download(app, message_id, eml)
            assert got.headers["content-type"] == "message/rfc822" and got.content in raw  # the original bytes
            assert email.message_from_bytes(got.content)["Subject"] == f"Level {level + 1}"


async def test_a_digest_shows_each_entry_as_a_message(app: MailsealClient) -> None:
    digest = new("Digest, Vol 1")
    digest.set_content("Today's topics: 1. Lunch 2. Dinner")
    entries = email.message.EmailMessage(policy=email.policy.SMTP)
    entries.make_mixed()
    entries.replace_header("Content-Type", 'multipart/digest; boundary="entries"')
    for topic in ("Lunch", "Dinner"):
        entry = email.message.EmailMessage(policy=email.policy.SMTP)
        entry["Subject"], entry["From"] = topic, "list@example.org"
        entry.set_content(f"About {topic.lower()}.")
        wrapper = email.message.Message()
        wrapper.set_payload([entry])
        wrapper["Content-Type"] = "message/rfc822"
        entries.attach(wrapper)
    digest.make_mixed()
    digest.attach(entries)
    _, view = await open_view(app, digest.as_bytes())
    assert [(n["subject"], n["text"].strip()) for n in view["nested"]] == [("Lunch", "About lunch."),
                                                                           ("Dinner", "About dinner.")]


async def test_uuencoded_files_in_a_text_are_offered_under_their_names(app: MailsealClient) -> None:
    data = bytes(range(256)) * 3
    lines = [binascii.b2a_uu(data[i:i + 45]).decode().rstrip("\n") for i in range(0, len(data), 45)]
    text = "Here is the file.\n\nbegin 644 table.bin\n" + "\n".join(lines) + "\n`\nend\n\nBye.\n"
    message = new("Old client")
    message.set_content(text)
    message_id, view = await open_view(app, message.as_bytes())
    assert "Here is the file." in view["text"] and "[table.bin: attached]" in view["text"]
    assert "begin 644" not in view["text"]
    [table] = view["attachments"]
    assert table["filename"] == "table.bin" and (await download(app, message_id, table)).content == data


@pytest.mark.parametrize("sample", ["umlaut.tnef", "two-files.tnef", "body.tnef"])
async def test_outlook_tnef_shows_its_body_and_offers_its_files(app: MailsealClient, sample: str) -> None:
    path = corpora_path() / "tnef" / sample
    if not path.is_file():
        pytest.skip("the shared corpora (tnef/) are not here")
    blob = path.read_bytes()
    message = new("Outlook")
    message.set_content("")
    message.add_attachment(blob, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    message_id, view = await open_view(app, message.as_bytes())
    reference = tnefparse.TNEF(blob)  # the library's own reading, as the reference for the files
    expected = {(a.long_filename() or a.name): a.data for a in reference.attachments}
    offered = {a["filename"]: a for a in view["attachments"]}
    assert "winmail.dat" in offered
    for name, data in expected.items():
        assert (await download(app, message_id, offered[name])).content == data
    shown = view["text"] or (await app.http.get(view["bodyUrl"])).text
    if sample == "umlaut.tnef":
        assert "TEST äöü" in shown and "UmlautAnhang-äüö.txt" in offered
    if sample == "body.tnef":
        assert view["bodyUrl"] is not None
    assert any(n["kind"] == "tnef" for n in view["notes"])


@pytest.mark.parametrize(("declared", "sent", "text"), [
    ("gb2312", "中文邮件、内容正常。".encode(), "中文邮件、内容正常。"),
    ("utf-8", "Grüße aus Köln, schöne Straße.".encode("latin-1"), "Grüße aus Köln, schöne Straße."),
    (None, "Grüße aus Köln, schöne Straße.".encode("latin-1"), "Grüße aus Köln, schöne Straße."),
    ("iso-8859-1", "Grüße aus Köln, schöne Straße.".encode(), "Grüße aus Köln, schöne Straße."),
], ids=["gb2312-declared-utf8-sent", "latin1-declared-utf8", "latin1-undeclared", "utf8-declared-latin1"])
async def test_a_body_in_a_wrong_charset_is_readable(app: MailsealClient, declared: str | None, sent: bytes,
                                                      text: str) -> None:
    content_type = "text/plain" + (f"; charset={declared}" if declared else "")
    raw = (b"From: alice@example.org\r\nTo: bob@gmail.com\r\nSubject: Charset\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: " + content_type.encode() + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + sent + b"\r\n")
    _, view = await open_view(app, raw)
    assert view["text"].strip() == text


@pytest.mark.parametrize(("raw_subject", "raw_from", "subject", "name"), [
    ("Grüße aus Köln".encode(), "Jürgen Groß <j@example.org>".encode(), "Grüße aus Köln", "Jürgen Groß"),
    ("Grüße aus Köln".encode("latin-1"), "Jürgen Groß <j@example.org>".encode("latin-1"), "Grüße aus Köln",
     "Jürgen Groß"),
    (b"=?gb2312?B?" + __import__("base64").b64encode("中文主题".encode()) + b"?=", b"j@example.org", "中文主题", ""),
], ids=["raw-utf8", "raw-latin1", "gb2312-word-utf8-sent"])
async def test_header_fields_in_raw_or_wrong_charsets_are_readable(app: MailsealClient, raw_subject: bytes,
                                                                   raw_from: bytes, subject: str, name: str) -> None:
    raw = (b"From: " + raw_from + b"\r\nTo: bob@gmail.com\r\nSubject: " + raw_subject +
           b"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n")
    _, view = await open_view(app, raw)
    assert view["subject"] == subject
    if name:
        assert view["fromName"] == name


@pytest.mark.parametrize(("disposition", "name"), [
    (b"attachment; filename*=iso-8859-1''Gr%FC%DFe%20K%F6ln.txt", "Grüße Köln.txt"),
    (b'attachment; filename="' + "Grüße Köln.txt".encode() + b'"', "Grüße Köln.txt"),
    (b'attachment; filename="' + "Grüße Köln.txt".encode("latin-1") + b'"', "Grüße Köln.txt"),
    (b'attachment; filename="=?iso-8859-1?Q?Gr=FC=DFe_K=F6ln.txt?="', "Grüße Köln.txt"),
], ids=["rfc2231-latin1", "raw-utf8", "raw-latin1", "rfc2047-in-quotes"])
async def test_file_names_in_any_encoding_are_readable_and_text_is_served_in_its_real_charset(
        app: MailsealClient, disposition: bytes, name: str) -> None:
    raw = (b"From: alice@example.org\r\nTo: bob@gmail.com\r\nSubject: Names\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee file.\r\n'
           b"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: " + disposition +
           b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + "Grüße".encode("latin-1") + b"\r\n--b--\r\n")
    message_id, view = await open_view(app, raw)
    [file] = view["attachments"]
    assert file["filename"] == name
    got = await download(app, message_id, file)
    # declared UTF-8, sent as Latin-1: the answer names the charset actually sent
    assert got.headers["content-type"] == "text/plain; charset=windows-1252"
    assert got.content.decode("cp1252").strip() == "Grüße"


async def test_parts_mailseal_cannot_show_are_offered_with_a_note(app: MailsealClient) -> None:
    external = email.message.Message()
    external["Content-Type"] = 'message/external-body; access-type=URL; URL="ftp://ftp.example.org/big.iso"'
    external.set_payload("Content-Type: application/octet-stream\r\n\r\n")
    partial = email.message.Message()
    partial["Content-Type"] = 'message/partial; id="abc@example.org"; number=2; total=3'
    partial.set_payload("part two of three\r\n")
    unknown = part(b"\x01\x02\x03", "x-vendor", "thing", filename="thing.dat")
    smime = part(b"\x30\x82" + bytes(40), "application", "pkcs7-mime", params={"smime-type": "enveloped-data"},
                 filename="smime.p7m")
    rpmsg = part(b"\x76\xe8" + bytes(40), "application", "x-microsoft-rpmsg-message", filename="message.rpmsg")
    message = mixed("Odd parts", part("See below."), external, partial, unknown, smime, rpmsg)
    message_id, view = await open_view(app, message.as_bytes())
    notes = {n["kind"]: n for n in view["notes"]}
    assert set(notes) == {"external-body", "partial", "unknown-type", "encrypted-smime", "encrypted-microsoft"}
    assert "ftp://ftp.example.org/big.iso" in notes["external-body"]["text"]
    assert "(2 of 3)" in notes["partial"]["text"]
    offered = {a["index"] for a in view["attachments"]}
    assert {n["attachment"] for n in view["notes"]} <= offered and len(offered) == 5
    thing = next(a for a in view["attachments"] if a["filename"] == "thing.dat")
    assert (await download(app, message_id, thing)).content == b"\x01\x02\x03"


async def test_a_signed_message_shows_its_content_and_says_it_is_signed(app: MailsealClient) -> None:
    signed = email.message.EmailMessage(policy=email.policy.SMTP)
    signed.make_mixed()
    signed.replace_header("Content-Type", 'multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256')
    signed.attach(part("Signed words."))
    signed.attach(part(b"\x30\x82sig", "application", "pkcs7-signature", filename="smime.p7s"))
    message = new("Signed")
    message.make_mixed()
    message.attach(signed)
    _, view = await open_view(app, message.as_bytes())
    assert view["text"].strip() == "Signed words."
    [note] = view["notes"]
    assert note["kind"] == "signed" and "S/MIME" in note["text"] and "did not check" in note["text"]
    assert [a["filename"] for a in view["attachments"]] == ["smime.p7s"]


async def test_more_parts_than_the_index_holds_is_said_on_screen(app: MailsealClient) -> None:
    message = mixed("Many", *[part(f"piece {n}", disposition="attachment", filename=f"p{n}.txt") for n in range(1005)])
    message_id, view = await open_view(app, message.as_bytes())
    [note] = [n for n in view["notes"] if n["kind"] == "more-parts"]
    rest = next(a for a in view["attachments"] if a["index"] == note["attachment"])
    got = (await download(app, message_id, rest)).content
    assert b"piece 999" in got and b"piece 1004" in got  # the rest of the message is in that one file


async def test_an_attached_html_message_has_its_own_body_document(app: MailsealClient) -> None:
    inner = new("Newsletter")
    inner.set_content("<p>Hello <b>reader</b></p><script>alert(1)</script>", subtype="html")
    outer = new("Fwd: Newsletter")
    outer.set_content("Have a look.")
    outer.add_attachment(inner)
    _, view = await open_view(app, outer.as_bytes())
    [nested] = view["nested"]
    assert nested["bodyUrl"].endswith("/body?nested=0")
    frame = await app.http.get(nested["bodyUrl"])
    assert frame.status_code == 200 and "<b>reader</b>" in frame.text and "alert(1)" not in frame.text
    assert "sandbox" in frame.headers["content-security-policy"]
    assert (await app.http.get(nested["bodyUrl"].replace("nested=0", "nested=1"))).status_code == 404


async def test_outlooks_text_beside_its_winmail_dat_is_shown_once(app: MailsealClient) -> None:
    path = corpora_path() / "tnef" / "umlaut.tnef"
    if not path.is_file():
        pytest.skip("the shared corpora (tnef/) are not here")
    message = new("Outlook")
    message.set_content("TEST äöü, as Outlook sends it in plain text too.")
    message.add_attachment(path.read_bytes(), maintype="application", subtype="ms-tnef", filename="winmail.dat")
    _, view = await open_view(app, message.as_bytes())
    assert view["bodyUrl"] is None and view["text"].count("TEST äöü") == 1
    assert "UmlautAnhang-äüö.txt" in [a["filename"] for a in view["attachments"]]


async def test_a_forward_carries_an_attached_message_whole(app: MailsealClient) -> None:
    """Before, a forward carried the attached message's files but not its text: it was lost on the way."""
    from test_reply_api import forward, switch_to

    message_id, _ = await open_view(app, forwarded(0, 1).as_bytes())
    sent = await forward(app, message_id, "dave@outlook.com")
    assert sent.status_code == 201, sent.text
    await switch_to(app, "dave@outlook.com")
    url = f"/api/messages/{sent.json()['id']}"
    files = {a["filename"]: a for a in (await app.http.get(url)).json()["attachments"]}
    assert set(files) == {"level0.pdf", "Level 1.eml"}
    eml = (await app.http.get(f"{url}/attachments/{files['Level 1.eml']['index']}")).content
    inner = email.message_from_bytes(eml, policy=email.policy.default)
    assert inner["Subject"] == "Level 1" and "Text of level 1." in eml.decode()
    assert any(p.get_filename() == "level1.pdf" for p in inner.walk())
