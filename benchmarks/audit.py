"""Audit rows per second under concurrent opens, on each engine, against one open at a time.

In-process, through the key service itself (`KeyService.unwrap`: the policy decision, the unwrap and the
audit row, durable before the key is handed out): first one open after another, then `CONCURRENT` opens
in flight at once, for the same time each. SQLite is the data folder's file (`synchronous=FULL`);
PostgreSQL a throwaway cluster with `fsync=on` (`engines.postgres_database`). Group commit lets the
concurrent opens share commits; the line also says how many rows went into each.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from benchmarks.engines import postgres_database
from benchmarks.results import Result, at_least_ratio, skipped
from mailseal.keys import Identity, KeyService
from mailseal.keys.file_ring import FileKeyRing
from mailseal.keys.service import NewSeal
from mailseal.storage import open_store, sqlite_url
from mailseal.storage.repositories.audit import Audit

CONCURRENT = 32
MESSAGE = "b" * 26
READER = Identity(("bob@gmail.com",))
LINES = (("audit.rows.sqlite", "rows/s"), ("audit.rows.postgresql", "rows/s"))


async def _rates(database_url: str, ring_path: Path, seconds: float) -> tuple[float, float, float, float]:
    """Rows per second one at a time and concurrent, rows per commit when concurrent, and rows per second
    concurrent with a commit of its own for each row (as before group commit)."""
    store = await open_store(database_url)
    ring, _ = FileKeyRing.load_or_create(ring_path)
    keys = KeyService(store, ring)
    try:
        seal = NewSeal(message_id=MESSAGE, issuer="https://mail.example.org", sender="alice@example.org",
                       recipients=("bob@gmail.com",), template="encrypt-only", rights=("view",),
                       created_at=int(time.time()), expires_at=None, header_fingerprint=b"\x01" * 32)
        async with store.transaction() as tx:
            await keys.register(tx, seal, bytes(32), key_id=keys.current_key_id, actor="bench")

        async def opener(deadline: float) -> int:
            done = 0
            while time.monotonic() < deadline:
                await keys.unwrap(MESSAGE, READER)
                done += 1
            return done

        began = time.monotonic()
        alone = await opener(began + seconds) / (time.monotonic() - began)
        commits_before = store.audit_commits.commits
        began = time.monotonic()
        counts = await asyncio.gather(*(opener(began + seconds) for _ in range(CONCURRENT)))
        together = sum(counts) / (time.monotonic() - began)
        per_commit = sum(counts) / max(1, store.audit_commits.commits - commits_before)
        store.__dict__["audit"] = Audit(store.engine)  # unbatched: every row its own commit
        began = time.monotonic()
        counts = await asyncio.gather(*(opener(began + seconds) for _ in range(CONCURRENT)))
        each_its_own = sum(counts) / (time.monotonic() - began)
        return alone, together, per_commit, each_its_own
    finally:
        await store.close()
        ring.close()


def _result(engine: str, rates: tuple[float, float, float, float]) -> Result:
    alone, together, per_commit, each_its_own = rates
    return Result(f"audit.rows.{engine}", together, "rows/s", baseline="one open at a time", baseline_value=alone,
                  note=f"{CONCURRENT} opens in flight, {per_commit:.1f} rows per commit; with a commit per row "
                       f"(before group commit) {each_its_own:.0f} rows/s", goal=at_least_ratio(2))


def measure(work: Path, seconds: float) -> list[Result]:
    folder = work / "audit-bench"
    folder.mkdir(parents=True, exist_ok=True)
    results = [_result("sqlite", asyncio.run(_rates(sqlite_url(folder / "audit.sqlite"), folder / "ring.json",
                                                      seconds)))]
    with postgres_database() as url:
        if url is None:
            results += skipped(LINES[1:], "PostgreSQL's binaries are not installed")
        else:
            results.append(_result("postgresql", asyncio.run(_rates(url, folder / "ring.json", seconds))))
    return results
