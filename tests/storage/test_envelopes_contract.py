"""The envelopes repository on both engines: inbox rows, read state, the listing's order, threads."""

from __future__ import annotations

from mailseal.storage import Store, ThreadState


async def add(store: Store, message_id: str, *, at: int, thread: str | None = None, reply_to: str | None = None,
              to: tuple[str, ...] = ("bob@gmail.com",), via: str = "seal") -> None:
    async with store.transaction() as tx:
        await tx.envelopes.add(message_id, size=10, stored_at=at, thread_id=thread or message_id,
                               in_reply_to=reply_to)
        await tx.envelopes.add_to_inboxes(message_id, to, via=via, at=at)


async def test_inbox_rows_newest_first_and_arrival_order_within_a_second(store: Store) -> None:
    await add(store, "a" * 26, at=100)
    await add(store, "b" * 26, at=200)
    await add(store, "c" * 26, at=200)  # same second: arrival decides
    await add(store, "d" * 26, at=300, to=("someone@else.example",))
    rows = await store.envelopes.inbox(["BOB@gmail.com"], limit=10)
    assert [r.message_id for r in rows] == ["c" * 26, "b" * 26, "a" * 26]
    assert rows[0].thread_id == "c" * 26 and rows[0].added_at == 200 and rows[0].via == "seal" and rows[0].unread
    assert [r.message_id for r in await store.envelopes.inbox(["bob@gmail.com"], limit=1)] == ["c" * 26]
    assert await store.envelopes.inbox([], limit=10) == []


async def test_adding_again_keeps_the_first_row_and_read_state_is_per_address(store: Store) -> None:
    await add(store, "a" * 26, at=100, to=("bob@gmail.com", "bob@work.example"))
    await store.envelopes.add_to_inboxes("a" * 26, ["Bob@Gmail.com"], via="forward", at=500)
    assert await store.envelopes.held_by("a" * 26, ["bob@gmail.com", "bob@work.example", "x@y.example"]) == 2
    rows = await store.envelopes.inbox(["bob@gmail.com", "bob@work.example"], limit=10)
    assert [(r.message_id, r.added_at, r.via, r.unread) for r in rows] == [("a" * 26, 100, "seal", True)]
    assert await store.envelopes.thread_and_unread("a" * 26, ["bob@gmail.com"]) == ThreadState("a" * 26, True)
    await store.envelopes.mark_read("a" * 26, ["BOB@gmail.com"], at=600)
    assert await store.envelopes.thread_and_unread("a" * 26, ["bob@gmail.com"]) == ThreadState("a" * 26, False)
    assert await store.envelopes.thread_and_unread("a" * 26, ["bob@work.example"]) == ThreadState("a" * 26, True)
    rows = await store.envelopes.inbox(["bob@gmail.com", "bob@work.example"], limit=10)
    assert rows[0].unread  # unread for one of the addresses
    await store.envelopes.mark_read("a" * 26, ["bob@work.example"], at=601)
    assert not (await store.envelopes.inbox(["bob@gmail.com", "bob@work.example"], limit=10))[0].unread
    assert await store.envelopes.thread_and_unread("z" * 26, ["bob@gmail.com"]) is None
    assert await store.envelopes.thread_and_unread("a" * 26, []) == ThreadState("a" * 26, False)


async def test_a_thread_oldest_first(store: Store) -> None:
    await add(store, "a" * 26, at=100)
    await add(store, "c" * 26, at=300, thread="a" * 26, reply_to="b" * 26)
    await add(store, "b" * 26, at=200, thread="a" * 26, reply_to="a" * 26)
    await add(store, "d" * 26, at=300, thread="a" * 26, reply_to="a" * 26)  # same second as c, after it
    assert await store.envelopes.thread_id("c" * 26) == "a" * 26
    assert await store.envelopes.thread_id("z" * 26) is None
    entries = await store.envelopes.thread("a" * 26, limit=10)
    assert [(e.message_id, e.in_reply_to) for e in entries] == [
        ("a" * 26, None), ("b" * 26, "a" * 26), ("c" * 26, "b" * 26), ("d" * 26, "a" * 26)
    ]
    assert len(await store.envelopes.thread("a" * 26, limit=2)) == 2
