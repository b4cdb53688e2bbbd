"""Attack class: connection exhaustion. One client must not be able to hold the SMTP listeners for itself.

Real listeners (the relay and the inbound one, wired as `mailseal serve` wires them) on loopback, and
real clients; 127.0.0.2 is another client than 127.0.0.1. Deadlines are shortened through
`SessionLimits` on a listener of the test's own, with the relay's real handler behind it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosmtplib
import pytest

from mailseal.mail.listeners import SmtpListener
from mailseal.mail.smtp_limits import SessionLimits, client_key
from support.mail_listeners import HOST, MailStack, mail_stack, plain_mail

OTHER_CLIENT = "127.0.0.2"


@pytest.fixture
async def stack(data_dir: Path) -> AsyncIterator[MailStack]:
    async with mail_stack(data_dir) as running:
        yield running


class Dialogue:
    """One SMTP connection spoken by hand, so every reply and the close are seen as they come."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int, *, source: str = HOST) -> Dialogue:
        reader, writer = await asyncio.open_connection(HOST, port, local_addr=(source, 0))
        return cls(reader, writer)

    async def reply(self, timeout: float = 10) -> bytes:
        """The next reply (the last line of a multi-line one), or b"" once the server has closed."""
        while True:
            line = await asyncio.wait_for(self.reader.readline(), timeout)
            if not line or line[3:4] != b"-":
                return line

    async def say(self, line: str, timeout: float = 10) -> bytes:
        self.writer.write(line.encode("ascii") + b"\r\n")
        await self.writer.drain()
        return await self.reply(timeout)

    async def closed_by_server(self, timeout: float = 10) -> bool:
        return await asyncio.wait_for(self.reader.read(), timeout) == b""

    def close(self) -> None:
        self.writer.close()


@asynccontextmanager
async def small_listener(stack: MailStack, limits: SessionLimits) -> AsyncIterator[SmtpListener]:
    """A relay listener with the given limits, in front of the stack's real relay handler."""
    listener = SmtpListener(stack.listeners.relay.handler, name="small", host=HOST, port=0,
                            hostname="example.org", data_size_limit=1024 * 1024, limits=limits)
    await listener.start()
    try:
        yield listener
    finally:
        await listener.stop()


async def send_one_mail(dialogue: Dialogue) -> bytes:
    assert (await dialogue.say("MAIL FROM:<alice@example.org>")).startswith(b"250")
    assert (await dialogue.say("RCPT TO:<bob@partner.example>")).startswith(b"250")
    assert (await dialogue.say("DATA")).startswith(b"354")
    return await dialogue.say(plain_mail().decode("ascii") + "\r\n.")


@pytest.mark.parametrize("which", ["relay", "inbound"])
async def test_a_client_holding_its_connections_cannot_keep_another_from_its_greeting(
    stack: MailStack, which: str
) -> None:
    port = stack.relay_port if which == "relay" else stack.inbound_port
    cap = stack.settings.smtp_client_connections
    held: list[Dialogue] = []
    greetings: list[bytes] = []
    try:
        for _ in range(150):  # more than the 100 connections the listener allows in all
            dialogue = await Dialogue.open(port)
            greetings.append(await dialogue.reply())
            held.append(dialogue)
        assert [line[:3] for line in greetings] == [b"220"] * cap + [b"421"] * (150 - cap)
        assert greetings[-1].startswith(b"421 4.7.0 Too many connections from your address")
        assert all([await dialogue.closed_by_server() for dialogue in held[cap:]])

        other = await Dialogue.open(port, source=OTHER_CLIENT)
        held.append(other)
        assert (await other.reply()).startswith(b"220 ")
        assert (await other.say("EHLO other.example")).startswith(b"250 ")
        if which == "relay":
            assert (await send_one_mail(other)).startswith(b"250 ")
        assert (await held[0].say("NOOP")).startswith(b"250 ")  # the first client keeps what it holds
    finally:
        for dialogue in held:
            dialogue.close()


async def test_a_client_under_its_cap_again_is_let_in(stack: MailStack) -> None:
    listener = stack.listeners.relay
    cap = stack.settings.smtp_client_connections
    held = [await Dialogue.open(stack.relay_port) for _ in range(cap)]
    try:
        assert [(await dialogue.reply())[:3] for dialogue in held] == [b"220"] * cap
        refused = await Dialogue.open(stack.relay_port)
        assert (await refused.reply()).startswith(b"421 ")
        refused.close()
        assert (await held.pop().say("QUIT")).startswith(b"221 ")
        for _ in range(500):  # until the server has seen that close
            if listener.open_from(HOST) < cap:
                break
            await asyncio.sleep(0.01)
        again = await Dialogue.open(stack.relay_port)
        held.append(again)
        assert (await again.reply()).startswith(b"220 ")
    finally:
        for dialogue in held:
            dialogue.close()


