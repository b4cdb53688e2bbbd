"""Inbox pages at 50,000 messages against the same page at 100, through the real server, in the same run.

Two installations are made: one whose recipient holds 100 sealed messages, one whose recipient holds
50,000. Sealing 50,000 one by one would take minutes, so the large one holds real sealed messages only
where the pages measured read them (the newest page and one page in the middle, reached by its cursor);
the other rows are records of their own (an envelope, a seal, an inbox row, through the repositories and
their kept counts) that no measured page lists. A page's cost is the rows it reads, the index they are read
from, and the counts beside them, so the filler rows weigh on it as real ones would: depth of the index,
size of the tables.

- warm: the same page again and again, one request at a time (its summaries in the server's memory);
- cold: the first request of a server just started (the summary cache empty, SQLite's cache cold: every
  message of the page unwrapped for its subject, each an audited unwrap), several starts;
- `/healthz` p99 while 4 clients list pages of the 50,000 as fast as they can, against idle.
"""

from __future__ import annotations

import asyncio
import email.message
import email.policy
import io
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.hostile import _probe, p99
from benchmarks.results import Goal, Result, at_most
from benchmarks.server import Server, SignedIn, running_server, sign_in
from mailseal.composition import open_instance
from mailseal.config import Settings
from mailseal.instance import DataFolder, load_or_create_secret
from mailseal.messages.inbox_cursor import InboxCursors
from mailseal.messages.protect import protect
from mailseal.storage import InboxPosition, NewSeal
from mailseal.templates import policy_for

RECIPIENT = "bob@gmail.com"
SENDER = "alice@example.org"
PAGE = 50
SMALL = 100
LARGE = 50_000
CLIENTS = 4
DAY = 86_400

LINES = (("inbox.page_large.warm.p99", "ms"), ("inbox.page_large.warm.p50", "ms"), ("inbox.page_large.cold.max", "ms"),
         ("inbox.page_large.middle.p99", "ms"), ("inbox.healthz_4_listing.p99", "ms"), ("inbox.listing_4.rps", "req/s"))


def within_ratio(maximum: float, unit_goal: float) -> Goal:
    return Goal(f"≤{unit_goal:g} ms and ≤{maximum:g}x baseline",
                lambda r: r.value is not None and r.value <= unit_goal and r.ratio is not None and r.ratio <= maximum)


