"""Two servers on one PostgreSQL database: the identity room's limits and code tries count across both.

Each `IdentityService` has its own store (its own engine and connection pool), as two `mailseal serve`
processes would; they share the database and the secret. Requests race through `asyncio.gather`, so
their transactions interleave in the database: without `limits.serialize()` the check-then-count of each
would let too many through.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from mailseal.errors import ClientRateLimited, InvalidCode, MailsealError, TooManyTries
from mailseal.identity import IdentityService, Limits, SessionGrant
from mailseal.storage import Store, open_store

SECRET = bytes(range(32))
T0 = 1_800_000_000.0
CLIENT = "203.0.113.7"


@dataclass
class Outbox:
    codes: dict[str, str] = field(default_factory=dict)

    async def __call__(self, address: str, code: str, reference: str, expires_minutes: int,
                       language: str = "en") -> None:
        self.codes[reference] = code


@dataclass
class Servers:
    a: IdentityService
    b: IdentityService
    outbox: Outbox

    def alternate(self, count: int) -> list[IdentityService]:
        return [self.a if n % 2 == 0 else self.b for n in range(count)]


async def two_servers(url: str, limits: Limits) -> tuple[Servers, list[Store]]:
    stores = [await open_store(url), await open_store(url)]
    outbox = Outbox()

    def service(store: Store) -> IdentityService:
        return IdentityService(store, secret=SECRET, send_passcode=outbox, clock=lambda: T0, limits=limits)

    return Servers(service(stores[0]), service(stores[1]), outbox), stores


@pytest.fixture
async def servers(postgres_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Servers]:
    pair, stores = await two_servers(postgres_url, request.param)
    yield pair
    for store in stores:
        await store.close()


def outcomes(results: list[object]) -> list[str]:
    """Each result as the name of what happened: `ok`, or the error's class name."""
    names = []
    for result in results:
        if isinstance(result, MailsealError):
            names.append(type(result).__name__)
        elif isinstance(result, BaseException):
            raise result
        else:
            names.append("ok")
    return sorted(names)


@pytest.mark.parametrize("servers", [Limits(requests_per_client=4)], indirect=True)
async def test_code_requests_per_client_count_across_both_servers(servers: Servers) -> None:
    asks = [
        server.request_code(f"person{n}@example.org", client=CLIENT)
        for n, server in enumerate(servers.alternate(12))
    ]
    results = await asyncio.gather(*asks, return_exceptions=True)
    assert outcomes(results) == ["ClientRateLimited"] * 8 + ["ok"] * 4


@pytest.mark.parametrize("servers", [Limits(tries_per_code=3, failures_per_address_client=100)], indirect=True)
async def test_tries_at_one_code_count_across_both_servers(servers: Servers) -> None:
    reference = await servers.a.request_code("bob@example.org", client=CLIENT)
    code = servers.outbox.codes[reference]
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    guesses = [
        server.verify_code("bob@example.org", wrong, client=CLIENT, session_id=None, device_name="Phone")
        for server in servers.alternate(12)
    ]
    results = await asyncio.gather(*guesses, return_exceptions=True)
    assert outcomes(results) == ["InvalidCode"] * 3 + ["TooManyTries"] * 9
    # The three tries are spent on both servers: even the right code is refused now.
    for server in (servers.a, servers.b):
        with pytest.raises(TooManyTries):
            await server.verify_code("bob@example.org", code, client=CLIENT, session_id=None, device_name="Phone")


@pytest.mark.parametrize("servers", [Limits()], indirect=True)
async def test_one_code_signs_in_once_when_both_servers_race_with_it(servers: Servers) -> None:
    reference = await servers.b.request_code("bob@example.org", client=CLIENT)
    code = servers.outbox.codes[reference]
    uses = [
        server.verify_code("bob@example.org", code, client=CLIENT, session_id=None, device_name="Phone")
        for server in servers.alternate(6)
    ]
    results = await asyncio.gather(*uses, return_exceptions=True)
    assert outcomes(results) == ["InvalidCode"] * 5 + ["ok"]
    [grant] = [r for r in results if isinstance(r, SessionGrant)]
    # The session made through one server is valid on the other.
    for server in (servers.a, servers.b):
        session = await server.get_session(grant.session_id)
        assert session is not None and session.addresses == ("bob@example.org",)


async def test_failures_per_client_count_across_both_servers(postgres_url: str) -> None:
    pair, stores = await two_servers(postgres_url, Limits(failures_per_client=5, tries_per_code=100))
    try:
        references = [await pair.a.request_code(f"p{n}@example.org", client=f"10.0.0.{n}") for n in range(3)]
        assert len(pair.outbox.codes) == len(references)
        guesses = [
            server.verify_code(f"p{n % 3}@example.org", "00000000", client=CLIENT, session_id=None,
                               device_name="Phone")
            for n, server in enumerate(pair.alternate(15))
        ]
        results = await asyncio.gather(*guesses, return_exceptions=True)
    finally:
        for store in stores:
            await store.close()
    assert outcomes(results) == sorted(["ClientRateLimited"] * 10 + ["InvalidCode"] * 5)
    assert all(isinstance(r, ClientRateLimited | InvalidCode) for r in results)
