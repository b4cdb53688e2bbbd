"""Inbound ingest over real SMTP: forwarded ~20 KiB mails per second and p99 time to `250`, with the
server's durable commit, against a bare aiosmtpd server (a handler that only answers 250) in the same run.

Each mail carries its own sealed message, made beforehand in the data folder and taken out of the inbox
again, so that every `250` stands for a new inbox row committed to disk. Time to 250 is measured from
MAIL FROM to the reply to DATA, on connections kept open by a few concurrent senders, as a sending MTA does.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiosmtplib

import mailseal.format as fmt
from benchmarks.results import Result, at_least, at_most, skipped
from benchmarks.server import HOST, Server, SignedIn
from benchmarks.workload import KiB, forwarded_mail, short_mail

SENDER = "alice@example.org"
OWNER = "bob@gmail.com"
LINES = (("smtp.ingest.rate", "msg/s"), ("smtp.ingest.p99", "ms"))

SINK = r"""
import asyncio, sys
from aiosmtpd.smtp import SMTP

class Handler:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Handler()), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    server.close()

asyncio.run(main())
"""


@dataclass(frozen=True)
class Sealed:
    pages: list[bytes]  # one message.html per mail
    seal_seconds: list[float] = field(default_factory=list)  # each `protect` of the pages, in order


@dataclass
class Run:
    """The replies of one or more batches: time to 250 of each accepted mail, wall time, refusals."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    failures: int = 0

    def add(self, other: Run) -> None:
        self.latencies += other.latencies
        self.seconds += other.seconds
        self.failures += other.failures

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, fraction: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


def inbound_available() -> bool:
    return importlib.util.find_spec("mailseal.mail.inbound") is not None


async def _seal_pages(data: Path, count: int, mail_size: int, database_url: str) -> Sealed:
    from mailseal.composition import open_instance
    from mailseal.config import Settings
    from mailseal.messages.protect import protect
    from mailseal.templates import policy_for

    instance = await open_instance(Settings(data=str(data), log_level="WARNING", database_url=database_url))
    seconds: list[float] = []
    try:
        async def page_for(i: int, body_size: int) -> tuple[str, bytes]:
            started = time.perf_counter()
            sealed = await protect(instance.messages, io.BytesIO(short_mail(i, body_size, sender=SENDER, to=OWNER)),
                                   sender=SENDER, recipients=[OWNER],
                                   policy=policy_for("encrypt-only", expires_days=None, now=time.time()),
                                   actor="bench")
            seconds.append(time.perf_counter() - started)
            out = io.BytesIO()
            with instance.blobs.open(sealed.message_id) as envelope:
                fmt.armor(envelope, out, view_url=f"https://mailseal.bench/m/{sealed.message_id}",
                          org_name="Mailseal", sender=SENDER)
            return sealed.message_id, out.getvalue()

        def mail_size_for(page: bytes) -> int:
            return len(forwarded_mail(page, sender=OWNER, to="x" * 16 + "@in.mailseal.bench"))

        # The forwarded mail grows linearly with the sealed body: two probes give the body size to aim for.
        _, small = await page_for(-2, 1 * KiB)
        _, large = await page_for(-1, 8 * KiB)
        slope = (mail_size_for(large) - mail_size_for(small)) / (7 * KiB)
        body_size = max(64, int(KiB + (mail_size - mail_size_for(small)) / slope))
        del seconds[:]
        made = [await page_for(i, body_size) for i in range(count)]
        ids = [message_id for message_id, _ in made]
        # The seal put each message in the owner's inbox; the forward must be what puts it there.
        async with instance.store.engine.transaction() as conn:
            for message_id in ids:
                await conn.execute("DELETE FROM inbox WHERE message_id = ?", (message_id,))
    finally:
        await instance.close()
    return Sealed([page for _, page in made], seconds)


def prepare(data: Path, count: int, mail_size: int = 20 * KiB, database_url: str = "") -> Sealed:
    """Seal `count` messages for OWNER in the data folder (the server is not running yet)."""
    return asyncio.run(_seal_pages(data, count, mail_size, database_url))


async def send_all(port: int, mails: Sequence[bytes], recipient: str, senders: int) -> Run:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for mail in mails:
        queue.put_nowait(mail)
    run = Run()

    async def sender() -> None:
        client = aiosmtplib.SMTP(hostname=HOST, port=port, timeout=60, start_tls=False)
        await client.connect()
        try:
            while not queue.empty():
                mail = queue.get_nowait()
                started = time.perf_counter()
                try:
                    await client.sendmail(OWNER, [recipient], mail)
                except aiosmtplib.SMTPException:
                    run.failures += 1
                    await client.rset()
                    continue
                run.latencies.append(time.perf_counter() - started)
        finally:
            await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(senders)))
    run.seconds = time.perf_counter() - started
    return run


def _listening(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=2):
            return True
    except OSError:
        return False


class _Sink:
    """A bare aiosmtpd server in a child process: the same SMTP library, a handler that only says 250."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", SINK], stdin=subprocess.PIPE,  # noqa: S603
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def measure(server: Server, session: SignedIn, sealed: Sealed | None, senders: int, rounds: int) -> list[Result]:
    if not inbound_available() or not _listening(server.inbound_port):
        return skipped(LINES, "the inbound SMTP listener (mailseal.mail.inbound on MAILSEAL_INBOUND_PORT) "
                              "is not in this build: ingest not measured")
    if sealed is None or session.forward_address is None:
        return skipped(LINES, "the server gave the signed-in person no forward address: ingest not measured")
    address = session.forward_address
    mails = [forwarded_mail(page, sender=OWNER, to=address) for page in sealed.pages]
    batch = -(-len(mails) // rounds)
    sink_run, ingest = Run(), Run()
    sink = _Sink()
    try:
        # Each mail is ingested once (a second time would add nothing); the sink gets the same batches.
        for start in range(0, len(mails), batch):
            part = mails[start : start + batch]
            sink_run.add(asyncio.run(send_all(sink.port, part, address, senders)))
            ingest.add(asyncio.run(send_all(server.inbound_port, part, address, senders)))
    finally:
        sink.close()
    size = statistics.mean(len(m) for m in mails) / KiB
    note = f"{len(mails)} mails of {size:.1f} KiB in {rounds} round(s), {senders} connections"
    if ingest.failures:
        note += f"; {ingest.failures} refused"
    p50 = ingest.percentile_ms(0.5)
    return [
        Result("smtp.ingest.rate", ingest.rate, "msg/s", "bare aiosmtpd msg/s", sink_run.rate, note,
               goal=at_least(100, "msg/s")),
        Result("smtp.ingest.p99", ingest.percentile_ms(0.99), "ms", "bare aiosmtpd p99", sink_run.percentile_ms(0.99),
               f"{note}; p50 {p50 or 0:.1f} ms", goal=at_most(500, "ms")),
    ]
