"""End to end over real SMTP on loopback, with the web app's own startup wiring the listeners.

A client submits to the relay; the rule seals; the wrapper lands in the outbox with message.html; the
recipient forwards it (as an attachment, and inline) to their forward address; it is in their inbox
through the API; the admin revokes it through the admin API; the recipient's screen says so.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mailseal import cli
from mailseal.mail.extract import find_envelopes
from mailseal.mail.listeners import MailListeners
from support.mail_listeners import (
    SEAL_SECURE,
    forward_as_attachment,
    forward_inline,
    parse_mail,
    plain_mail,
    smtp_send,
)
from support.mailseal_app import MailsealClient, running_app
from support.secrets import remember

BOB = "bob@partner.example"
SECRET = "Revenue is up 12 percent."
remember(SECRET)


def newest_mail_to(app: MailsealClient, address: str) -> bytes:
    entries = [entry for entry in app.outbox.list() if address in entry.recipients]
    return app.outbox.read_mail(entries[0].key).message


async def admin_token(data: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert await asyncio.to_thread(cli.main, ["--data", str(data), "admin", "token", "--name", "e2e"]) == 0
    token = capsys.readouterr().out.strip()
    remember(token)
    assert token.startswith("mailseal_admin_")
    return token


async def test_relay_seal_forward_inbox_revoke(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (data_dir / "rules.toml").write_text(SEAL_SECURE, encoding="utf-8")
    async with running_app(data_dir, relay_port=0, inbound_port=0, inbound_domain="in.mailseal.test",
                           org_name="Contoso") as app:
        listeners: MailListeners = app.http.app.state.mail_listeners
        me = await app.sign_in(BOB)
        forward_address = me["forwardAddress"]
        assert forward_address.endswith("@in.mailseal.test")
        assert (await app.http.get("/api/me")).json()["forwardAddress"] == forward_address

        sent = await smtp_send(listeners.relay.port, plain_mail("[secure] Q3 numbers", SECRET + "\r\n", to=BOB),
                               recipients=[BOB])
        assert sent.data is not None and sent.data.code == 250 and "sealed" in sent.data.text
        wrapper = newest_mail_to(app, BOB)
        parsed = parse_mail(wrapper)
        assert [part.get_filename() for part in parsed.iter_attachments()] == ["message.html"]
        assert SECRET.encode() not in wrapper
        (envelope,) = find_envelopes(wrapper)

        for forward in (forward_as_attachment, forward_inline):
            data = forward(wrapper, sender="bob.private@mail.example", to=forward_address)
            sent = await smtp_send(listeners.inbound.port, data, mail_from="bob.private@mail.example",
                                   recipients=[forward_address])
            assert sent.data is not None and sent.data.code == 250, sent

        inbox = (await app.http.get("/api/messages")).json()["messages"]
        assert len(inbox) == 1
        message_id = inbox[0]["id"]
        assert inbox[0]["subject"] == "[secure] Q3 numbers"
        opened = await app.http.get(f"/api/messages/{message_id}")
        assert opened.status_code == 200
        assert SECRET in opened.json()["text"]
        with app.services.instance.blobs.open(message_id) as stored:
            assert stored.read() == envelope

        token = await admin_token(data_dir, capsys)
        listed = await app.http.get("/api/admin/messages", headers={"Authorization": f"Bearer {token}"})
        assert [item["id"] for item in listed.json()["messages"]] == [message_id]
        revoked = await app.http.post(f"/api/admin/messages/{message_id}/revoke",
                                      headers={"Authorization": f"Bearer {token}"})
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["state"] == "revoked"

        screen = await app.http.get(f"/api/messages/{message_id}")
        assert screen.status_code == 410
        assert screen.json()["code"] == "policy.revoked"
        assert screen.json()["title"] == "This message was revoked by the sender"
        data = forward_as_attachment(wrapper, sender=BOB, to=forward_address)
        sent = await smtp_send(listeners.inbound.port, data, recipients=[forward_address])
        assert sent.data is not None and sent.data.code == 550 and "revoked by the sender" in sent.data.text

        regenerated = await app.post("/api/me/forward-address")
        assert regenerated.status_code == 200
        new_address = regenerated.json()["forwardAddress"]
        assert new_address != forward_address
        sent = await smtp_send(listeners.inbound.port, data, recipients=[forward_address])
        assert [reply.code for reply in sent.rcpts] == [550]
        assert (await app.http.get("/api/me")).json()["forwardAddress"] == new_address


async def test_regenerating_needs_a_session_and_the_csrf_token(data_dir: Path) -> None:
    async with running_app(data_dir, relay_port=0, inbound_port=0) as app:
        assert (await app.post("/api/me/forward-address")).status_code == 401
        await app.sign_in(BOB)
        assert (await app.http.post("/api/me/forward-address")).status_code == 403
