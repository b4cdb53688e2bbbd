"""Mailseal as roles in real processes on PostgreSQL + S3: `web` twice (one of them with two HTTP workers),
`smtp` and `worker`, sharing one data folder (the key ring), one database and one bucket, and sending
through a real SMTP server on loopback (the organisation's mail server).

- the README's journey crosses them: relay seal (smtp) → wrapper (sent by the worker) → sign in (web A)
  → open (web B) → reply (web A) → push; a revoke, an expiry and a new message on one process are seen
  at once by the other's caches;
- kill -9 of a web worker under a load of replies loses no reply that was answered 201;
- kill -9 of the worker in the middle of a send: after a restart every queued mail is sent (at least once:
  the one cut off may arrive twice, as the README says);
- kill -9 of smtp in the middle of DATA: the client retries and the message arrives once, sealed.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

import asyncpg
import httpx
import pytest

from mailseal.storage import open_store
from support.live_browser import Browser
from support.live_server import LiveServer, free_port
from support.mail_listeners import SEAL_SECURE, smtp_send
from support.push_service import LoopbackPushService
from support.secrets import remember
from support.smtp_sink import ReceivedMail, SmtpSink

pytestmark = pytest.mark.slow

ALICE, BOB = "alice@example.org", "bob@partner.example"
SECRET = "Project Heron lands on Monday."
remember(SECRET)
CODE = re.compile(rb"\b(\d{8})\b")
LINK = re.compile(rb"/m/([a-z0-9]{20,40})")
STARTUP_SECONDS = 60


@dataclass
class Installation:
    """The shared environment of every role, and the processes running now, by name."""

    data: Path
    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen([sys.executable, "-m", "mailseal", "serve", *args],
                                       env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def web(self, name: str) -> LiveServer:
        port = int(self.env[f"PORT_{name}"])
        return LiveServer(self.data, port, self.processes[name], self.env)

    @property
    def relay_port(self) -> int:
        return int(self.env["MAILSEAL_RELAY_PORT"])

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")


def answers(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def relay_ready(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            return sock.recv(100).startswith(b"220")
    except OSError:
        return False


def wait_until(what: str, ready: Callable[[], bool], installation: Installation) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not ready():
        dead = [name for name, p in installation.processes.items() if p.poll() is not None]
        assert not dead, f"{dead} exited: {[installation.log(name)[-2000:] for name in dead]}"
        assert time.monotonic() < deadline, f"{what} did not come up"
        time.sleep(0.1)


def start_worker(installation: Installation) -> None:
    installation.start("worker", "--role", "worker")
    wait_until("the worker", lambda: "Mailseal worker role" in installation.log("worker"), installation)


def start_smtp(installation: Installation) -> None:
    installation.start("smtp", "--role", "smtp")
    wait_until("smtp", lambda: relay_ready(installation.relay_port), installation)


@contextmanager
def roles(tmp_path: Path, database_url: str, blob_url: str, smtp_url: str) -> Iterator[Installation]:
    data, logs = tmp_path / "data", tmp_path / "logs"
    data.mkdir()
    logs.mkdir()
    (data / "rules.toml").write_text(SEAL_SECURE, encoding="utf-8")
    port_a, port_b = free_port(), free_port()
    env = {
        **os.environ, "MAILSEAL_DATA": str(data), "MAILSEAL_DATABASE_URL": database_url,
        "MAILSEAL_BLOB_URL": blob_url, "MAILSEAL_SMTP_URL": smtp_url, "MAILSEAL_PUBLIC_URL": f"http://127.0.0.1:{port_a}",
        "MAILSEAL_RELAY_PORT": str(free_port()), "MAILSEAL_INBOUND_PORT": str(free_port()),
        "MAILSEAL_ORG_DOMAINS": "example.org", "MAILSEAL_MAIL_FROM": "no-reply@example.org",
        "MAILSEAL_PUSH_ALLOW_LOOPBACK": "true", "MAILSEAL_PUSH_CONTACT": "mailto:push@example.org",
        "MAILSEAL_JOBS_WORKERS": "1", "MAILSEAL_LOG_LEVEL": "WARNING", "MAILSEAL_MAIL_QUEUE_LEASE_SECONDS": "3",
        "PORT_a": str(port_a), "PORT_b": str(port_b),
    }
    installation = Installation(data, env, logs)
    with ExitStack() as cleanup:
        cleanup.callback(lambda: [p.kill() or p.wait() for p in installation.processes.values()])
        # All four at once, as systemd starts them on the first day: they must agree on one key ring.
        installation.start("a", "--role", "web", "--workers", "2", "--port", str(port_a))
        installation.start("b", "--role", "web", "--port", str(port_b))
        installation.start("smtp", "--role", "smtp")
        installation.start("worker", "--role", "worker")
        for name in ("a", "b"):
            wait_until(f"web {name}", lambda name=name: answers(installation.web(name).url), installation)
        wait_until("smtp", lambda: relay_ready(installation.relay_port), installation)
        wait_until("the worker", lambda: "Mailseal worker role" in installation.log("worker"), installation)
        yield installation


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    async with SmtpSink() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def received_by(sink: SmtpSink, address: str) -> list[ReceivedMail]:
    return [mail for mail in sink.received if address in mail.rcpt_tos]


async def next_mail(sink: SmtpSink, address: str, *, after: int, timeout: float = 20) -> bytes:
    deadline = time.monotonic() + timeout
    while len(received_by(sink, address)) <= after:
        assert time.monotonic() < deadline, f"no mail to {address} reached the mail server"
        await asyncio.sleep(0.05)
    return received_by(sink, address)[after].data


async def sign_in(person: Browser, sink: SmtpSink, address: str, ask: LiveServer, verify: LiveServer) -> None:
    """Ask one web process for a code; the worker mails it; type it into the other web process."""
    before = len(received_by(sink, address))
    assert (await person.ask_code(ask, address)).status_code == 202
    found = CODE.search(await next_mail(sink, address, after=before))
    assert found is not None
    remember(found.group(1).decode())
    verified = await person.verify(verify, address, found.group(1).decode())
    assert verified.status_code == 200, verified.text


def secure_mail(subject: str, message_id: str) -> bytes:
    lines = [f"From: Alice Example <{ALICE}>", f"To: {BOB}", f"Subject: {subject}",
             "Date: Sat, 05 Dec 2026 09:00:00 +0000", f"Message-ID: <{message_id}@example.org>", "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=utf-8"]
    return ("\r\n".join(lines) + "\r\n\r\n" + SECRET + "\r\n").encode()


async def relay_sealed(installation: Installation, sink: SmtpSink, subject: str, message_id: str) -> str:
    """Through the smtp role; the worker sends the wrapper; the id of the message it links to."""
    before = len(received_by(sink, BOB))
    sent = await smtp_send(installation.relay_port, secure_mail(subject, message_id), mail_from=ALICE,
                           recipients=[BOB])
    assert sent.accepted and "sealed" in sent.final.text, sent
    wrapper = await next_mail(sink, BOB, after=before)
    assert SECRET.encode() not in wrapper
    found = LINK.search(wrapper)
    assert found is not None
    return found.group(1).decode()


async def test_the_journey_across_web_smtp_and_worker_and_caches_across_processes(
    tmp_path: Path, postgres_url: str, s3_blob_url: str, sink: SmtpSink, http: httpx.AsyncClient
) -> None:
    async with LoopbackPushService() as push:
        with roles(tmp_path, postgres_url, s3_blob_url, sink.url) as installation:
            a, b = installation.web("a"), installation.web("b")
            message_id = await relay_sealed(installation, sink, "[secure] Heron", "heron-1")

            bob = Browser(http)
            await sign_in(bob, sink, BOB, ask=a, verify=b)
            view = await bob.get(a, f"/api/messages/{message_id}")
            assert view.status_code == 200 and view.json()["text"].strip() == SECRET

            alice = Browser(http)
            await sign_in(alice, sink, ALICE, ask=b, verify=a)
            key = (await alice.get(b, "/api/push/key")).json()["publicKey"]
            subscription = push.new_subscription(key)
            subscribed = await alice.post(b, "/api/push/subscriptions", json={**subscription, "showSender": False})
            assert subscribed.status_code == 201, subscribed.text
            to_alice = len(received_by(sink, ALICE))
            answered = await bob.post(a, f"/api/messages/{message_id}/reply",
                                      files=[("body", (None, "Thanks, Alice.")), ("replyAll", (None, ""))])
            assert answered.status_code == 201, answered.text
            reply_id = answered.json()["id"]
            await asyncio.wait_for(push.arrived(push.id_of(subscription)).wait(), timeout=30)
            assert reply_id.encode() in await next_mail(sink, ALICE, after=to_alice)  # her wrapper, by the worker
            reply = await alice.get(b, f"/api/messages/{reply_id}")
            assert reply.status_code == 200 and reply.json()["text"].strip() == "Thanks, Alice."

            # B's process-local caches (the inbox's summaries, the sealed views) against changes made elsewhere.
            def states(listing: httpx.Response) -> dict[str, tuple[str, str]]:
                return {m["id"]: (m["state"], m["subject"]) for m in listing.json()["messages"]}

            assert (await bob.get(b, f"/api/messages/{message_id}")).status_code == 200  # into B's view cache
            assert states(await bob.get(b, "/api/messages"))[message_id] == ("ok", "[secure] Heron")
            admin = subprocess.run([sys.executable, "-m", "mailseal", "revoke", message_id], env=installation.env,
                                   capture_output=True, text=True, timeout=60)  # a process of its own
            assert admin.returncode == 0, admin.stderr
            refused = await bob.get(b, f"/api/messages/{message_id}")
            assert refused.status_code == 410 and refused.json()["code"] == "policy.revoked"
            assert states(await bob.get(b, "/api/messages"))[message_id] == ("policy.revoked", "")

            # Added through smtp: B lists it at once. Expired (its time moved into the past in the database,
            # as the clock would): B refuses it at once, before any sweep.
            second = await relay_sealed(installation, sink, "[secure] Heron, again", "heron-2")
            assert states(await bob.get(b, "/api/messages"))[second] == ("ok", "[secure] Heron, again")
            assert (await bob.get(b, f"/api/messages/{second}")).status_code == 200
            connection = await asyncpg.connect(postgres_url)
            try:
                await connection.execute("UPDATE seals SET expires_at = $1 WHERE message_id = $2",
                                         int(time.time()) - 1, second)
            finally:
                await connection.close()
            expired = await bob.get(b, f"/api/messages/{second}")
            assert expired.status_code == 410 and expired.json()["code"] == "policy.expired"
            assert states(await bob.get(b, "/api/messages"))[second] == ("policy.expired", "")


async def smtp_answer(reader: asyncio.StreamReader) -> bytes:
    """The last line of one SMTP answer (multi-line answers have a '-' after the code)."""
    while True:
        line = await reader.readline()
        if line[3:4] != b"-":
            return line


def worker_children(parent: int) -> list[int]:
    """uvicorn's HTTP workers: the spawned children of its parent process."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in children
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