async def test_a_noop_loop_is_cut_off(stack: MailStack) -> None:
    budget = SessionLimits().max_commands_without_mail
    dialogue = await Dialogue.open(stack.relay_port)
    try:
        assert (await dialogue.reply()).startswith(b"220 ")
        replies = [await dialogue.say("EHLO client.example")]
        while len(replies) < budget + 10:
            reply = await dialogue.say("NOOP")
            replies.append(reply)
            if not reply.startswith(b"250"):
                break
        assert [reply[:3] for reply in replies] == [b"250"] * budget + [b"421"]
        assert replies[-1].startswith(b"421 4.7.0 Too many commands without a mail")
        assert await dialogue.closed_by_server()
    finally:
        dialogue.close()


async def test_every_command_that_moves_no_mail_counts_and_an_accepted_mail_renews_the_budget(
    stack: MailStack,
) -> None:
    async with small_listener(stack, SessionLimits(max_commands_without_mail=3)) as listener:
        dialogue = await Dialogue.open(listener.port)
        try:
            assert (await dialogue.reply()).startswith(b"220 ")
            assert (await dialogue.say("EHLO client.example")).startswith(b"250 ")
            assert (await dialogue.say("RSET")).startswith(b"250 ")
            assert (await dialogue.say("HELP")).startswith(b"250 ")
            assert (await send_one_mail(dialogue)).startswith(b"250 ")
            assert (await dialogue.say("VRFY <bob@partner.example>")).startswith(b"252 ")
            assert (await dialogue.say("HELO again.example")).startswith(b"250 ")
            assert (await dialogue.say("NOOP")).startswith(b"250 ")
            assert (await dialogue.say("RSET")).startswith(b"421 4.7.0")
            assert await dialogue.closed_by_server()
        finally:
            dialogue.close()


async def test_refused_recipients_count_too(stack: MailStack) -> None:
    """Probing addresses (or guessing AUTH passwords) moves no mail either: a refused RCPT, MAIL or AUTH
    is counted; an accepted one is not, so a mail with many recipients is not cut off."""
    async with small_listener(stack, SessionLimits(max_commands_without_mail=3)) as listener:
        dialogue = await Dialogue.open(listener.port)
        try:
            assert (await dialogue.reply()).startswith(b"220 ")
            assert (await dialogue.say("EHLO client.example")).startswith(b"250 ")
            assert (await dialogue.say("MAIL FROM:<alice@example.org>")).startswith(b"250")
            for number in range(5):
                assert (await dialogue.say(f"RCPT TO:<r{number}@partner.example>")).startswith(b"250")
            assert (await dialogue.say("RCPT TO:<not-an-address>")).startswith(b"553")
            assert (await dialogue.say("RCPT TO:<still@not@one>")).startswith(b"553")
            assert (await dialogue.say("RCPT TO:<third@@bad>")).startswith(b"553")
            assert (await dialogue.reply()).startswith(b"421 4.7.0 Too many commands without a mail")
            assert await dialogue.closed_by_server()
        finally:
            dialogue.close()


async def test_help_still_lists_the_counted_commands(stack: MailStack) -> None:
    dialogue = await Dialogue.open(stack.relay_port)
    try:
        assert (await dialogue.reply()).startswith(b"220 ")
        assert (await dialogue.say("EHLO client.example")).startswith(b"250 ")
        commands = (await dialogue.say("HELP")).split(b":", 1)[1].split()
        assert {b"NOOP", b"RSET", b"VRFY", b"HELP", b"EHLO", b"MAIL", b"RCPT", b"DATA"} <= set(commands)
        assert (await dialogue.say("HELP NOOP")).startswith(b"250 Syntax: NOOP")
    finally:
        dialogue.close()


async def test_a_session_busy_with_noop_is_closed_at_its_deadline(stack: MailStack) -> None:
    limits = SessionLimits(session_seconds=0.5, max_commands_without_mail=10_000)
    async with small_listener(stack, limits) as listener:
        dialogue = await Dialogue.open(listener.port)
        started = time.monotonic()
        try:
            assert (await dialogue.reply()).startswith(b"220 ")
            reply = await dialogue.say("EHLO client.example")
            while reply.startswith(b"250") and time.monotonic() - started < 10:
                await asyncio.sleep(0.05)
                reply = await dialogue.say("NOOP")
            assert reply.startswith(b"421 4.4.2 Session time limit reached")
            assert time.monotonic() - started >= 0.5
            assert await dialogue.closed_by_server()
        finally:
            dialogue.close()


