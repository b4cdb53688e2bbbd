"""Is this server ready for work: its database answers, its blob store answers, its outbound queue moves.

`/healthz` says the process is alive; `/readyz` (this) says whether a proxy or an orchestrator should
send it work. Each check names itself and says ok or what is wrong, never a secret or a URL.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgspec

from mailseal import metrics
from mailseal.composition import Services
from mailseal.storage import QueueDepth
from mailseal.storage.blobs import off_loop

log = logging.getLogger("mailseal.readiness")

# A name no message ever has (the blob names are random base32 ids): asking whether it exists costs a stat
# on a folder and a HEAD on S3, and proves the store answers.
PROBE_ID = "readyzprobe" + "a" * 15
CHECK_SECONDS = 5.0


class Check(msgspec.Struct, frozen=True):
    name: str
    ok: bool
    detail: str = ""


class Readiness(msgspec.Struct, frozen=True):
    status: str
    checks: list[Check]


def _outbox_depth(outbox: Path) -> QueueDepth:
    """The Maildir outbox: the files in `new/` (mail nobody has taken); they do not age into a fault."""
    try:
        with os.scandir(outbox / "new") as entries:
            return QueueDepth(mails=sum(1 for entry in entries if entry.is_file()), oldest_queued_at=None)
    except FileNotFoundError:
        return QueueDepth(0, None)


async def queue_depth(services: Services) -> QueueDepth:
    """The outbound queue in the database when `smtp_url` is set, else the Maildir outbox."""
    if services.settings.smtp_url:
        return await services.instance.store.mail_queue.depth()
    return await asyncio.to_thread(_outbox_depth, services.instance.folder.outbox)


async def refresh_queue_metrics(services: Services) -> QueueDepth:
    depth = await queue_depth(services)
    oldest = 0.0 if depth.oldest_queued_at is None else max(0.0, time.time() - depth.oldest_queued_at)
    metrics.queue_state(depth.mails, oldest)
    return depth


async def _database(services: Services) -> Check:
    return Check("database", await services.instance.store.ping())


async def _blobs(services: Services) -> Check:
    blobs = services.instance.blobs
    await off_loop(blobs, blobs.exists, PROBE_ID)
    return Check("blobs", True)


async def _queue(services: Services) -> Check:
    depth = await refresh_queue_metrics(services)
    limit = services.settings.ready_queue_age_seconds
    if depth.oldest_queued_at is None:
        return Check("queue", True, f"{depth.mails} waiting")
    age = int(time.time() - depth.oldest_queued_at)
    if age > limit:
        return Check("queue", False, f"{depth.mails} waiting, the oldest for {age} s (more than {limit} s)")
    return Check("queue", True, f"{depth.mails} waiting, the oldest for {age} s")


async def _run(name: str, services: Services, check: Callable[[Services], Awaitable[Check]]) -> Check:
    try:
        return await asyncio.wait_for(check(services), CHECK_SECONDS)
    except TimeoutError:
        return Check(name, False, f"no answer within {CHECK_SECONDS:g} s")
    except Exception as exc:
        log.warning("readiness check %s failed: %s", name, type(exc).__name__)
        return Check(name, False, f"failed ({type(exc).__name__})")


async def readiness(services: Services) -> Readiness:
    checks = [await _run(name, services, check)
              for name, check in (("database", _database), ("blobs", _blobs), ("queue", _queue))]
    return Readiness(status="ok" if all(c.ok for c in checks) else "unavailable", checks=checks)
