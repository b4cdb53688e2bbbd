"""The mail-queue repository on both engines: queue, claim under a lease, retry, give up, remove."""

from __future__ import annotations

import asyncio

from mailseal.storage import QueueDepth, Store


async def test_a_mail_is_claimed_once_until_its_lease_runs_out(store: Store) -> None:
    first = await store.mail_queue.add(mail_from="a@example.org", recipients=("b@x.example",), message=b"one\x00",
                                       at=100)
    second = await store.mail_queue.add(mail_from="a@example.org", recipients=("c@x.example",), message=b"two",
                                        at=100)
    assert second > first
    assert await store.mail_queue.due(100, limit=10) == [first, second]
    assert await store.mail_queue.due(99, limit=10) == []
    claimed = await store.mail_queue.claim(first, now=100, lease_until=700)
    assert claimed is not None and claimed.message == b"one\x00" and claimed.recipients == ("b@x.example",)
    assert (claimed.queued_at, claimed.attempts) == (100, 0)
    assert await store.mail_queue.claim(first, now=100, lease_until=700) is None  # leased
    assert await store.mail_queue.due(100, limit=10) == [second]
    assert await store.mail_queue.claim(first, now=700, lease_until=1300) is not None  # the lease ran out
    assert await store.mail_queue.next_due_at() == 100


async def test_concurrent_claims_take_a_mail_once(store: Store) -> None:
    queued = await store.mail_queue.add(mail_from="", recipients=("b@x.example",), message=b"m", at=100)
    claims = await asyncio.gather(*(store.mail_queue.claim(queued, now=100, lease_until=700) for _ in range(8)))
    assert sum(claim is not None for claim in claims) == 1


async def test_settling_retry_failure_and_delivery(store: Store) -> None:
    queued = await store.mail_queue.add(mail_from="a@example.org", recipients=("b@x.example", "c@x.example"),
                                        message=b"Message-ID: <m@x>\r\n\r\nhi", at=100)
    claimed = await store.mail_queue.claim(queued, now=100, lease_until=700)
    assert claimed is not None
    async with store.transaction() as tx:
        await tx.mail_queue.add_failure(claimed, recipients=("c@x.example",), message_id="<m@x>", at=110, attempts=1,
                                        reason="550 no such user")
        await tx.mail_queue.retry_later(queued, recipients=("b@x.example",), attempts=1, at=160, error="451 later")
    [pending] = await store.mail_queue.pending()
    assert (pending.recipients, pending.attempts, pending.next_attempt_at, pending.last_error) == (
        ("b@x.example",), 1, 160, "451 later"
    )
    [failed] = await store.mail_queue.failures(limit=10)
    assert (failed.queue_id, failed.recipients, failed.message_id, failed.reason) == (
        queued, ("c@x.example",), "<m@x>", "550 no such user"
    )
    assert (failed.queued_at, failed.failed_at, failed.attempts) == (100, 110, 1)
    await store.mail_queue.remove(queued)
    assert await store.mail_queue.pending() == []
    assert await store.mail_queue.next_due_at() is None


async def test_depth_counts_waiting_mails_and_names_the_oldest(store: Store) -> None:
    assert await store.mail_queue.depth() == QueueDepth(mails=0, oldest_queued_at=None)
    later = await store.mail_queue.add(mail_from="", recipients=("b@x.example",), message=b"m", at=300)
    await store.mail_queue.add(mail_from="", recipients=("c@x.example",), message=b"m", at=200)
    assert await store.mail_queue.depth() == QueueDepth(mails=2, oldest_queued_at=200)
    await store.mail_queue.remove(later)
    assert await store.mail_queue.depth() == QueueDepth(mails=1, oldest_queued_at=200)
