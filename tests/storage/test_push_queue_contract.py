"""The push-queue repository on both engines: add within caps, coalesce, claim under a lease, retry, release."""

from __future__ import annotations

import asyncio

from mailseal.storage import PushQueued, Store, open_store

CAPS = {"per_device": 3, "total": 5}


async def test_one_row_per_device_message_and_kind_duplicates_coalesce(store: Store) -> None:
    queued = await store.push_queue.add(("d1", "d2"), message_id="m1", kind="message", at_ms=1000, **CAPS)
    assert queued == PushQueued(added=2, coalesced=0, refused=0)
    again = await store.push_queue.add(("d1", "d2"), message_id="m1", kind="message", at_ms=1500, **CAPS)
    assert again == PushQueued(added=0, coalesced=2, refused=0)
    reply = await store.push_queue.add(("d1",), message_id="m1", kind="reply", at_ms=1500, **CAPS)
    assert reply.added == 1
    rows = await store.push_queue.pending()
    assert [(r.device_id, r.message_id, r.kind, r.queued_ms, r.attempts) for r in rows] == [
        ("d1", "m1", "message", 1000, 0), ("d2", "m1", "message", 1000, 0), ("d1", "m1", "reply", 1500, 0)
    ]


async def test_caps_per_device_and_in_all_refuse_without_raising(store: Store) -> None:
    for n in range(3):
        assert (await store.push_queue.add(("d1",), message_id=f"m{n}", kind="message", at_ms=1, **CAPS)).added == 1
    # d1 is at its cap of 3; d2 still has room, and takes the queue to its total of 5 with one more.
    queued = await store.push_queue.add(("d1", "d2"), message_id="m9", kind="message", at_ms=1, **CAPS)
    assert queued == PushQueued(added=1, coalesced=0, refused=1)
    assert (await store.push_queue.add(("d3",), message_id="m9", kind="message", at_ms=1, **CAPS)).added == 1
    assert await store.push_queue.depth() == 5
    full = await store.push_queue.add(("d4", "d5"), message_id="m9", kind="message", at_ms=1, **CAPS)
    assert full == PushQueued(added=0, coalesced=0, refused=2)
    assert await store.push_queue.depth() == 5


async def test_a_claimed_row_is_leased_until_the_lease_runs_out(store: Store) -> None:
    await store.push_queue.add(("d1", "d2"), message_id="m1", kind="message", at_ms=1000, **CAPS)
    assert await store.push_queue.claim_due(now_ms=999, lease_until_ms=5000, limit=10) == []
    first = await store.push_queue.claim_due(now_ms=1000, lease_until_ms=5000, limit=1)
    assert [r.device_id for r in first] == ["d1"]
    second = await store.push_queue.claim_due(now_ms=1000, lease_until_ms=5000, limit=10)
    assert [r.device_id for r in second] == ["d2"]
    assert await store.push_queue.claim_due(now_ms=4999, lease_until_ms=9000, limit=10) == []
    assert await store.push_queue.next_due_ms() == 5000
    # A worker killed mid-send: once the lease runs out, another worker takes both rows.
    again = await store.push_queue.claim_due(now_ms=5000, lease_until_ms=9000, limit=10)
    assert sorted(r.device_id for r in again) == ["d1", "d2"]


async def test_concurrent_claims_take_each_row_once(store: Store) -> None:
    await store.push_queue.add(tuple(f"d{n}" for n in range(20)), message_id="m1", kind="message", at_ms=1,
                               per_device=5, total=100)
    claims = await asyncio.gather(
        *(store.push_queue.claim_due(now_ms=1, lease_until_ms=60_000, limit=3) for _ in range(10))
    )
    claimed = [row.id for rows in claims for row in rows]
    assert len(claimed) == len(set(claimed)) == 20


async def test_retry_later_release_and_remove(store: Store) -> None:
    await store.push_queue.add(("d1", "d2"), message_id="m1", kind="reply", at_ms=1000, **CAPS)
    one, two = await store.push_queue.claim_due(now_ms=1000, lease_until_ms=61_000, limit=10)
    await store.push_queue.retry_later(one.id, attempts=1, at_ms=3000)
    await store.push_queue.release((two.id,), at_ms=1200)
    assert await store.push_queue.next_due_ms() == 1200
    [released] = await store.push_queue.claim_due(now_ms=1200, lease_until_ms=61_000, limit=10)
    assert released.id == two.id and released.attempts == 0
    [retried] = await store.push_queue.claim_due(now_ms=3000, lease_until_ms=63_000, limit=10)
    assert retried.id == one.id and retried.attempts == 1 and retried.kind == "reply"
    await store.push_queue.remove(one.id)
    await store.push_queue.remove(two.id)
    assert await store.push_queue.depth() == 0 and await store.push_queue.next_due_ms() is None


async def test_a_row_holds_ids_only(store: Store) -> None:
    """No endpoint, key, address or text rests in the queue: what a device is subscribed to is read at send."""
    await store.push_queue.add(("d1",), message_id="m1", kind="message", at_ms=1, **CAPS)
    row = await store.engine.fetch_one("SELECT * FROM push_queue")
    assert row is not None
    assert sorted(row.keys()) == sorted(  # type: ignore[attr-defined]
        ["id", "device_id", "message_id", "kind", "queued_ms", "attempts", "next_attempt_ms"]
    )


async def test_another_store_adding_rows_wakes_a_listener_where_the_engine_can(store: Store) -> None:
    other = await open_store(store.url)  # another process, as far as the database can tell
    woken = asyncio.Event()
    try:
        async with store.push_queue.listen(woken.set) as listening:
            assert listening == (store.dialect == "postgresql")
            await other.push_queue.add(("d1",), message_id="m1", kind="message", at_ms=1, **CAPS)
            if listening:
                await asyncio.wait_for(woken.wait(), 10)
                woken.clear()
                # A duplicate adds nothing and announces nothing.
                await other.push_queue.add(("d1",), message_id="m1", kind="message", at_ms=2, **CAPS)
                await asyncio.sleep(0.3)
                assert not woken.is_set()
            else:
                assert not woken.is_set()
    finally:
        await other.close()
