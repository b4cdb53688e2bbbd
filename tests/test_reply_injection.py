"""Header injection through replies and forwards: hundreds of hostile subjects, bodies, file names and addresses.

Each hostile string is the subject of a sealed original (as an RFC 2047 encoded word, as a folded raw
header, and as quoted-printable), the body of the reply and the name of its attachment; and it is the
`to` of a forward. Every mail that leaves (the wrapper mails in the Maildir outbox) and every sealed reply
(decrypted and parsed back) must have exactly the headers we write, one Subject without controls, and
only the recipients the server computed.
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.message
import email.parser
import email.policy
import io
import json
import os
import quopri
import re
import time
from pathlib import Path
from typing import Any

from mailseal import format as fmt
from mailseal import render
from mailseal.keys import Identity
from mailseal.messages.open import open_envelope
from mailseal.messages.protect import protect
from mailseal.templates import policy_for
from support.mailseal_app import MailsealClient, running_app

ALICE, BOB, CAROL = "alice@example.org", "bob@gmail.com", "carol@yahoo.com"
EVIL = "evil@evil.example"
WRAPPER_HEADERS = ["from", "to", "subject", "date", "message-id", "x-mailseal", "x-auto-response-suppress",
                   "mime-version", "content-type"]
REPLY_HEADERS = sorted(["from", "to", "subject", "date", "message-id", "in-reply-to", "references", "mime-version",
                        "content-type"])
# A single part (no files) also says how its body is encoded.
SINGLE_PART_HEADERS = sorted([*REPLY_HEADERS, "content-transfer-encoding"])
BATCH = 8
VIEW_URL = re.compile(rb"/m/([a-z0-9]{26})")
CONTROLS = {chr(c) for c in range(32)} | {"\x7f", "\u2028", "\u2029", "\x85"}

CRAFTED = [
    "Hello\r\nBcc: evil@evil.example",
    "Hello\nBcc: evil@evil.example",
    "Hello\rBcc: evil@evil.example",
    "Hello\r\n\r\nBody smuggled",
    "Hello\x00Bcc: evil@evil.example",
    "Hello\u2028Bcc: evil@evil.example",
    "Hello\u2029To: evil@evil.example",
    "Hello\x85Cc: evil@evil.example",
    "Hello\x0bX-Injected: 1",
    "Hello\x0cX-Injected: 1",
    "\r\nSubject: second subject",
    "Subject: second\r\nSubject: third",
    "=?utf-8?q?Hi=0D=0ABcc:_evil=40evil.example?=",
    "=?utf-8?b?SGkNCkJjYzogZXZpbEBldmlsLmV4YW1wbGU=?=",
    "=?utf-8?q?=3D=3Futf-8=3Fq=3FHi=3D0D=3D0ABcc:_x=3F=3D?=",
    "=?iso-8859-1?q?caf=E9=0D=0ATo:_evil=40evil.example?=",
    "=?utf-8?q?a?= =?utf-8?q?=0A?= =?utf-8?q?Bcc:_evil=40evil.example?=",
    "=?utf-8?Q?=E2=80=A8Bcc:_evil=40evil.example?=",
    "=?bogus?q?x=0D=0AX-Injected:_1?=",
    "Re: Re: RE: aw: Hello\r\nBcc: evil@evil.example",
    "A" * 5000,
    "word " * 1000,
    ("é" * 999) + "\r\nBcc: evil@evil.example",
    "x" * 997 + "\r\n" + "Bcc: evil@evil.example",
    "Long =?utf-8?q?" + "=0A" * 300 + "?= end",
    "\t\tTabbed\r\n\tcontinuation",
    "\u202eevil.exe\u202c",
    "\ufeffBOM subject",
    "Bcc: evil@evil.example",
    "<script>alert(1)</script>\r\nContent-Type: text/html",
    "\r\n.\r\nMAIL FROM:<evil@evil.example>\r\nRCPT TO:<evil@evil.example>\r\nDATA\r\n",
    "\x00" * 20,
    "\r\n" * 50,
    "",
    "   ",
]


def hostile_strings(corpora: Path) -> list[str]:
    blns = json.loads((corpora / "strings" / "blns.json").read_text(encoding="utf-8"))
    spiked = [f"{value}\r\nBcc: {EVIL}" for value in blns[::16]]
    return CRAFTED + blns + spiked


def original_mail(subject: str, number: int) -> bytes:
    """An original whose Subject decodes to `subject`, carried three different ways."""
    data = subject.encode("utf-8")
    way = number % 3
    if way == 0:
        header = b"=?utf-8?b?" + base64.b64encode(data) + b"?="
    elif way == 1:
        header = quopri.encodestring(data, header=True).replace(b"=\n", b"").replace(b"\n", b"=0A")
        header = b"=?utf-8?q?" + header.replace(b"?", b"=3F").replace(b" ", b"_") + b"?="
    else:  # raw UTF-8: line breaks become folds, NUL is left out (it cannot travel raw)
        raw = data.replace(b"\x00", b"").replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        header = b"\r\n ".join(raw.split(b"\n"))
    return (b"From: Alice <" + ALICE.encode() + b">\r\nTo: " + f"{BOB}, {CAROL}".encode()
            + b"\r\nSubject: " + header + b"\r\nMessage-ID: <orig-" + str(number).encode()
            + b"@example.org>\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            + b"Content-Type: text/plain; charset=utf-8\r\n\r\nThe original.\r\n")


def outbox_mails(app: MailsealClient, seen: set[str]) -> list[tuple[tuple[str, ...], str, email.message.Message]]:
    """The mails written to the outbox since the last call: envelope recipients, the message id its
    link names, and its header block."""
    new = []
    for key in sorted(set(os.listdir(app.outbox.path / "new")) - seen):  # not .list(): it reads every mail
        seen.add(key)
        mail = app.outbox.read_mail(key)
        found = VIEW_URL.search(mail.message)  # none in a passcode mail
        headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(mail.message)
        new.append((mail.recipients, found.group(1).decode() if found else "", headers))
    return new


def check_subject(message: email.message.Message) -> str:
    subjects = message.get_all("Subject", [])
    assert len(subjects) == 1, subjects
    subject = str(subjects[0]).strip()  # Python may fold right after "Subject:"; the fold's space is not ours
    assert not CONTROLS & set(subject), repr(subject)
    return subject


def check_wrapper(recipients: tuple[str, ...], message: email.message.Message, allowed: set[str]) -> None:
    assert [name.lower() for name in message.keys()] == WRAPPER_HEADERS
    check_subject(message)
    (recipient,) = recipients
    assert recipient in allowed
    assert [address.addr_spec for address in message["To"].addresses] == [recipient]


async def sealed_reply(app: MailsealClient, message_id: str) -> email.message.EmailMessage:
    deps = app.services.instance.messages
    async with open_envelope(deps, message_id, Identity(addresses=(ALICE,), actor="test")) as opened:
        raw = b"".join(opened.envelope.iter_plaintext())
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


async def test_hostile_subjects_bodies_and_file_names(data_dir: Path, corpora: Path) -> None:
    hostile = hostile_strings(corpora)
    assert len(hostile) >= 200
    async with running_app(data_dir) as app:
        deps = app.services.instance.messages
        policy = policy_for("encrypt-only", expires_days=None, now=time.time())
        originals = []
        for number, value in enumerate(hostile):
            sealed = await protect(deps, io.BytesIO(original_mail(value, number)), sender=ALICE,
                                   recipients=(BOB, CAROL), policy=policy, actor="test")
            originals.append(sealed.message_id)
        await app.sign_in(BOB)
        seen: set[str] = set()
        outbox_mails(app, seen)

        async def answer(number: int) -> Any:
            value = hostile[number]
            parts: list[tuple[str, Any]] = [
                ("body", (None, value or "(empty)")), ("replyAll", (None, "1" if number % 4 == 0 else "")),
                ("files", (value[:500] or "x", b"attached", "text/plain")),
            ]
            return await app.post(f"/api/messages/{originals[number]}/reply", files=parts)

        attempts = 0
        for batch in range(0, len(hostile), BATCH):
            numbers = range(batch, min(batch + BATCH, len(hostile)))
            responses = await asyncio.gather(*(answer(number) for number in numbers))
            mails = outbox_mails(app, seen)
            by_message: dict[str, list[str]] = {}
            for recipients, message_id, _ in mails:
                by_message.setdefault(message_id, []).extend(recipients)
            for number, response in zip(numbers, responses, strict=True):
                value, expected = hostile[number], [ALICE, CAROL] if number % 4 == 0 else [ALICE]
                if response.status_code != 201:  # the framework's multipart parser refuses a few file names
                    assert response.status_code == 400, (value, response.text)
                    continue
                attempts += 3
                reply_id = response.json()["id"]
                assert response.json()["to"] == expected
                assert sorted(by_message.pop(reply_id)) == expected, value
                for recipients, message_id, headers in mails:
                    if message_id == reply_id:
                        check_wrapper(recipients, headers, set(expected))
                await check_sealed_reply(app, reply_id, value, number, originals[number], expected)
            assert by_message == {}, "no mail for a refused reply, and none for anyone else"
        assert attempts >= 600


async def check_sealed_reply(app: MailsealClient, reply_id: str, value: str, number: int, original: str,
                             expected: list[str]) -> None:
    inner = await sealed_reply(app, reply_id)
    assert sorted(name.lower() for name in inner.keys()) == REPLY_HEADERS, value
    subject = check_subject(inner)
    assert subject.startswith("Re:") and not subject.startswith("Re: Re:")
    assert [a.addr_spec for a in inner["To"].addresses] == expected
    assert [a.addr_spec for a in inner["From"].addresses] == [BOB]
    # An original whose header block the scanner could not read whole gets the stand-in id.
    assert inner["In-Reply-To"] in (f"<orig-{number}@example.org>", f"<{original}@localhost>")
    body = inner.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content() == (value or "(empty)"), "the text arrives as typed"
    files = [part.get_filename() for part in inner.iter_attachments()]
    assert len(files) == 1 and files[0] == render.safe_filename(files[0])
    assert not CONTROLS & set(files[0])


async def test_hostile_forward_addresses(data_dir: Path, corpora: Path) -> None:
    addresses = [
        f"dave@outlook.com\r\nBcc: {EVIL}", f"dave@outlook.com\nTo: {EVIL}", f"dave@outlook.com\r{EVIL}",
        f"dave@outlook.com, {EVIL}", f"dave@outlook.com; {EVIL}", f"Dave <dave@outlook.com>, <{EVIL}>",
        f"=?utf-8?q?dave=40outlook.com=0D=0ABcc:_{EVIL.replace('@', '=40')}?=", f"dave@outlook.com\x00{EVIL}",
        f"dave@outlook.com\u2028Bcc: {EVIL}", "dave@outlook.com" + " " * 2000 + EVIL, f"<{EVIL}>",
        f'"dave@outlook.com\r\nBcc: {EVIL}"@outlook.com', f"dave@[127.0.0.1]\r\nBcc: {EVIL}", "@" * 300,
        "a" * 70 + "@outlook.com", f"dave@outlook.com\t{EVIL}", f"dave@outlook.com%0d%0aBcc:{EVIL}",
    ]
    blns = json.loads((corpora / "strings" / "blns.json").read_text(encoding="utf-8"))
    addresses += blns + [f"{value}@outlook.com" for value in blns[::3]]
    assert len(addresses) >= 200
    async with running_app(data_dir) as app:
        policy = policy_for("encrypt-only", expires_days=None, now=time.time())
        subject = "Plans\r\nBcc: evil@evil.example"
        sealed = await protect(app.services.instance.messages, io.BytesIO(original_mail(subject, 0)), sender=ALICE,
                               recipients=(BOB, CAROL), policy=policy, actor="test")
        await app.sign_in(BOB)
        seen: set[str] = set()
        outbox_mails(app, seen)
        accepted = 0
        for value in addresses:
            parts = [("to", (None, value)), ("body", (None, value))]
            response = await app.post(f"/api/messages/{sealed.message_id}/forward", files=parts)
            mails = outbox_mails(app, seen)
            assert all(EVIL not in recipients for recipients, _, _ in mails), value
            if response.status_code != 201:
                assert response.status_code == 400 and mails == [], (value, response.text)
                continue
            accepted += 1
            (to,) = response.json()["to"]
            assert "\n" not in to and "\r" not in to and " " not in to and "," not in to
            assert [recipients for recipients, _, _ in mails] == [(to,)]
            for recipients, _, headers in mails:
                check_wrapper(recipients, headers, {to})
            inner = await sealed_reply_for(app, response.json()["id"], to)
            assert sorted(name.lower() for name in inner.keys()) == SINGLE_PART_HEADERS
            assert check_subject(inner) == "Fwd: PlansBcc: evil@evil.example"  # the index drops line breaks
            assert [a.addr_spec for a in inner["To"].addresses] == [to]
        assert accepted >= 1, "some well-formed (if odd) addresses are accepted"
        record = await app.services.instance.keys.record(sealed.message_id)
        assert record.recipients == (BOB, CAROL), "forwarding never widens the original"


async def sealed_reply_for(app: MailsealClient, message_id: str, address: str) -> email.message.EmailMessage:
    deps = app.services.instance.messages
    async with open_envelope(deps, message_id, Identity(addresses=(address,), actor="test")) as opened:
        raw = b"".join(opened.envelope.iter_plaintext())
    header = fmt.read_header(io.BytesIO(app.envelope_bytes(message_id)))
    assert header.recipients == (address,)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message
