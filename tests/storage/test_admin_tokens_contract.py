"""The admin-token repository on both engines: ids from the database, lookup by hash, touch, listing."""

from __future__ import annotations

from mailseal.storage import Store


async def test_tokens_by_hash(store: Store) -> None:
    first = await store.admin_tokens.add("hash-one", name="ci", at=100)
    second = await store.admin_tokens.add("hash-two", name="ops", at=101)
    assert first.id != second.id and (first.name, first.created_at, first.last_used_at) == ("ci", 100, None)
    assert await store.admin_tokens.find("hash-one") == first
    assert await store.admin_tokens.find("hash-three") is None
    await store.admin_tokens.touch(first.id, at=150)
    found = await store.admin_tokens.find("hash-one")
    assert found is not None and found.last_used_at == 150
    assert [t.name for t in await store.admin_tokens.all()] == ["ci", "ops"]
