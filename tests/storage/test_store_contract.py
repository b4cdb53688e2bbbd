"""The store on both engines: a unit of work commits whole or not at all; reads see every commit."""

from __future__ import annotations

import pytest

from mailseal.storage import Store


class Boom(Exception):
    pass


async def test_a_unit_of_work_that_raises_leaves_nothing(store: Store) -> None:
    with pytest.raises(Boom):
        async with store.transaction() as tx:
            await tx.audit.add(at=1, action="seal", message_id=None, actor="x")
            await tx.admin_tokens.add("hash", name="ci", at=1)
            raise Boom
    assert await store.audit.entries() == []
    assert await store.admin_tokens.all() == []
    async with store.transaction() as tx:  # the engine is free again
        await tx.audit.add(at=2, action="seal", message_id=None, actor="x")
        assert [e.at for e in await tx.audit.entries()] == [2]  # a transaction reads its own writes
    assert [e.at for e in await store.audit.entries()] == [2]


async def test_a_failing_statement_rolls_back_the_whole_unit(store: Store) -> None:
    await store.admin_tokens.add("taken", name="ci", at=1)
    with pytest.raises(Exception):  # noqa: B017 - each engine raises its driver's unique-violation error
        async with store.transaction() as tx:
            await tx.audit.add(at=1, action="seal", message_id=None, actor="x")
            await tx.admin_tokens.add("taken", name="again", at=2)
    assert await store.audit.entries() == []


async def test_ping_and_dialect(store: Store, engine: str) -> None:
    assert await store.ping()
    assert store.dialect == engine.partition(":")[0]
