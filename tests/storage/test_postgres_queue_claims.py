"""Several workers on one database never claim the same queued mail (issue 16: `FOR UPDATE SKIP LOCKED`).

Each store below has its own engine (its own connection pool, as a second `mailseal serve` would), so
their statements really run side by side in the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from mailseal.storage import Store, open_store

NOW = 1_000
LEASE = 1_300


@pytest.fixture
async def workers(postgres_url: str) -> AsyncIterator[list[Store]]:
    stores = [await open_store(postgres_url) for _ in range(3)]
    yield stores
    for store in stores:
        await store.close()


async def test_concurrent_claimers_take_each_due_mail_exactly_once(workers: list[Store]) -> None:
    first = workers[0]
    queued = [
        await first.mail_queue.add(mail_from="a@example.org", recipients=(f"r{n}@example.net",), message=b"m", at=NOW)
        for n in range(60)
    ]

    started = asyncio.Barrier(len(workers) * 2)

    async def worker(store: Store) -> list[int]:
        # Every worker sees every mail as due and races the others for each, in the same order.
        due = await store.mail_queue.due(NOW, limit=100)
        await started.wait()  # none starts claiming before all are connected and ready
        claimed = []
        for queue_id in due:
            mail = await store.mail_queue.claim(queue_id, now=NOW, lease_until=LEASE)
            if mail is not None:
                claimed.append(mail.id)
        return claimed

    results = await asyncio.gather(*(worker(store) for store in workers * 2))
    taken = [queue_id for result in results for queue_id in result]
    assert sorted(taken) == sorted(queued)  # none lost, none taken twice
    assert sum(1 for result in results if result) > 1  # the workers really did share the queue
    assert await first.mail_queue.due(NOW, limit=100) == []  # every mail is under lease
    assert await first.mail_queue.due(LEASE, limit=100) == queued  # and due again when the lease ends


async def test_a_mail_held_by_another_worker_is_skipped_not_waited_for(workers: list[Store]) -> None:
    holder, other = workers[0], workers[1]
    first = await holder.mail_queue.add(mail_from="a@example.org", recipients=("b@example.net",), message=b"1", at=NOW)
    second = await holder.mail_queue.add(mail_from="a@example.org", recipients=("c@example.net",), message=b"2", at=NOW)
    async with holder.transaction() as tx:
        held = await tx.mail_queue.claim(first, now=NOW, lease_until=LEASE)
        assert held is not None and held.message == b"1"
        # The holder has not committed: the other worker passes over the locked row at once.
        assert await asyncio.wait_for(other.mail_queue.claim(first, now=NOW, lease_until=LEASE), 5) is None
        taken = await asyncio.wait_for(other.mail_queue.claim(second, now=NOW, lease_until=LEASE), 5)
        assert taken is not None and taken.id == second
    # Committed: the first is leased, so it is still not due for the other.
    assert await other.mail_queue.claim(first, now=NOW, lease_until=LEASE) is None
