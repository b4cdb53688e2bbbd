"""Attack class: oversized input. Size, recipients, line length, header count and size, mail loops.

Each refusal is a clear SMTP reply, nothing reaches the outbox, and the listener answers afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mailseal.mail import smtp_status as status
from mailseal.mail.header_limits import HeaderLimits, header_refusal
from mailseal.mail.listeners import SmtpListener
from mailseal.mail.smtp_limits import SessionLimits
from support.mail_listeners import HOST, MailStack, mail_stack, plain_mail, smtp_alive, smtp_send

LIMIT = 1024 * 1024


@pytest.fixture
async def stack(data_dir: Path) -> AsyncIterator[MailStack]:
    async with mail_stack(data_dir, max_message_bytes=LIMIT) as running:
        yield running


async def test_size_is_advertised_and_enforced(stack: MailStack) -> None:
    sent = await smtp_send(stack.relay_port, plain_mail(body="x" * 100 + "\r\n"))
    assert f"SIZE {LIMIT}" in sent.ehlo
    big = plain_mail(body=("y" * 900 + "\r\n") * (LIMIT // 900 + 10))
    sent = await smtp_send(stack.relay_port, big)
    assert sent.data is not None and sent.data.code == 552
    assert len(stack.mails()) == 1
    assert await smtp_alive(stack.relay_port)


async def test_at_most_100_recipients_per_mail(stack: MailStack) -> None:
    recipients = [f"r{number}@partner.example" for number in range(101)]
    sent = await smtp_send(stack.relay_port, plain_mail(), recipients=recipients)
    assert [reply.code for reply in sent.rcpts] == [250] * 100 + [452]
    assert sent.data is not None and sent.data.code == 250
    (mail,) = stack.mails()
    assert len(mail.recipients) == 100


async def test_invalid_addresses_are_refused(stack: MailStack) -> None:
    sent = await smtp_send(stack.relay_port, plain_mail(), recipients=["not-an-address", "a@b@c.example", "ok@x.org"])
    assert [reply.code for reply in sent.rcpts] == [553, 553, 250]
    sent = await smtp_send(stack.relay_port, plain_mail(), mail_from="bad..dots@example.org")
    assert sent.mail is not None and sent.mail.code >= 500


@pytest.mark.parametrize(
    ("extra", "code", "text"),
    [
        ([(f"X-Filler-{number}", "v") for number in range(501)], 554, "Too many header fields"),
        ([("X-Long", "\r\n\t".join(["w" * 900] * 80))], 554, "header field is too long"),
        ([("Received", f"from hop{number} by hop{number + 1}; Fri, 27 Nov 2026 09:00:00 +0000")
          for number in range(51)], 554, "Mail loop"),
    ],
    ids=["too-many-fields", "field-too-long", "mail-loop"],
)
async def test_header_limits(stack: MailStack, extra: list[tuple[str, str]], code: int, text: str) -> None:
    sent = await smtp_send(stack.relay_port, plain_mail(extra=extra))
    assert sent.data is not None and sent.data.code == code
    assert text in sent.data.text
    assert stack.mails() == []
    assert await smtp_alive(stack.relay_port)


async def test_a_line_over_998_characters_is_refused(stack: MailStack) -> None:
    sent = await smtp_send(stack.relay_port, plain_mail(body="z" * 2000 + "\r\n"))
    assert sent.data is not None and sent.data.code == 500
    assert "Line too long" in sent.data.text
    assert stack.mails() == []
    assert await smtp_alive(stack.relay_port)


async def test_a_header_section_without_end_within_bounds_is_fine(stack: MailStack) -> None:
    headers_only = b"From: alice@example.org\r\nTo: bob@partner.example\r\nSubject: no body\r\n"
    sent = await smtp_send(stack.relay_port, headers_only)
    assert sent.data is not None and sent.data.code == 250
    (mail,) = stack.mails()
    assert mail.message.endswith(headers_only)


def test_a_header_section_that_never_ends_is_refused() -> None:
    endless = b"X-A: b\r\n" * 200_000  # 1.6 MB of header fields and no blank line
    assert header_refusal(endless, HeaderLimits(max_fields=10**6)) == status.HEADER_TOO_LARGE
    assert header_refusal(b"Subject: x\r\n\r\n" + b"body\r\n" * 10) is None
    assert header_refusal(b"Subject: x\n\nbody") is None


async def test_connections_over_the_limit_get_421(stack: MailStack) -> None:
    listener = SmtpListener(stack.listeners.relay.handler, name="small", host=HOST, port=0, hostname="example.org",
                            data_size_limit=LIMIT, limits=SessionLimits(max_connections=2))
    await listener.start()
    opened = []
    try:
        for _ in range(2):
            reader, writer = await asyncio.open_connection(HOST, listener.port)
            assert (await reader.readline()).startswith(b"220 example.org Mailseal ESMTP")
            opened.append(writer)
        reader, writer = await asyncio.open_connection(HOST, listener.port)
        assert (await reader.readline()).startswith(b"421 4.7.0")
        assert await reader.read() == b""
        writer.close()
        opened.pop().close()
        # Once the server has seen that close, there is room again (retry until it has).
        for _ in range(500):
            reader, writer = await asyncio.open_connection(HOST, listener.port)
            greeting = await reader.readline()
            opened.append(writer)
            if greeting.startswith(b"220"):
                break
            writer.close()
            opened.pop()
            await asyncio.sleep(0.01)
        assert greeting.startswith(b"220")
    finally:
        for writer in opened:
            writer.close()
        await listener.stop()
