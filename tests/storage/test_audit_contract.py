"""The audit repository on both engines: rows in order, newest `limit`, the detail capped."""

from __future__ import annotations

from mailseal.storage import Store


async def test_entries_oldest_first_within_the_newest_limit(store: Store) -> None:
    for at, action in enumerate(["seal", "open", "refuse", "revoke"], start=1):
        await store.audit.add(at=at + 0.9, action=action, message_id="m" * 26, actor="bob@gmail.com")
    await store.audit.add(at=9, action="list", message_id=None, actor="admin", outcome="ok", detail="x" * 900)
    every = await store.audit.entries()
    assert [e.action for e in every] == ["seal", "open", "refuse", "revoke", "list"]
    assert every[0].at == 1 and every[0].outcome == "ok" and every[0].detail == ""
    assert every[-1].message_id is None and len(every[-1].detail) == 500
    assert [e.action for e in await store.audit.entries("m" * 26, limit=2)] == ["refuse", "revoke"]
    assert await store.audit.entries("z" * 26) == []
    assert len({e.id for e in every}) == 5
