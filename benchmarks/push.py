"""Push fan-out: one message notified to N subscriptions through `mailseal.push.PushService`, against raw
HTTP POSTs of ready-made push bodies to the same loopback push service, with the same concurrency.

The push service is tests/support/push_service.py (VAPID check and RFC 8291 decryption of every push) in
its own process, so both runs pay the same receiving cost. The raw run has every body encrypted and the
VAPID header signed beforehand: it is the network and receiving ceiling; the difference is what
`PushService` does per push (encryption, VAPID signature, subscription lookups, delivery bookkeeping).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import httpcore

from benchmarks.results import Result, at_least_ratio
from benchmarks.server import ROOT
from mailseal.push import PushConfig, PushService, Subscription, load_or_create_vapid
from mailseal.push.payload import build_payload, encrypt, topic
from mailseal.storage import open_store, sqlite_url

LINES = (("push.fanout", "push/s"),)
MESSAGE_ID = "benchmessage0000000000000a"
CONFIG = PushConfig(contact="mailto:push-admin@example.org", public_url="https://mail.example.org",
                    allow_loopback=True, loopback_hosts=("127.0.0.1",))

SERVICE = r"""
import asyncio, collections, json, sys
sys.path.insert(0, sys.argv[3])
from tests.support.push_service import LoopbackPushService

async def main():
    async with LoopbackPushService() as service:
        subscriptions = [service.new_subscription(sys.argv[1]) for _ in range(int(sys.argv[2]))]
        print(json.dumps({"origin": service.origin, "subscriptions": subscriptions}), flush=True)
        loop = asyncio.get_running_loop()
        while await loop.run_in_executor(None, sys.stdin.readline):  # one line: report and reset
            print(json.dumps(collections.Counter(r.status for r in service.received)), flush=True)
            service.received.clear()

asyncio.run(main())
"""


class _Service:
    """The loopback push service in a child process; `statuses()` asks what it answered since last time."""

    def __init__(self, application_server_key: str, count: int) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our interpreter and our script
            [sys.executable, "-c", SERVICE, application_server_key, str(count), str(ROOT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )
        started = json.loads(self._stdout.readline())
        self.origin: str = started["origin"]
        self.subscriptions: list[dict[str, Any]] = started["subscriptions"]

    @property
    def _stdout(self) -> IO[str]:
        assert self.process.stdout is not None
        return self.process.stdout

    def statuses(self) -> dict[str, int]:
        assert self.process.stdin is not None
        self.process.stdin.write("report\n")
        self.process.stdin.flush()
        answer: dict[str, int] = json.loads(self._stdout.readline())
        return answer

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


async def _raw_posts(service: _Service, stored: Sequence[Subscription], authorization: str) -> float:
    payload = build_payload(MESSAGE_ID, "message", CONFIG.public_url)
    bodies = [(s.endpoint, encrypt(payload, s.p256dh, s.auth)) for s in stored]
    headers = [
        (b"Authorization", authorization.encode()), (b"TTL", str(CONFIG.ttl).encode()), (b"Urgency", b"high"),
        (b"Topic", topic(MESSAGE_ID).encode()), (b"Content-Encoding", b"aes128gcm"),
        (b"Content-Type", b"application/octet-stream"),
    ]
    slots = asyncio.Semaphore(CONFIG.concurrency)
    async with httpcore.AsyncConnectionPool(max_connections=CONFIG.concurrency,
                                            max_keepalive_connections=CONFIG.concurrency) as pool:

        async def post(url: str, body: bytes) -> None:
            async with slots:
                await pool.request("POST", url, headers=headers, content=body)

        started = time.perf_counter()
        await asyncio.gather(*(post(url, body) for url, body in bodies))
        return time.perf_counter() - started


async def _fan_out(work: Path, count: int, rounds: int) -> tuple[float, float, list[str], int]:
    """Seconds for all rounds of PushService and of raw POSTs, anything the service answered but 201,
    and how many pushes PushService counted as delivered."""
    db = await open_store(sqlite_url(work / "push.sqlite3"))
    vapid = load_or_create_vapid(work / "push-keys")
    service = _Service(vapid.application_server_key, count)
    push = PushService(db, vapid, CONFIG)
    push_seconds = raw_seconds = 0.0
    odd: list[str] = []
    try:
        stored = [await push.subscribe(f"device-{i}", sub) for i, sub in enumerate(service.subscriptions)]
        await push.start()
        for _ in range(rounds):
            raw_seconds += await _raw_posts(service, stored, vapid.authorization(service.origin, CONFIG.contact))
            if (statuses := service.statuses()) != {"201": count}:
                odd.append(f"raw: {statuses}")
            started = time.perf_counter()
            await push.notify([f"device-{i}" for i in range(count)], MESSAGE_ID, "message")
            await push.drain()
            push_seconds += time.perf_counter() - started
            if (statuses := service.statuses()) != {"201": count}:
                odd.append(f"PushService: {statuses}")
        delivered = push.stats.delivered
    finally:
        await push.stop()
        service.close()
        await db.close()
    return push_seconds, raw_seconds, odd, delivered


def measure(work: Path, count: int, rounds: int) -> list[Result]:
    push_seconds, raw_seconds, odd, delivered = asyncio.run(_fan_out(work, count, rounds))
    note = f"{count} subscriptions x {rounds} round(s), {CONFIG.concurrency} connections"
    if delivered != count * rounds or odd:
        note += f"; delivered {delivered}; the service answered {'; '.join(odd)}"
    return [Result("push.fanout", count * rounds / push_seconds, "push/s", "raw POSTs/s to the same service",
                   count * rounds / raw_seconds, note, goal=at_least_ratio(0.5))]