async def _fill(data: Path, *, real: int, fillers: int, middle: int) -> int:
    """Seal `real` messages for RECIPIENT and add `fillers` records below them; the first `middle` real ones
    are moved to the middle of the listing. Returns the time the middle block sits at."""

    instance = await open_instance(Settings(data=str(data), log_level="WARNING"))
    now = int(time.time())
    oldest = now - 10 * DAY
    middle_at = oldest + fillers // 2
    try:
        ids = []
        for number in range(real):
            sealed = await protect(instance.messages, io.BytesIO(_mail(number)), sender=SENDER, recipients=[RECIPIENT],
                                   policy=policy_for("encrypt-only", expires_days=None, now=time.time()), actor="bench")
            ids.append(sealed.message_id)
        store = instance.store
        for number in range(fillers // 1000 + 1):
            async with store.transaction() as tx:
                for index in range(number * 1000, min(fillers, (number + 1) * 1000)):
                    message_id = f"filler{index:020d}"
                    at = oldest + index + (1 if index >= fillers // 2 else 0)  # middle_at is the real ones' alone
                    await tx.seals.add(NewSeal(message_id=message_id, issuer="bench", sender=SENDER,
                                               recipients=(RECIPIENT,), template="encrypt-only", rights=(),
                                               created_at=at, expires_at=None, header_fingerprint=b"\0" * 32),
                                       key_id="bench", wrapped_key=b"\0" * 40)
                    await tx.envelopes.add(message_id, size=1, stored_at=at, thread_id=message_id, in_reply_to=None)
                    await tx.envelopes.add_to_inboxes(message_id, [RECIPIENT], via="seal", at=at)
        if middle:
            for message_id in ids[:middle]:
                await store.engine.execute_one("UPDATE inbox SET added_at = ? WHERE message_id = ?",
                                               (middle_at, message_id))
    finally:
        await instance.close()
    return middle_at


def _mail(number: int) -> bytes:
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Alice Example <{SENDER}>"
    message["To"] = RECIPIENT
    message["Subject"] = f"Weekly figures, part {number}"
    message["Date"] = "Fri, 27 Nov 2026 09:00:00 +0000"
    message.set_content("The figures are attached in the next mail.\n" * 20)
    return message.as_bytes()


def prepare(work: Path, large_count: int = LARGE) -> tuple[Path, Path, str]:
    """The two data folders (100 and `large_count` messages) and the cursor of the middle page of the large one."""

    small, large = work / "inbox-100", work / "inbox-50k"
    asyncio.run(_fill(small, real=SMALL, fillers=0, middle=0))
    middle_at = asyncio.run(_fill(large, real=2 * PAGE, fillers=large_count - 2 * PAGE, middle=PAGE))
    # Just after every row of the second after the middle block's: the page starts with that block.
    cursor = InboxCursors(load_or_create_secret(DataFolder(large).secret)).make(
        InboxPosition(added_at=middle_at + 1, arrival=0))
    return small, large, cursor


def _latencies(server: Server, session: SignedIn, path: str, count: int) -> list[float]:
    times = []
    with httpx.Client(base_url=server.url, headers={"cookie": session.cookie}, timeout=60) as client:
        for _ in range(count):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or len(response.json()["messages"]) != PAGE:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
    return times


def _cold(data: Path, session: SignedIn | None, path: str, starts: int) -> tuple[list[float], SignedIn]:
    times = []
    for _ in range(starts):
        with running_server(data) as server:
            session = session or sign_in(server, RECIPIENT)
            times.extend(_latencies(server, session, path, 1))
    assert session is not None
    return times, session


def _listing_load(server: Server, session: SignedIn, stop: threading.Event) -> int:
    done = 0
    with httpx.Client(base_url=server.url, headers={"cookie": session.cookie}, timeout=60) as client:
        while not stop.is_set():
            if client.get(f"/api/messages?limit={PAGE}").status_code != 200:
                raise RuntimeError("a listing failed under load")
            done += 1
    return done


def _healthz_under_listing(server: Server, session: SignedIn, seconds: float) -> tuple[list[float], list[float], float]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as prober, context.Manager() as manager:
        never = manager.Event()
        idle = prober.submit(_probe, server.url, never, seconds / 2).result()
        stop = threading.Event()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            clients = [pool.submit(_listing_load, server, session, stop) for _ in range(CLIENTS)]
            started = time.monotonic()
            loaded = prober.submit(_probe, server.url, never, seconds).result()
            stop.set()
            listed = sum(f.result() for f in clients)
            elapsed = time.monotonic() - started
        idle += prober.submit(_probe, server.url, never, seconds / 2).result()
    return loaded, idle, listed / elapsed


@dataclass(frozen=True)
class Plan:
    large: int  # messages in the large inbox: 50,000 in a full run (`--quick`: fewer, said in the notes)
    requests: int  # warm requests per page measured
    cold_starts: int
    load_seconds: float  # of the 4 clients listing


def measure(work: Path, plan: Plan) -> list[Result]:
    work.mkdir(parents=True, exist_ok=True)
    large_count, requests, cold_starts, load_seconds = plan.large, plan.requests, plan.cold_starts, plan.load_seconds
    small, large, middle_cursor = prepare(work, large_count)
    first = f"/api/messages?limit={PAGE}"
    middle = f"/api/messages?limit={PAGE}&cursor={middle_cursor}"
    cold_small, small_session = _cold(small, None, first, cold_starts)
    cold_large, large_session = _cold(large, None, first, cold_starts)
    with running_server(small) as server:
        _latencies(server, small_session, first, 5)
        warm_small = _latencies(server, small_session, first, requests)
    with running_server(large) as server:
        _latencies(server, large_session, first, 5)
        warm_large = _latencies(server, large_session, first, requests)
        _latencies(server, large_session, middle, 5)
        warm_middle = _latencies(server, large_session, middle, requests)
        loaded, idle, rate = _healthz_under_listing(server, large_session, load_seconds)
    note = (f"GET /api/messages?limit={PAGE}, one request at a time, {requests} after 5 to warm up; "
            f"{large_count:,} messages against {SMALL} in the same run")
    return [
        Result("inbox.page_large.warm.p99", p99(warm_large), "ms", f"the same page at {SMALL} messages",
               p99(warm_small), note, goal=within_ratio(1.5, 20)),
        Result("inbox.page_large.warm.p50", statistics.median(warm_large), "ms", f"the same page at {SMALL} messages",
               statistics.median(warm_small), note),
        Result("inbox.page_large.cold.max", max(cold_large), "ms", f"the same page at {SMALL} messages",
               max(cold_small), f"{large_count:,} messages; the first listing after each of {cold_starts} server "
               f"starts ({PAGE} unwraps, each audited)", goal=at_most(50, "ms")),
        Result("inbox.page_large.middle.p99", p99(warm_middle), "ms", f"the newest page at {large_count:,}",
               p99(warm_large), f"the page at message {large_count // 2:,} of {large_count:,}, from its cursor; "
               f"{requests} requests", goal=at_most(20, "ms")),
        Result("inbox.healthz_4_listing.p99", p99(loaded), "ms", "idle /healthz p99", p99(idle),
               f"{CLIENTS} clients listing pages of {large_count:,} without pause for {load_seconds:g} s; "
               f"{len(loaded)} probes under load, {len(idle)} idle", goal=Goal("≤5x baseline", _five_times)),
        Result("inbox.listing_4.rps", rate, "req/s", None, None, f"{CLIENTS} clients, pages of {PAGE}"),
    ]


def _five_times(result: Result) -> bool:
    return result.ratio is not None and result.ratio <= 5

