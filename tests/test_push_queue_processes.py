"""The durable push queue across real processes, against a real push service on loopback that decrypts.

- on PostgreSQL + S3, a push recorded by a `web` process (a reply) is sent by the `worker` process; kill -9
  of the worker while the push service holds its POST, and pushes queued while no worker runs: after a
  restart every one arrives (at least once: the one cut off arrives twice);
- the queue survives kill -9 and a restart of `all` on the embedded engines;
- queue-to-POST latency, printed (the measure is an upper bound: from before the reply request).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from support.live_browser import Browser
from support.live_server import LiveServer, free_port
from support.push_service import LoopbackPushService

pytestmark = pytest.mark.slow

ALICE, BOB = "alice@example.org", "bob@partner.example"
STARTUP_SECONDS = 60
GUARD = 30.0


class Processes:
    """`mailseal serve` processes sharing one data folder and one environment, by name."""

    def __init__(self, tmp_path: Path, **settings: str) -> None:
        self.data, self.logs = tmp_path / "data", tmp_path / "logs"
        self.data.mkdir()
        self.logs.mkdir()
        self.port = free_port()
        self.env = {
            **os.environ, "MAILSEAL_DATA": str(self.data), "MAILSEAL_PORT": str(self.port),
            "MAILSEAL_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
            "MAILSEAL_RELAY_PORT": str(free_port()), "MAILSEAL_INBOUND_PORT": str(free_port()),
            "MAILSEAL_ORG_DOMAINS": "example.org", "MAILSEAL_MAIL_FROM": "no-reply@example.org",
            "MAILSEAL_PUSH_ALLOW_LOOPBACK": "true", "MAILSEAL_PUSH_CONTACT": "mailto:push@example.org",
            "MAILSEAL_JOBS_WORKERS": "1", "MAILSEAL_LOG_LEVEL": "WARNING",
            "MAILSEAL_PUSH_QUEUE_LEASE_SECONDS": "2",
            **{f"MAILSEAL_{name.upper()}": value for name, value in settings.items()},
        }
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        with (self.logs / f"{name}.log").open("ab") as log:
            self.running[name] = subprocess.Popen([sys.executable, "-m", "mailseal", "serve", *args],
                                                  env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def kill(self, name: str) -> None:
        process = self.running.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def wait_until(self, what: str, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not ready():
            dead = [name for name, p in self.running.items() if p.poll() is not None]
            assert not dead, f"{dead} exited: {[self.log(name)[-2000:] for name in dead]}"
            assert time.monotonic() < deadline, f"{what} did not come up"
            time.sleep(0.1)

    def start_web(self, name: str, *args: str) -> LiveServer:
        self.start(name, *args)
        server = LiveServer(self.data, self.port, self.running[name], self.env)
        self.wait_until(name, lambda: _answers(server.url))
        return server

    def start_worker(self) -> None:
        self.start("worker", "--role", "worker")
        self.wait_until("the worker", lambda: "Mailseal worker role" in self.log("worker"))

    def protect(self, subject: str) -> str:
        """`mailseal protect`, a process of its own: a message from Alice to Bob; its id."""
        eml = self.data.parent / f"{subject}.eml"
        eml.write_bytes(f"From: {ALICE}\r\nTo: {BOB}\r\nSubject: {subject}\r\n\r\nhello\r\n".encode())
        done = subprocess.run([sys.executable, "-m", "mailseal", "protect", "--from", ALICE, "--to", BOB, str(eml),
                               "-o", str(eml.with_suffix(".html"))], env=self.env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def stop_all(self) -> None:
        for process in self.running.values():
            process.kill()
            process.wait()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def alice_subscribed(push: LoopbackPushService, http: httpx.AsyncClient, web: LiveServer) -> str:
    alice = Browser(http)
    await alice.sign_in(web, ALICE)
    key = (await alice.get(web, "/api/push/key")).json()["publicKey"]
    subscription = push.new_subscription(key)
    subscribed = await alice.post(web, "/api/push/subscriptions", json={**subscription, "showSender": False})
    assert subscribed.status_code == 201, subscribed.text
    return push.id_of(subscription)


async def bob_replies(bob: Browser, web: LiveServer, message_id: str, text: str) -> str:
    """A reply to Alice's message: recorded by `web`, which queues a push to Alice's device."""
    answered = await bob.post(web, f"/api/messages/{message_id}/reply",
                              files=[("body", (None, text)), ("replyAll", (None, ""))])
    assert answered.status_code == 201, answered.text
    return str(answered.json()["id"])


def pushed_ids(push: LoopbackPushService, sub_id: str, *, since: int = 0) -> list[str]:
    """The message ids in the pushes that arrived (decrypted by the service), from the `since`-th request
    the service received on: ids and nothing else."""
    found = []
    for record in push.received[since:]:
        if record.subscription_id != sub_id or record.payload is None:
            continue
        payload = record.payload
        part = json.loads(payload)["mailseal"]
        assert set(part) == {"v", "id", "kind"}
        found.append(part["id"])
    return found


async def until(condition: Callable[[], bool], what: str, timeout: float = GUARD, poll: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(poll)


async def latencies(push: LoopbackPushService, sub_id: str, bob: Browser, web: LiveServer, message_id: str,
                    count: int) -> str:
    """Milliseconds to each push's arrival at the push service, from before its reply request and from the
    reply's 201: the row is committed between the two, so queue-to-POST lies between them."""
    from_request, from_answer = [], []
    for n in range(count):
        before = len(push.requests_for(sub_id))
        started = time.perf_counter()
        await bob_replies(bob, web, message_id, f"timed {n}")
        answered = time.perf_counter()
        await until(lambda before=before: len(push.requests_for(sub_id)) > before, "a timed push never arrived",
                    poll=0.002)
        arrived = time.perf_counter()
        from_request.append((arrived - started) * 1000)
        from_answer.append((arrived - answered) * 1000)
    return f"from the request {summary(from_request)}; from its 201 {summary(from_answer)}"


