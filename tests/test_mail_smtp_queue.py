"""The SMTP transport against a real aiosmtpd server on loopback: durable queue, retries, give-ups, TLS."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from mailseal.config import Settings
from mailseal.errors import ConfigError
from mailseal.mail import MaildirOutbox, OutgoingMail, SmtpQueue, make_transport, parse_smtp_url
from mailseal.storage import Store, open_store, sqlite_url
from support.smtp_sink import SmtpSink, free_port

T = TypeVar("T")
SECRET_BODY = b"the passcode is 48151623"


class Clock:
    """A clock the test moves by hand, so backoff and max age are tested without waiting."""

    def __init__(self, now: float = 1_800_000_000) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def a_mail(*recipients: str, body: bytes = b"Hello.") -> OutgoingMail:
    to = recipients or ("bob@example.org",)
    message = (
        b"From: Mailseal <no-reply@example.org>\r\nTo: " + ", ".join(to).encode()
        + b"\r\nSubject: test\r\nMessage-ID: <m1@example.org>\r\n\r\n" + body + b"\r\n.leading dot\r\n"
    )
    return OutgoingMail(mail_from="no-reply@example.org", recipients=tuple(to), message=message)


async def eventually(read: Callable[[], Awaitable[T]], done: Callable[[T], bool]) -> T:
    """Poll until `done(await read())`; the 20 s limit only turns a hang into a failure."""
    async with asyncio.timeout(20):
        while not done(value := await read()):
            await asyncio.sleep(0.01)
    return value


async def open_database(path: Path) -> Store:
    return await open_store(sqlite_url(path))


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Store]:
    database = await open_database(tmp_path / "mailseal.sqlite")
    yield database
    await database.close()


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    async with SmtpSink() as server:
        yield server


def queue(db: Store, sink: SmtpSink, clock: Clock | None = None, **options: Any) -> SmtpQueue:
    return SmtpQueue(db, sink.url, tls_context=sink.client_context(), local_hostname="client.example.org",
                     timeout=20, clock=clock or Clock(), **options)


async def test_delivered_with_envelope_and_bytes_intact(db: Store, sink: SmtpSink) -> None:
    q = queue(db, sink)
    mail = a_mail("bob@example.org", "carol@example.net")
    await q.deliver(mail)
    assert [m.recipients for m in await q.pending()] == [("bob@example.org", "carol@example.net")]

    assert await q.run_once() == 1

    [got] = sink.received
    assert got.mail_from == "no-reply@example.org"
    assert got.rcpt_tos == ["bob@example.org", "carol@example.net"]
    assert got.data.replace(b"\r\n", b"\n") == mail.message.replace(b"\r\n", b"\n")  # dot-stuffing undone
    assert await q.pending() == []
    assert await q.failures() == []
    assert await q.run_once() == 0  # nothing sent twice


async def test_temporary_failure_is_retried_with_backoff(db: Store, sink: SmtpSink) -> None:
    clock = Clock()
    q = queue(db, sink, clock, first_retry=60, max_retry=3600)
    sink.data_replies = ["451 4.3.0 try again later", "451 4.3.0 still busy"]
    await q.deliver(a_mail())

    await q.run_once()
    [waiting] = await q.pending()
    assert waiting.attempts == 1 and waiting.next_attempt_at == int(clock.now) + 60
    assert waiting.last_error.startswith("451")
    assert await q.run_once() == 0  # not due yet

    clock.now += 60
    await q.run_once()
    [waiting] = await q.pending()
    assert waiting.attempts == 2 and waiting.next_attempt_at == int(clock.now) + 120  # doubled

    clock.now += 120
    await q.run_once()
    assert len(sink.received) == 1
    assert await q.pending() == [] and await q.failures() == []


async def test_permanent_failure_is_given_up_and_recorded(db: Store, sink: SmtpSink) -> None:
    q = queue(db, sink)
    sink.data_replies = ["550 5.7.1 rejected by policy"]
    await q.deliver(a_mail())

    await q.run_once()

    assert sink.received == []
    assert await q.pending() == []
    [failure] = await q.failures()
    assert failure.recipients == ("bob@example.org",)
    assert failure.reason.startswith("550 5.7.1")
    assert failure.message_id == "<m1@example.org>"
    assert failure.attempts == 1


async def test_recipients_are_settled_one_by_one(db: Store, sink: SmtpSink) -> None:
    clock = Clock()
    q = queue(db, sink, clock)
    sink.rcpt_replies = {"gone@example.org": ["550 5.1.1 no such user"], "busy@example.org": ["452 4.2.2 full"]}
    await q.deliver(a_mail("bob@example.org", "gone@example.org", "busy@example.org"))

    await q.run_once()
    assert sink.received[0].rcpt_tos == ["bob@example.org"]
    [failure] = await q.failures()
    assert failure.recipients == ("gone@example.org",)
    [waiting] = await q.pending()
    assert waiting.recipients == ("busy@example.org",)  # only the one that may still work

    clock.now += 3600
    await q.run_once()
    assert [m.rcpt_tos for m in sink.received] == [["bob@example.org"], ["busy@example.org"]]
    assert await q.pending() == []


async def test_gives_up_on_temporary_failures_after_max_age(db: Store, sink: SmtpSink) -> None:
    clock = Clock()
    q = queue(db, sink, clock, max_age=2 * 86400)
    sink.data_replies = ["451 4.3.0 busy"] * 100
    await q.deliver(a_mail())
    await q.run_once()
    clock.now += 2 * 86400
    await q.run_once()

    assert await q.pending() == []
    [failure] = await q.failures()
    assert "gave up after 2 attempts" in failure.reason and "451" in failure.reason


async def test_server_down_at_enqueue_time_then_up(db: Store) -> None:
    port = free_port()
    clock = Clock()
    down = SmtpSink(port=port)
    q = queue(db, down, clock)
    await q.deliver(a_mail())

    await q.run_once()
    [waiting] = await q.pending()
    assert waiting.attempts == 1 and waiting.last_error

    async with SmtpSink(port=port) as up:
        clock.now += 60
        await q.run_once()
        assert len(up.received) == 1
    assert await q.pending() == []


async def test_worker_delivers_in_the_background_once_the_server_is_up(db: Store) -> None:
    port = free_port()
    clock = Clock()
    q = queue(db, SmtpSink(port=port), clock, poll=0.05, first_retry=60)
    await q.start()
    try:
        await q.deliver(a_mail())
        await eventually(lambda: q.pending(), lambda rows: bool(rows) and rows[0].attempts == 1)
        async with SmtpSink(port=port) as up:
            clock.now += 60
            await up.wait_for(1)
        await eventually(lambda: q.pending(), lambda rows: rows == [])
    finally:
        await q.stop()


async def test_starttls_and_auth(db: Store) -> None:
    async with SmtpSink(starttls=True, auth=("mailer", "p@ss:w/rd")) as sink:
        assert sink.url.startswith("smtp://mailer:p%40ss%3Aw%2Frd@")
        q = queue(db, sink)
        await q.deliver(a_mail())
        await q.run_once()
        [got] = sink.received
        assert got.tls and got.login == "mailer"


async def test_starttls_is_required_by_default(db: Store, sink: SmtpSink) -> None:
    # The sink offers no STARTTLS; an smtp:// URL without ?starttls=false must not send in clear.
    q = SmtpQueue(db, f"smtp://127.0.0.1:{sink.port}", timeout=20, clock=Clock())
    await q.deliver(a_mail())
    await q.run_once()
    assert sink.received == []
    assert (await q.pending())[0].attempts == 1


async def test_wrong_password_is_retried_not_given_up(db: Store) -> None:
    async with SmtpSink(starttls=True, auth=("mailer", "right")) as sink:
        q = SmtpQueue(db, sink.url.replace(":right@", ":wrong@"), tls_context=sink.client_context(),
                      timeout=20, clock=Clock())
        await q.deliver(a_mail())
        await q.run_once()
        assert sink.received == [] and sink.auth_failures >= 1
        [waiting] = await q.pending()
        assert waiting.last_error.startswith("535")
        assert await q.failures() == []


async def test_implicit_tls(db: Store) -> None:
    async with SmtpSink(implicit_tls=True, auth=("mailer", "secret")) as sink:
        q = queue(db, sink)
        await q.deliver(a_mail())
        await q.run_once()
        [got] = sink.received
        assert got.tls and got.login == "mailer"


async def test_untrusted_certificate_is_not_accepted(db: Store) -> None:
    async with SmtpSink(starttls=True) as sink:
        q = SmtpQueue(db, sink.url, timeout=20, clock=Clock())  # default trust store: no self-signed
        await q.deliver(a_mail())
        await q.run_once()
        assert sink.received == []
        assert (await q.pending())[0].attempts == 1


async def test_queue_survives_reopening_the_database(tmp_path: Path) -> None:
    path = tmp_path / "mailseal.sqlite"
    db = await open_database(path)
    down = SmtpSink(port=free_port())
    await queue(db, down).deliver(a_mail("one@example.org"))
    await queue(db, down).deliver(a_mail("two@example.org"))
    await db.close()

    db = await open_database(path)
    try:
        async with SmtpSink() as sink:
            q = queue(db, sink)
            assert [m.recipients for m in await q.pending()] == [("one@example.org",), ("two@example.org",)]
            assert await q.run_once() == 2
            assert sorted(m.rcpt_tos[0] for m in sink.received) == ["one@example.org", "two@example.org"]
    finally:
        await db.close()


async def test_send_cut_off_before_250_is_sent_again(db: Store) -> None:
    clock = Clock()
    async with SmtpSink(hold_data=asyncio.Event()) as sink:
        q = queue(db, sink, clock, lease=600)
        await q.deliver(a_mail())
        run = asyncio.create_task(q.run_once())
        await asyncio.wait_for(sink.data_started.wait(), 20)
        run.cancel()  # the process dies while the server holds the DATA answer
        with pytest.raises(asyncio.CancelledError):
            await run
        assert sink.received == []
        [claimed] = await q.pending()
        assert claimed.next_attempt_at == int(clock.now) + 600  # leased, not lost

        sink.hold_data = None
        restarted = queue(db, sink, clock, lease=600)
        assert await restarted.run_once() == 0  # still leased to the dead worker
        clock.now += 600
        assert await restarted.run_once() == 1
        assert len(sink.received) == 1
        assert await restarted.pending() == []


async def test_no_body_or_password_in_logs(db: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with SmtpSink(starttls=True, auth=("mailer", "hunter2-secret")) as sink:
        q = queue(db, sink)
        sink.data_replies = ["550 5.7.1 no"]
        await q.deliver(a_mail(body=SECRET_BODY))
        await q.deliver(a_mail(body=SECRET_BODY))
        await q.run_once()
        bad = SmtpQueue(db, sink.url.replace("hunter2-secret", "hunter2-wrong"),
                        tls_context=sink.client_context(), timeout=20, clock=Clock())
        await bad.run_once()
    # Our loggers and the SMTP client's (aiosmtpd's server log and aiosqlite's DEBUG log are not ours).
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("mailseal", "aiosmtplib"))]
    text = "\n".join(ours) + repr(q.endpoint)
    assert "48151623" not in text and "hunter2" not in text
    assert any("mail delivered" in line for line in ours) and any("mail gave up" in line for line in ours)


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://user%40corp:p%3Ass@mail.example.org")
    assert (plain.host, plain.port, plain.starttls, plain.implicit_tls) == ("mail.example.org", 587, True, False)
    assert (plain.username, plain.password) == ("user@corp", "p:ss")
    assert "p:ss" not in repr(plain)
    assert parse_smtp_url("smtp://relay:25?starttls=false").starttls is False
    implicit = parse_smtp_url("SMTPS://mail.example.org")
    assert (implicit.port, implicit.implicit_tls, implicit.starttls) == (465, True, False)
    for bad in ("http://x", "smtp://", "smtp://h:99999", "smtp://h/path", "smtp://h?tls=1",
                "smtps://h?starttls=true", "smtp://h?starttls=maybe"):
        with pytest.raises(ConfigError):
            parse_smtp_url(bad)


async def test_make_transport_chooses_from_settings(db: Store, tmp_path: Path) -> None:
    maildir = make_transport(Settings(data=str(tmp_path)), db)
    assert isinstance(maildir, MaildirOutbox) and maildir.path == tmp_path.resolve() / "outbox"
    chosen = make_transport(Settings(data=str(tmp_path)), db, outbox_path=tmp_path / "elsewhere")
    assert isinstance(chosen, MaildirOutbox) and chosen.path == tmp_path / "elsewhere"
    smtp = make_transport(Settings(data=str(tmp_path), smtp_url="smtps://u:p@mail.example.org"), db)
    assert isinstance(smtp, SmtpQueue) and smtp.endpoint.implicit_tls


async def test_queued_message_is_parseable_mail(db: Store, sink: SmtpSink) -> None:
    q = queue(db, sink)
    await q.deliver(a_mail())
    await q.run_once()
    parsed = email.message_from_bytes(sink.received[0].data, policy=email.policy.default)
    assert parsed["Subject"] == "test"
