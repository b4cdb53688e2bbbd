"""Encrypted replies through the real app: relay-sealed original, reply, reply all, forward, threads.

The server alone decides whom an answer goes to; the tests read the Maildir outbox (the envelope
recipients in `X-Mailseal-Envelope-To` and the To header) to prove nobody else got a mail.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import io
import time
from pathlib import Path
from typing import Any

import pytest

from mailseal import format as fmt
from mailseal.keys import Identity
from mailseal.mail.listeners import MailListeners
from mailseal.mail.outbox import TRACE_ENVELOPE_TO
from mailseal.messages.open import open_envelope
from mailseal.messages.protect import protect
from support.mail_listeners import SEAL_SECURE, plain_mail, smtp_send
from support.mailseal_app import MailsealClient, running_app, simple_mail
from support.secrets import remember

ALICE, BOB, CAROL, DAVE = "alice@example.org", "bob@gmail.com", "carol@yahoo.com", "dave@outlook.com"
SECRET = "Q3 revenue is up 12 percent; do not share."
ANSWER = "Thanks Alice.\r\nThe numbers look right to me.\r\n-- Bob"
remember(SECRET, ANSWER)


def wrapper_mails(app: MailsealClient, message_id: str) -> list[tuple[list[str], email.message.EmailMessage]]:
    """Every wrapper mail in the outbox for `message_id`: its envelope recipients and the parsed mail."""
    found = []
    for entry in app.outbox.list():
        data = app.outbox.read(entry.key)
        message = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        if message.get("X-Mailseal") != "wrapper; v=1":
            continue
        body = message.get_body(preferencelist=("plain",))
        if body is None or f"/m/{message_id}" not in body.get_content():
            continue
        head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        envelope_to = [line.split(b":", 1)[1].strip().decode() for line in head
                       if line.startswith(TRACE_ENVELOPE_TO + b":")]
        found.append((envelope_to, message))
    return found


def addressed_to(app: MailsealClient, message_id: str) -> list[str]:
    """The recipients of the wrapper mails for `message_id`, each checked: envelope and To agree, one each."""
    recipients = []
    for envelope_to, message in wrapper_mails(app, message_id):
        assert len(envelope_to) == 1
        assert len(message.get_all("To", [])) == 1 and len(message.get_all("Subject", [])) == 1
        assert [a.addr_spec for a in message["To"].addresses] == envelope_to
        assert message.get_all("Cc") is None and message.get_all("Bcc") is None
        recipients.extend(envelope_to)
    return sorted(recipients)


async def reply(app: MailsealClient, message_id: str, body: str, *, reply_all: bool = False,
                files: tuple[tuple[str, bytes, str], ...] | list[tuple[str, bytes, str]] = ()) -> Any:
    parts: list[tuple[str, Any]] = [("body", (None, body)), ("replyAll", (None, "1" if reply_all else ""))]
    parts += [("files", file) for file in files]
    return await app.post(f"/api/messages/{message_id}/reply", files=parts)


async def forward(app: MailsealClient, message_id: str, to: str, body: str = "FYI") -> Any:
    return await app.post(f"/api/messages/{message_id}/forward", files=[("to", (None, to)), ("body", (None, body))])


async def switch_to(app: MailsealClient, address: str) -> None:
    await app.post("/api/auth/logout")
    app.http.cookies.clear()
    await app.sign_in(address)


@pytest.mark.engines
async def test_relay_seal_reply_and_the_sender_opens_it(data_dir: Path) -> None:
    (data_dir / "rules.toml").write_text(SEAL_SECURE, encoding="utf-8")
    async with running_app(data_dir, org_name="Contoso", mail_from="no-reply@example.org") as app:
        listeners: MailListeners = app.http.app.state.mail_listeners
        raw = plain_mail("[secure] Q3 numbers", SECRET + "\r\n", to=f"{BOB}, {CAROL}")
        sent = await smtp_send(listeners.relay.port, raw, recipients=[BOB, CAROL])
        assert sent.accepted, sent
        (original,) = [record.message_id for record in await app.run(app.services.instance.keys.list_records())]
        assert addressed_to(app, original) == [BOB, CAROL]

        await app.sign_in(BOB)
        assert (await app.http.get(f"/api/messages/{original}")).json()["text"].strip() == SECRET
        preview = await app.http.get(f"/api/messages/{original}/reply-recipients")
        assert preview.status_code == 200, preview.text
        assert preview.json()["to"] == [ALICE] and preview.json()["subject"] == "Re: [secure] Q3 numbers"
        assert (await app.http.get(f"/api/messages/{original}/reply-recipients?all=1")).json()["to"] == [ALICE, CAROL]

        answered = await reply(app, original, ANSWER, files=[("numbers.csv", b"q,rev\n3,12\n", "text/csv")])
        assert answered.status_code == 201, answered.text
        result = answered.json()
        assert result["to"] == [ALICE] and result["mails"] == 1 and result["threadId"] == original
        reply_id = result["id"]
        assert addressed_to(app, reply_id) == [ALICE]
        (_, wrapper), = wrapper_mails(app, reply_id)
        assert wrapper["Subject"] == "Re: [secure] Q3 numbers"
        assert wrapper.get("From").addresses[0].addr_spec == "no-reply@example.org"
        assert ANSWER.split("\r\n")[1].encode() not in wrapper.as_bytes(), "the reply travels sealed only"
        assert [p.get_filename() for p in wrapper.iter_attachments()] == ["message.html"]

        record = await app.run(app.services.instance.keys.record(reply_id))
        original_record = await app.run(app.services.instance.keys.record(original))
        assert (record.sender, record.recipients) == (BOB, (ALICE,))
        assert (record.template, record.rights, record.expires_at) == (
            original_record.template, original_record.rights, original_record.expires_at)

        await switch_to(app, ALICE)
        inbox = (await app.http.get("/api/messages")).json()["messages"]
        assert [(m["id"], m["threadId"], m["unread"]) for m in inbox] == [(reply_id, original, True)]
        opened = await app.http.get(f"/api/messages/{reply_id}")
        assert opened.status_code == 200, opened.text
        view = opened.json()
        assert view["text"] == ANSWER, "the plaintext equals what Bob sent, byte for byte"
        assert view["subject"] == "Re: [secure] Q3 numbers" and view["from"] == BOB and view["to"] == [ALICE]
        assert view["threadId"] == original and view["template"] == original_record.template
        assert [a["filename"] for a in view["attachments"]] == ["numbers.csv"]
        download = await app.http.get(f"/api/messages/{reply_id}/attachments/{view['attachments'][0]['index']}")
        assert download.content == b"q,rev\n3,12\n"
        original_view = (await app.http.get(f"/api/messages/{original}")).json()
        assert view["inReplyTo"] == original_view["messageIdHeader"]

        thread = (await app.http.get(f"/api/messages/{reply_id}/thread")).json()
        assert thread["id"] == original
        assert [(m["id"], m["from"]) for m in thread["messages"]] == [(original, ALICE), (reply_id, BOB)]
        assert thread["messages"][1]["subject"] == "Re: [secure] Q3 numbers"

        # The sender answers the answer: it goes back to Bob only, in the same thread, still sealed.
        again = await reply(app, reply_id, "Good, thanks.")
        assert again.status_code == 201, again.text
        assert again.json()["to"] == [BOB] and again.json()["threadId"] == original
        assert addressed_to(app, again.json()["id"]) == [BOB]
        from_alice = await reply(app, original, "To you both.")
        assert from_alice.json()["to"] == [BOB, CAROL], "from the sender, a reply goes to the recipients"

        await switch_to(app, CAROL)
        thread = (await app.http.get(f"/api/messages/{original}/thread")).json()
        assert [m["id"] for m in thread["messages"]] == [original, from_alice.json()["id"]], (
            "Carol sees only the messages of the thread she is a party to")


@pytest.mark.engines
async def test_reply_all_reaches_the_other_parties_only(data_dir: Path) -> None:
    async with running_app(data_dir) as app:
        sealed = await app.seal(simple_mail(to=f"{BOB}, {CAROL}"), recipients=(BOB, CAROL))
        await app.sign_in(BOB)
        answered = await reply(app, sealed.message_id, "To everyone", reply_all=True)
        assert answered.status_code == 201, answered.text
        assert answered.json()["to"] == [ALICE, CAROL]
        reply_id = answered.json()["id"]
        assert addressed_to(app, reply_id) == [ALICE, CAROL]
        record = await app.run(app.services.instance.keys.record(reply_id))
        assert record.sender == BOB and record.recipients == (ALICE, CAROL)

        async def plaintext_for_carol() -> bytes:
            async with open_envelope(app.services.instance.messages, reply_id, Identity(addresses=(CAROL,))) as opened:
                return b"".join(opened.envelope.iter_plaintext())

        inner = email.message_from_bytes(await app.run(plaintext_for_carol()), policy=email.policy.default)
        assert [a.addr_spec for a in inner["To"].addresses] == [ALICE, CAROL]
        assert inner["From"].addresses[0].addr_spec == BOB
        assert inner["In-Reply-To"] == "<original-1@example.org>"
        assert inner["References"] == "<original-1@example.org>"

        inbox = (await app.http.get("/api/messages")).json()["messages"]
        assert (inbox[0]["id"], inbox[0]["unread"]) == (reply_id, False), "the replier's own copy, read"


async def test_the_client_cannot_choose_recipients(data_dir: Path) -> None:
    async with running_app(data_dir) as app:
        sealed = await app.seal(simple_mail())
        await app.sign_in(BOB)
        parts = [("body", (None, "hello")), ("to", (None, DAVE)), ("cc", (None, DAVE)), ("bcc", (None, DAVE)),
                 ("recipients", (None, DAVE))]
        answered = await app.post(f"/api/messages/{sealed.message_id}/reply", files=parts)
        assert answered.status_code in (201, 400), answered.text
        assert not any(DAVE in entry.recipients for entry in app.outbox.list())
        if answered.status_code == 201:
            assert answered.json()["to"] == [ALICE]


@pytest.mark.engines
async def test_do_not_forward_refuses_forward_and_keeps_its_template(data_dir: Path) -> None:
    async with running_app(data_dir) as app:
        sealed = await app.seal(simple_mail(), recipients=(BOB, CAROL), template="do-not-forward")
        await app.sign_in(BOB)
        before = len(app.outbox.list())
        refused = await forward(app, sealed.message_id, DAVE)
        assert refused.status_code == 403 and refused.json()["code"] == "policy.right-not-granted"
        preview = await app.http.get(f"/api/messages/{sealed.message_id}/reply-recipients?forward=1")
        assert preview.status_code == 403 and preview.json()["code"] == "policy.right-not-granted"
        assert len(app.outbox.list()) == before
        answered = await reply(app, sealed.message_id, "Noted", reply_all=True)
        assert answered.status_code == 201
        record = await app.run(app.services.instance.keys.record(answered.json()["id"]))
        assert record.template == "do-not-forward" and "forward" not in record.rights
        assert (await forward(app, answered.json()["id"], DAVE)).status_code == 403, "a DNF reply stays DNF"
        audit = await app.run(app.services.instance.keys.audit(sealed.message_id))
        assert any(e.action == "refuse" and e.outcome == "policy.right-not-granted" for e in audit)


async def test_templates_without_reply_all_or_reply(data_dir: Path) -> None:
    (data_dir / "rules.toml").write_text(
        'version = 1\n[templates.reply-only]\nrights = ["view", "reply"]\n'
        '[templates.read-only]\nrights = ["view"]\n', encoding="utf-8")
    async with running_app(data_dir) as app:
        deps = app.services.instance.messages
        ids = {}
        for name, rights in (("reply-only", ("view", "reply")), ("read-only", ("view",))):
            sealed = await app.run(protect(
                deps, io.BytesIO(simple_mail()), sender=ALICE, recipients=(BOB, CAROL),
                policy=fmt.Policy(template=name, rights=rights, expires_at=None), actor="test"))
            ids[name] = sealed.message_id
        await app.sign_in(BOB)
        refused = await reply(app, ids["reply-only"], "all?", reply_all=True)
        assert refused.status_code == 403 and refused.json()["code"] == "policy.right-not-granted"
        assert (await reply(app, ids["reply-only"], "just Alice")).status_code == 201
        for reply_all in (False, True):
            refused = await reply(app, ids["read-only"], "hello", reply_all=reply_all)
            assert refused.status_code == 403 and refused.json()["code"] == "policy.right-not-granted"
        assert (await forward(app, ids["reply-only"], DAVE)).json()["code"] == "policy.right-not-granted"


@pytest.mark.engines
async def test_revoked_and_expired_cannot_be_answered(data_dir: Path) -> None:
    async with running_app(data_dir) as app:
        revoked = await app.seal(simple_mail(subject="Withdrawn"))
        expiring = await app.seal(simple_mail(subject="Short-lived"), expires_days=1)
        await app.run(app.services.instance.keys.revoke(revoked.message_id, actor="admin"))
        await app.sign_in(BOB)
        before = len(app.outbox.list())
        for kind in ("reply", "all", "forward"):
            if kind == "forward":
                response = await forward(app, revoked.message_id, DAVE)
            else:
                response = await reply(app, revoked.message_id, "hello", reply_all=kind == "all")
            assert response.status_code == 410 and response.json()["code"] == "policy.revoked", response.text
        keys = app.services.instance.keys
        keys.clock = lambda: time.time() + 2 * 86400
        try:
            response = await reply(app, expiring.message_id, "too late")
            assert response.status_code == 410 and response.json()["code"] == "policy.expired"
            preview = await app.http.get(f"/api/messages/{expiring.message_id}/reply-recipients")
            assert preview.status_code == 410
        finally:
            keys.clock = time.time
        assert len(app.outbox.list()) == before, "no mail left for a refused answer"


async def test_not_a_party_and_unknown_messages(data_dir: Path) -> None:
    async with running_app(data_dir) as app:
        sealed = await app.seal(simple_mail())
        await app.sign_in(DAVE)
        for response in (
            await reply(app, sealed.message_id, "hi"),
            await forward(app, sealed.message_id, "erin@gmail.com"),
            await app.http.get(f"/api/messages/{sealed.message_id}/thread"),
            await app.http.get(f"/api/messages/{sealed.message_id}/reply-recipients"),
        ):
            assert response.status_code == 403 and response.json()["code"] == "policy.not-recipient"
        assert (await reply(app, "0" * 26, "hi")).status_code == 404
        assert (await app.http.get(f"/api/messages/{'0' * 26}/thread")).status_code == 404
        app.http.cookies.clear()
        assert (await app.http.post(f"/api/messages/{sealed.message_id}/reply",
                                    files=[("body", (None, "x"))])).status_code in (401, 403)


@pytest.mark.engines
async def test_forward_makes_the_new_address_a_party(data_dir: Path) -> None:
    async with running_app(data_dir) as app:
        raw = simple_mail(subject="Fwd: Plans", body="The plan is attached.",
                          attachment=("plan.pdf", "application/pdf", b"%PDF-1.4 plan"))
        sealed = await app.seal(raw, recipients=(BOB, CAROL))
        await app.sign_in(BOB)
        for bad in ("", "not an address", f"{DAVE}, erin@gmail.com", f"{DAVE}\r\nBcc: erin@gmail.com"):
            response = await forward(app, sealed.message_id, bad)
            assert response.status_code == 400, (bad, response.text)
        assert (await forward(app, sealed.message_id, BOB)).status_code == 400
        sent = await forward(app, sealed.message_id, "Dave@Outlook.com", body="Dave, see below.")
        assert sent.status_code == 201, sent.text
        forward_id = sent.json()["id"]
        assert sent.json()["to"] == [DAVE] and sent.json()["subject"] == "Fwd: Plans"
        assert addressed_to(app, forward_id) == [DAVE]
        record = await app.run(app.services.instance.keys.record(forward_id))
        assert (record.sender, record.recipients, record.template) == (BOB, (DAVE,), "encrypt-only")

        await switch_to(app, DAVE)
        view = (await app.http.get(f"/api/messages/{forward_id}")).json()
        assert view["text"].startswith("Dave, see below.") and "The plan is attached." in view["text"]
        assert "From: Alice Example <alice@example.org>" in view["text"]
        assert [a["filename"] for a in view["attachments"]] == ["plan.pdf"]
        assert (await app.http.get(f"/api/messages/{sealed.message_id}")).status_code == 403
        thread = (await app.http.get(f"/api/messages/{forward_id}/thread")).json()
        assert [m["id"] for m in thread["messages"]] == [forward_id]
        assert thread["messages"][0]["inReplyTo"] is None, "the original's id is not shown to a non-party"


async def test_attachment_limits(data_dir: Path) -> None:
    async with running_app(data_dir, max_upload_bytes=1024) as app:
        sealed = await app.seal(simple_mail())
        await app.sign_in(BOB)
        eleven = [(f"f{i}.txt", b"x", "text/plain") for i in range(11)]
        response = await reply(app, sealed.message_id, "many", files=eleven)
        assert response.status_code == 400 and "10 files" in response.json()["detail"]
        big = [("a.bin", b"a" * 600, "application/octet-stream"), ("b.bin", b"b" * 600, "application/octet-stream")]
        response = await reply(app, sealed.message_id, "big", files=big)
        assert response.status_code == 413 and response.json()["code"] == "input.too-large"
        empty = await reply(app, sealed.message_id, "   ")
        assert empty.status_code == 400
        ten = [(f"../f{i}\u202egpj.exe", b"x", "text/html") for i in range(10)]
        response = await reply(app, sealed.message_id, "ten", files=ten)
        assert response.status_code == 201, response.text
        await switch_to(app, ALICE)
        view = (await app.http.get(f"/api/messages/{response.json()['id']}")).json()
        assert [a["filename"] for a in view["attachments"]] == [f"f{i}gpj.exe" for i in range(10)]
        assert {a["contentType"] for a in view["attachments"]} == {"application/octet-stream"}