def summary(measured: list[float]) -> str:
    ordered = sorted(measured)
    return f"p50 {statistics.median(ordered):.0f} ms, max {ordered[-1]:.0f} ms over {len(ordered)}"


async def test_web_queues_the_worker_sends_and_a_killed_worker_loses_nothing(
    tmp_path: Path, postgres_url: str, s3_blob_url: str, http: httpx.AsyncClient
) -> None:
    processes = Processes(tmp_path, database_url=postgres_url, blob_url=s3_blob_url)
    async with LoopbackPushService() as push:
        try:
            web = processes.start_web("web", "--role", "web")
            processes.start_worker()
            message_id = processes.protect("Heron")
            sub_id = await alice_subscribed(push, http, web)
            bob = Browser(http)
            await bob.sign_in(web, BOB)

            first = await bob_replies(bob, web, message_id, "first")
            await until(lambda: first in pushed_ids(push, sub_id), "the worker never sent the web's push")
            timed = await latencies(push, sub_id, bob, web, message_id, 20)
            print("web -> worker (LISTEN/NOTIFY), push arrival:", timed)

            # The worker dies while the push service holds its POST; more replies wait with no worker.
            release = push.hold(sub_id)
            push.arrived(sub_id).clear()
            cut_off = await bob_replies(bob, web, message_id, "cut off")
            await asyncio.wait_for(push.arrived(sub_id).wait(), GUARD)
            processes.kill("worker")
            killed_at = len(push.received)
            release.set()  # its answer goes to a closed connection: the worker never heard it
            push.hold(sub_id).set()  # answer at once from now on
            waiting = [await bob_replies(bob, web, message_id, f"waiting {n}") for n in range(3)]
            await asyncio.sleep(1.0)
            assert len(push.received) == killed_at, "nothing sends while no worker runs (not the web process)"
            processes.start_worker()
            await until(lambda: {cut_off, *waiting} <= set(pushed_ids(push, sub_id, since=killed_at)),
                        "a queued push was lost with the worker")
            copies = {mid: pushed_ids(push, sub_id).count(mid) for mid in [cut_off, *waiting]}
            assert all(count >= 1 for count in copies.values()), copies
            print("copies after kill -9 of the worker:", copies)
        finally:
            processes.stop_all()


async def test_the_queue_survives_kill_9_and_restart_of_all(tmp_path: Path, http: httpx.AsyncClient) -> None:
    processes = Processes(tmp_path)
    async with LoopbackPushService() as push:
        try:
            web = processes.start_web("all")
            message_id = processes.protect("Heron")
            sub_id = await alice_subscribed(push, http, web)
            bob = Browser(http)
            await bob.sign_in(web, BOB)
            print("all (in-process wake), push arrival:", await latencies(push, sub_id, bob, web, message_id, 20))

            release = push.hold(sub_id)
            push.arrived(sub_id).clear()
            held = [await bob_replies(bob, web, message_id, f"held {n}") for n in range(3)]
            await asyncio.wait_for(push.arrived(sub_id).wait(), GUARD)
            processes.kill("all")
            killed_at = len(push.received)
            release.set()  # no answer reached the killed process: every held push is still queued
            push.hold(sub_id).set()
            processes.start_web("all")
            await until(lambda: set(held) <= set(pushed_ids(push, sub_id, since=killed_at)),
                        "a queued push was lost with `all`")
        finally:
            processes.stop_all()
