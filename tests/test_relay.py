"""The relay over real SMTP on loopback: rules decide, matching mail is sealed and wrapped, the rest passes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mailseal.keys import Identity
from mailseal.mail.extract import find_envelopes
from mailseal.messages.open import open_envelope
from support.mail_listeners import (
    PUBLIC_URL,
    SEAL_SECURE,
    mail_stack,
    parse_mail,
    plain_mail,
    smtp_send,
)
from support.secrets import remember

RECEIVED = re.compile(
    rb"Received: from [^\r\n]+\r\n\tby example\.org \(Mailseal relay\) with ESMTP;\r\n\t[^\r\n]+\r\n"
)


async def test_mail_that_matches_no_rule_passes_unchanged_byte_for_byte(data_dir: Path) -> None:
    body = "Plain text.\r\n.leading dot stays\r\n\r\nTrailing spaces   \r\n"
    data = plain_mail("Lunch", body, extra=[("X-Custom", "  odd   spacing ")])
    async with mail_stack(data_dir, rules=SEAL_SECURE) as stack:
        sent = await smtp_send(stack.relay_port, data, recipients=["bob@partner.example", "Carol@Else.Example"])
        assert sent.data is not None and sent.data.code == 250, sent
        mails = stack.mails()
    assert len(mails) == 1
    mail = mails[0]
    assert mail.mail_from == "alice@example.org"
    assert mail.recipients == ("bob@partner.example", "Carol@Else.Example")
    trace = RECEIVED.match(mail.message)
    assert trace is not None, mail.message[:200]
    assert mail.message[trace.end():] == data


async def test_no_rules_file_means_nothing_is_sealed(data_dir: Path) -> None:
    async with mail_stack(data_dir) as stack:
        sent = await smtp_send(stack.relay_port, plain_mail("[secure] numbers"))
        assert sent.data is not None and sent.data.code == 250
        assert sent.data.text.endswith("queued")
        (mail,) = stack.mails()
    assert mail.message.endswith(plain_mail("[secure] numbers"))


@pytest.mark.engines
async def test_matching_mail_is_sealed_and_each_recipient_gets_a_wrapper(data_dir: Path) -> None:
    secret = "The merger closes on Friday."
    remember(secret)
    data = plain_mail("[secure] Project Falcon", secret + "\r\n", to="bob@partner.example",
                      cc="carol@else.example")
    recipients = ["bob@partner.example", "carol@else.example", "dave@hidden.example"]
    async with mail_stack(data_dir, rules=SEAL_SECURE) as stack:
        sent = await smtp_send(stack.relay_port, data, recipients=recipients)
        assert sent.data is not None and sent.data.code == 250, sent
        assert "sealed" in sent.data.text
        mails = stack.mails()
        assert sorted(mail.recipients[0] for mail in mails) == sorted(recipients)
        envelopes = {}
        for mail in mails:
            assert mail.mail_from == "no-reply@example.org"
            assert secret.encode() not in mail.message
            wrapper = parse_mail(mail.message)
            assert wrapper["X-Mailseal"] == "wrapper; v=1"
            assert wrapper["To"] == mail.recipients[0]
            assert "Alice Example" in wrapper["From"]
            names = [part.get_filename() for part in wrapper.iter_attachments()]
            assert names == ["message.html"]
            html = wrapper.get_body(preferencelist=("html",))
            assert html is not None
            (envelope,) = find_envelopes(mail.message)
            envelopes[mail.recipients[0]] = envelope
            record_ids = re.findall(rf"{re.escape(PUBLIC_URL)}/m/([a-z0-9]+)", html.get_content())
            assert record_ids, "no Read the message link"
            # Each recipient's link names them after a fragment (never sent to a server): the sign-in
            # screen fills the address in.
            assert f"/m/{record_ids[0]}#to={mail.recipients[0]}" in html.get_content()
            record = await stack.instance.keys.record(record_ids[0])
            assert mail.recipients[0] in record.recipients
        # To and Cc share one sealed message; the Bcc recipient has one of their own, and it names only them.
        assert envelopes["bob@partner.example"] == envelopes["carol@else.example"]
        assert envelopes["dave@hidden.example"] != envelopes["bob@partner.example"]
        records = await stack.instance.keys.list_records()
        by_recipients = sorted(record.recipients for record in records)
        assert by_recipients == [("bob@partner.example", "carol@else.example"), ("dave@hidden.example",)]
        assert all(record.sender == "alice@example.org" and record.template == "encrypt-only" for record in records)
        # The sealed message is the submitted mail, byte for byte.
        shared = next(record for record in records if len(record.recipients) == 2)
        deps = stack.instance.messages
        async with open_envelope(deps, shared.message_id, Identity(addresses=("carol@else.example",))) as opened:
            assert b"".join(opened.envelope.iter_plaintext()) == data
        audit = await stack.instance.keys.audit(shared.message_id)
        assert audit[0].action == "seal" and audit[0].actor == "relay:127.0.0.1"


async def test_rules_that_never_loaded_defer_mail_with_451(data_dir: Path) -> None:
    async with mail_stack(data_dir, rules="version = 1\n[[rule]]\nname = \n") as stack:
        sent = await smtp_send(stack.relay_port, plain_mail("[secure] anything"))
        assert sent.data is not None and sent.data.code == 451
        assert "rules" in sent.data.text
        assert stack.mails() == []
        stack.write_rules(SEAL_SECURE + "\n# fixed\n")
        sent = await smtp_send(stack.relay_port, plain_mail("[secure] anything"))
        assert sent.data is not None and sent.data.code == 250
        assert len(stack.mails()) == 1
        assert "sealed" in sent.data.text


async def test_a_broken_edit_keeps_the_last_good_rules(data_dir: Path) -> None:
    async with mail_stack(data_dir, rules=SEAL_SECURE) as stack:
        sent = await smtp_send(stack.relay_port, plain_mail("[secure] one"))
        assert sent.data is not None and "sealed" in sent.data.text
        stack.write_rules("this is = not [valid toml\n" * 3)
        sent = await smtp_send(stack.relay_port, plain_mail("[secure] two"))
        assert sent.data is not None and sent.data.code == 250 and "sealed" in sent.data.text
        sent = await smtp_send(stack.relay_port, plain_mail("not secure"))
        assert sent.data is not None and sent.data.text.endswith("queued")


async def test_a_new_rules_file_is_used_for_the_next_mail(data_dir: Path) -> None:
    async with mail_stack(data_dir) as stack:
        sent = await smtp_send(stack.relay_port, plain_mail("[secure] before"))
        assert sent.data is not None and sent.data.text.endswith("queued")
        stack.write_rules(SEAL_SECURE)
        sent = await smtp_send(stack.relay_port, plain_mail("[secure] after"))
        assert sent.data is not None and "sealed" in sent.data.text


async def test_a_mail_without_any_sender_address_is_refused_when_it_must_be_sealed(data_dir: Path) -> None:
    data = b"To: bob@partner.example\r\nSubject: [secure] x\r\n\r\nbody\r\n"
    async with mail_stack(data_dir, rules=SEAL_SECURE) as stack:
        sent = await smtp_send(stack.relay_port, data, mail_from="")
        assert sent.data is not None and sent.data.code == 554
        assert stack.mails() == []
        assert await stack.instance.keys.list_records() == []