async def test_an_idle_session_is_closed_at_its_deadline_before_the_idle_timeout(stack: MailStack) -> None:
    async with small_listener(stack, SessionLimits(session_seconds=0.3, idle_seconds=60)) as listener:
        dialogue = await Dialogue.open(listener.port)
        try:
            assert (await dialogue.reply()).startswith(b"220 ")
            assert (await dialogue.reply(timeout=10)).startswith(b"421 4.4.2")
            assert await dialogue.closed_by_server()
            assert listener.open_from(HOST) == 0
        finally:
            dialogue.close()


async def test_a_mail_arriving_at_the_deadline_is_answered_before_the_close(stack: MailStack) -> None:
    async with small_listener(stack, SessionLimits(session_seconds=0.5)) as listener:
        dialogue = await Dialogue.open(listener.port)
        try:
            assert (await dialogue.reply()).startswith(b"220 ")
            assert (await dialogue.say("EHLO client.example")).startswith(b"250 ")
            assert (await dialogue.say("MAIL FROM:<alice@example.org>")).startswith(b"250")
            assert (await dialogue.say("RCPT TO:<bob@partner.example>")).startswith(b"250")
            assert (await dialogue.say("DATA")).startswith(b"354")
            head, _, rest = plain_mail().partition(b"\r\n\r\n")
            dialogue.writer.write(head + b"\r\n\r\n")
            await asyncio.sleep(1.0)  # the deadline passes while the mail is coming in
            assert (await dialogue.say(rest.decode("ascii") + "\r\n.")).startswith(b"250 ")
            assert (await dialogue.reply()).startswith(b"421 4.4.2")
            assert await dialogue.closed_by_server()
        finally:
            dialogue.close()
    assert len(stack.mails()) == 1


async def test_aiosmtplib_sees_the_421_as_a_refusal(stack: MailStack) -> None:
    """What a real client library makes of the per-client refusal: a clean SMTP error, not a hang."""
    cap = stack.settings.smtp_client_connections
    held = [await Dialogue.open(stack.inbound_port) for _ in range(cap)]
    try:
        for dialogue in held:
            assert (await dialogue.reply()).startswith(b"220 ")
        client = aiosmtplib.SMTP(hostname=HOST, port=stack.inbound_port, timeout=10, start_tls=False)
        with pytest.raises(aiosmtplib.SMTPConnectResponseError) as refused:
            await client.connect()
        assert refused.value.code == 421
    finally:
        for dialogue in held:
            dialogue.close()


def test_clients_are_told_apart_by_address_and_ipv6_by_their_64() -> None:
    assert client_key(("192.0.2.7", 2525)) == "192.0.2.7"
    assert client_key(("::ffff:192.0.2.7", 2525, 0, 0)) == "192.0.2.7"
    assert client_key(("2001:db8:1:2::1", 25, 0, 0)) == client_key(("2001:db8:1:2:ffff::9", 25, 0, 0))
    assert client_key(("2001:db8:1:2::1", 25, 0, 0)) != client_key(("2001:db8:1:3::1", 25, 0, 0))
    assert client_key(None) == "unknown"


def test_the_421_and_the_deadline_reach_the_client_on_uvloop() -> None:
    """`mailseal serve` runs under uvicorn, which picks uvloop: its transports are no `WriteTransport`
    subclasses, and a refusal that checked for one closed silently, without its 421."""
    uvloop = pytest.importorskip("uvloop")

    class Accepting:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 OK"

    async def scenario() -> list[bytes]:
        limits = SessionLimits(max_client_connections=1, session_seconds=0.3)
        listener = SmtpListener(Accepting(), name="uv", host=HOST, port=0, hostname="example.org",
                                data_size_limit=1024, limits=limits)
        await listener.start()
        try:
            first = await Dialogue.open(listener.port)
            second = await Dialogue.open(listener.port)
            seen = [await first.reply(), await second.reply(), await first.reply()]
            first.close()
            second.close()
            return seen
        finally:
            await listener.stop()

    greeting, refusal, deadline = uvloop.run(scenario())
    assert greeting.startswith(b"220 ")
    assert refusal.startswith(b"421 4.7.0 Too many connections from your address")
    assert deadline.startswith(b"421 4.4.2")
