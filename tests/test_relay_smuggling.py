"""Attack class: SMTP smuggling (CVE-2023-51764 family). Only CRLF.CRLF ends DATA at our listeners.

A client hides a second transaction behind a non-standard end of data (bare LF or CR around the dot);
we must see one mail with that text in its body, never a second mail, on the relay and on the inbound
listener alike.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mailseal.mail.outbox import parse_traced
from support.mail_listeners import HOST, mail_stack, smtp_alive

ENDINGS = [b"\n.\n", b"\n.\r\n", b"\r.\r\n", b"\r\n.\n", b"\r\n.\r"]


async def transaction(port: int, rcpt: bytes, ending: bytes) -> list[bytes]:
    smuggled = (
        b"MAIL FROM:<ceo@example.org>\r\nRCPT TO:<victim@partner.example>\r\nDATA\r\n"
        b"From: ceo@example.org\r\nSubject: smuggled\r\n\r\npay the invoice\r\n.\r\n"
    )
    body = b"From: alice@example.org\r\nTo: bob@partner.example\r\nSubject: one\r\n\r\nfirst" + ending + smuggled
    reader, writer = await asyncio.open_connection(HOST, port)
    replies = [await reader.readline()]
    try:
        for command in (b"HELO client.example", b"MAIL FROM:<alice@example.org>", b"RCPT TO:<" + rcpt + b">",
                        b"DATA"):
            writer.write(command + b"\r\n")
            replies.append(await reader.readline())
        writer.write(body)
        await writer.drain()
        replies.append(await reader.readline())
        writer.write(b"QUIT\r\n")
        await writer.drain()
        while line := await reader.readline():
            replies.append(line)
    finally:
        writer.close()
        await writer.wait_closed()
    return replies


@pytest.mark.parametrize("ending", ENDINGS, ids=repr)
async def test_a_smuggled_second_mail_stays_inside_the_first(data_dir: Path, ending: bytes) -> None:
    async with mail_stack(data_dir) as stack:
        replies = await transaction(stack.relay_port, b"bob@partner.example", ending)
        accepted = [reply for reply in replies if reply.startswith(b"250 2.0.0")]
        assert len(accepted) == 1, replies
        assert replies[-1].startswith(b"221")
        mails = stack.mails()
        assert len(mails) == 1
        assert mails[0].recipients == ("bob@partner.example",)
        assert b"pay the invoice" in mails[0].message
        stored = parse_traced(stack.outbox.read(stack.outbox.list()[0].key))
        assert b"Subject: smuggled" in stored.message.split(b"\r\n\r\n", 1)[1]


@pytest.mark.parametrize("ending", ENDINGS[:2], ids=repr)
async def test_the_inbound_listener_reads_one_mail_too(data_dir: Path, ending: bytes) -> None:
    async with mail_stack(data_dir) as stack:
        address = await stack.forward.address_for(["bob@partner.example"])
        assert address is not None
        replies = await transaction(stack.inbound_port, address.encode(), ending)
        data_replies = [reply for reply in replies[5:] if reply[:1] in b"2345" and not reply.startswith(b"221")]
        assert len(data_replies) == 1 and data_replies[0].startswith(b"550 5.6.0"), replies
        assert await smtp_alive(stack.inbound_port)
