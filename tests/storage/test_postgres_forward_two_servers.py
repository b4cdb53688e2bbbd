"""Two servers on one PostgreSQL database give a person one forward address, however their requests race.

The first `GET /api/me` of a person links their addresses to a new token. Two servers doing it at once
both found no token and both inserted one: the second insert of the same owner failed (a 500).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from mailseal.messages.forward_addresses import ForwardAddresses
from mailseal.storage import Store, open_store


@pytest.fixture
async def stores(postgres_url: str) -> AsyncIterator[list[Store]]:
    opened = [await open_store(postgres_url), await open_store(postgres_url)]
    yield opened
    for store in opened:
        await store.close()


async def test_racing_first_uses_on_two_servers_make_one_forward_address(stores: list[Store]) -> None:
    servers = [ForwardAddresses(store, "in.example.org") for store in stores]
    for person in range(6):
        addresses = [f"p{person}@example.org", f"p{person}@home.example"]
        results = await asyncio.gather(*(servers[n % 2].address_for(addresses) for n in range(4)))
        assert len(set(results)) == 1, results
        [address] = set(results)
        assert await servers[1].owners(address) == tuple(addresses)
