"""Inbox pages, kept counts and thread sizes on both engines: the storage half of an inbox of 50,000."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mailseal.storage import InboxCounts, InboxRow, NewSeal, Store
from mailseal.storage.repositories.envelopes import page_query
from mailseal.storage.sqlite_engine import open_sqlite

BOB = "bob@gmail.com"
WORK = "bob@work.example"


def mid(number: int) -> str:
    return f"{number:026d}"


async def add(store: Store, number: int, *, at: int, to: tuple[str, ...] = (BOB,), thread: int | None = None
              ) -> None:
    async with store.transaction() as tx:
        thread_id = mid(thread if thread is not None else number)
        await tx.envelopes.add(mid(number), size=10, stored_at=at, thread_id=thread_id,
                               in_reply_to=None)
        await tx.envelopes.add_to_inboxes(mid(number), to, via="seal", at=at)


async def every_page(store: Store, addresses: list[str], limit: int) -> list[list[InboxRow]]:
    pages, before = [], None
    while True:
        rows = await store.envelopes.inbox(addresses, limit=limit + 1, before=before)
        pages.append(rows[:limit])
        if len(rows) <= limit:
            return pages
        before = rows[limit - 1].position


async def recounted(store: Store, address: str) -> InboxCounts:
    row = await store.engine.fetch_one(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN read_at IS NULL THEN 1 ELSE 0 END), 0) FROM inbox WHERE address = ?",
        (address,))
    assert row is not None
    return InboxCounts(messages=int(row[0]), unread=int(row[1]))


async def test_pages_follow_each_other_newest_first_with_nothing_twice_and_nothing_left_out(store: Store) -> None:
    for number in range(23):
        await add(store, number, at=100 + number // 4)  # four to a second: arrival orders them
    await add(store, 99, at=500, to=("someone@else.example",))
    pages = await every_page(store, [BOB], limit=5)
    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    listed = [row.message_id for page in pages for row in page]
    assert listed == [mid(n) for n in reversed(range(23))]
    first = await store.envelopes.inbox([BOB], limit=5, before=None)
    assert first == pages[0] and first[0].position.added_at == 105
    assert await store.envelopes.inbox([], limit=5) == []


async def test_a_page_after_a_cursor_stays_the_same_when_messages_arrive(store: Store) -> None:
    for number in range(12):
        await add(store, number, at=100)  # one second: only arrival tells them apart
    first = await store.envelopes.inbox([BOB], limit=4)
    cursor = first[-1].position
    second = await store.envelopes.inbox([BOB], limit=4, before=cursor)
    for number in range(12, 20):
        await add(store, number, at=100)  # the same second again, and later seconds
        await add(store, number + 100, at=200)
    assert await store.envelopes.inbox([BOB], limit=4, before=cursor) == second
    assert [row.message_id for row in second] == [mid(n) for n in (7, 6, 5, 4)]
    assert (await store.envelopes.inbox([BOB], limit=1))[0].message_id == mid(119)


async def test_a_message_two_addresses_hold_is_listed_once_at_its_newest_row_on_every_page(store: Store) -> None:
    for number in range(10):
        await add(store, number, at=100 + number)
    # Message 2 reaches the work address later (a forward): it moves up, and is not listed again further down.
    await store.envelopes.add_to_inboxes(mid(2), [WORK], via="forward", at=500)
    await store.envelopes.mark_read(mid(2), [WORK], at=501)
    pages = await every_page(store, [BOB, WORK], limit=3)
    listed = [row.message_id for page in pages for row in page]
    assert listed == [mid(n) for n in (2, 9, 8, 7, 6, 5, 4, 3, 1, 0)]
    moved = pages[0][0]
    assert (moved.added_at, moved.via, moved.unread) == (500, "forward", True)  # unread for the Gmail address
    assert [row.message_id for row in await store.envelopes.inbox([WORK], limit=10)] == [mid(2)]


async def test_counts_are_kept_through_new_messages_reads_destroyed_keys_and_removal(store: Store) -> None:
    assert await store.envelopes.counts([BOB]) == InboxCounts(messages=0, unread=0)
    for number in range(6):
        await add(store, number, at=100, to=(BOB, WORK) if number < 2 else (BOB,))
    await store.envelopes.add_to_inboxes(mid(3), ["BOB@Gmail.com", BOB], via="forward", at=200)  # held already
    assert await store.envelopes.counts([BOB]) == InboxCounts(messages=6, unread=6)
    await store.envelopes.mark_read(mid(1), [BOB, WORK], at=300)
    await store.envelopes.mark_read(mid(1), [BOB, WORK], at=301)  # read again: counted once
    await store.envelopes.settle_unread(mid(0), at=400)  # revoked or expired
    await store.envelopes.settle_unread(mid(0), at=401)
    await store.envelopes.mark_read(mid(0), [BOB], at=402)  # an open racing the revocation: not counted twice
    await store.envelopes.remove_from_inbox(mid(5), BOB)
    await store.envelopes.remove_from_inbox(mid(2), "Bob@Gmail.com")
    assert await store.envelopes.counts([BOB]) == await recounted(store, BOB) == InboxCounts(messages=4, unread=2)
    assert await store.envelopes.counts([WORK]) == await recounted(store, WORK) == InboxCounts(messages=2, unread=0)
    assert await store.envelopes.counts([BOB, "Bob@Work.Example"]) == InboxCounts(messages=6, unread=2)
    assert await store.envelopes.counts([]) == InboxCounts(messages=0, unread=0)
    assert [row.unread for row in await store.envelopes.inbox([BOB], limit=10)] == [True, True, False, False]


async def test_thread_sizes_count_only_what_the_addresses_hold(store: Store) -> None:
    await add(store, 1, at=100)
    await add(store, 2, at=101, thread=1)
    await add(store, 3, at=102, thread=1, to=("carol@example.org",))
    await add(store, 4, at=103, thread=1, to=(WORK,))
    await add(store, 5, at=104)
    assert await store.envelopes.thread_sizes([mid(1), mid(5), mid(1)], [BOB]) == {mid(1): 2, mid(5): 1}
    assert await store.envelopes.thread_sizes([mid(1)], [BOB, WORK]) == {mid(1): 3}
    assert await store.envelopes.thread_sizes([], [BOB]) == {}


async def test_sqlite_reads_a_page_from_the_index_without_sorting_the_inbox(tmp_path: Path) -> None:
    """A page is an index range read backwards and stopped at the limit: no sort of every row of the address."""
    engine = await open_sqlite(tmp_path / "plan.sqlite")
    await engine.close()
    with sqlite3.connect(tmp_path / "plan.sqlite") as conn:
        params = (BOB, WORK) * 2 + (BOB, 5, 5, 7, BOB, WORK, 5)
        plan = conn.execute("EXPLAIN QUERY PLAN " + page_query("sqlite", 2), params).fetchall()
    conn.close()
    details = " | ".join(row[-1] for row in plan)
    assert "inbox_by_address (address=? AND added_at<?)" in details, details
    assert "TEMP B-TREE" not in details, details


async def test_the_seals_of_a_page_are_read_at_once(store: Store) -> None:
    for number in (1, 2):
        await store.seals.add(NewSeal(message_id=mid(number), issuer="here", sender="alice@example.org",
                                      recipients=(BOB,), template="encrypt-only", rights=("reply",), created_at=5,
                                      expires_at=None, header_fingerprint=b"\1" * 32), key_id="k1", wrapped_key=b"w")
    await store.seals.destroy_key(mid(2), at=9)
    found = await store.seals.records([mid(2), mid(1), mid(3), mid(1)])
    assert sorted(found) == [mid(1), mid(2)]
    assert found[mid(1)].recipients == (BOB,) and not found[mid(1)].destroyed and found[mid(2)].destroyed
    assert await store.seals.records([]) == {}