async def test_kill_9_of_web_worker_and_smtp_loses_nothing_acknowledged(
    tmp_path: Path, postgres_url: str, s3_blob_url: str, sink: SmtpSink, http: httpx.AsyncClient
) -> None:
    with roles(tmp_path, postgres_url, s3_blob_url, sink.url) as installation:
        a, b = installation.web("a"), installation.web("b")
        message_id = await relay_sealed(installation, sink, "[secure] Load", "load-1")
        bob = Browser(http)
        await sign_in(bob, sink, BOB, ask=b, verify=b)

        # Replies from 6 clients on both web processes; one of A's two HTTP workers dies mid-way.
        acknowledged: list[str] = []
        failed = 0
        stop = asyncio.Event()

        async def client(server: LiveServer, n: int) -> None:
            nonlocal failed
            while not stop.is_set():
                try:
                    answered = await bob.post(server, f"/api/messages/{message_id}/reply",
                                              files=[("body", (None, f"reply {n}")), ("replyAll", (None, ""))])
                except httpx.HTTPError:
                    failed += 1
                    continue
                if answered.status_code == 201:
                    acknowledged.append(answered.json()["id"])
                else:
                    failed += 1

        [victim, survivor] = worker_children(a.process.pid)
        clients = [asyncio.create_task(client(server, n)) for n, server in enumerate([a, b] * 3)]
        await asyncio.sleep(2.0)
        os.kill(victim, signal.SIGKILL)
        killed_at = len(acknowledged)
        await asyncio.sleep(2.0)
        stop.set()
        await asyncio.gather(*clients)
        assert killed_at > 0 and len(acknowledged) > killed_at
        for _ in range(100):  # uvicorn starts a new worker for the dead one
            if len(worker_children(a.process.pid)) == 2:
                break
            await asyncio.sleep(0.1)
        assert survivor in worker_children(a.process.pid) and len(worker_children(a.process.pid)) == 2
        for reply_id in acknowledged:
            opened = await bob.get(b, f"/api/messages/{reply_id}")
            assert opened.status_code == 200, (reply_id, opened.text)
        wrapped = set()  # and each acknowledged reply's wrapper mail went out to Alice
        for _ in range(200):
            wrapped = {m.group(1).decode() for mail in received_by(sink, ALICE) if (m := LINK.search(mail.data))}
            if wrapped >= set(acknowledged):
                break
            await asyncio.sleep(0.1)
        assert set(acknowledged) <= wrapped, f"{len(set(acknowledged) - wrapped)} acknowledged replies never mailed"

        # The worker dies while the mail server holds its DATA; five mails wait in the queue.
        hold = sink.hold_data = asyncio.Event()
        sink.data_started.clear()
        ids = [f"queued-{n}@example.org" for n in range(5)]
        for n, mail_id in enumerate(ids):  # passed on unsealed: queued as they are
            plain = (f"From: {ALICE}\r\nTo: {BOB}\r\nSubject: plain {n}\r\nMessage-ID: <{mail_id}>\r\n\r\nhi\r\n")
            sent = await smtp_send(installation.relay_port, plain.encode(), mail_from=ALICE, recipients=[BOB])
            assert sent.accepted, sent
        await asyncio.wait_for(sink.data_started.wait(), timeout=20)
        installation.kill("worker")
        sink.hold_data = None
        hold.set()  # the server had the whole mail: this copy counts, though the worker never heard the 250
        start_worker(installation)

        def arrived(mail_id: str) -> int:
            return sum(1 for mail in sink.received if f"<{mail_id}>".encode() in mail.data)

        for _ in range(300):
            if all(arrived(mail_id) for mail_id in ids):
                break
            await asyncio.sleep(0.1)
        assert all(arrived(mail_id) >= 1 for mail_id in ids), {mail_id: arrived(mail_id) for mail_id in ids}
        print("copies of each queued mail:", [arrived(mail_id) for mail_id in ids],
              f"replies: {len(acknowledged)} acknowledged ({killed_at} before the kill), {failed} failed")
        store = await open_store(postgres_url)
        try:
            for _ in range(100):
                if not await store.mail_queue.pending():
                    break
                await asyncio.sleep(0.1)
            assert await store.mail_queue.pending() == []
        finally:
            await store.close()

        # smtp dies in the middle of DATA; the client (an MTA) retries; the message arrives once, sealed.
        raw = secure_mail("[secure] Interrupted", "interrupted-1")
        reader, writer = await asyncio.open_connection("127.0.0.1", installation.relay_port)
        assert (await smtp_answer(reader)).startswith(b"220")
        for command in (b"EHLO client.example.org", f"MAIL FROM:<{ALICE}>".encode(), f"RCPT TO:<{BOB}>".encode(),
                        b"DATA"):
            writer.write(command + b"\r\n")
            await writer.drain()
            assert (await smtp_answer(reader))[:1] in (b"2", b"3")
        writer.write(raw[: len(raw) // 2])
        await writer.drain()
        installation.kill("smtp")
        try:
            rest = await reader.read()
        except ConnectionResetError:
            rest = b""
        assert rest == b"", "the connection ends without an answer"
        writer.close()
        start_smtp(installation)
        before = len(received_by(sink, BOB))
        resent = await smtp_send(installation.relay_port, raw, mail_from=ALICE, recipients=[BOB])
        assert resent.accepted and "sealed" in resent.final.text, resent
        await next_mail(sink, BOB, after=before)
        await asyncio.sleep(1.5)  # room for a second copy, were there one
        copies = [m for m in received_by(sink, BOB)
                  if "[secure] Interrupted" in str(message_from_bytes(m.data, policy=policy.default)["Subject"])]
        assert len(copies) == 1 and SECRET.encode() not in copies[0].data
        listed = (await bob.get(a, "/api/messages")).json()["messages"]
        assert [m["subject"] for m in listed].count("[secure] Interrupted") == 1
