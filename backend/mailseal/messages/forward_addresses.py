"""Personal forward addresses: `<token>@<inbound domain>`, one per person, for mail forwarded to Mailseal.

A person is the set of verified addresses of a session: they share one token, made the first time it
is asked for (at sign-in, through `GET /api/me`). A new address verified later joins the token of the
session's other addresses. `regenerate` gives the person a new token; the old address stops working at
once (unknown addresses are refused at RCPT).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Final

import aiosqlite

from mailseal.errors import InputError
from mailseal.mail.addresses import normalise_address
from mailseal.storage import Database

# Lower-case letters and digits without the look-alikes 0/o and 1/l: easy to read out and type.
TOKEN_ALPHABET: Final = "abcdefghijkmnpqrstuvwxyz23456789"  # noqa: S105 - an alphabet
TOKEN_LENGTH: Final = 16  # 80 bits
_TOKEN: Final = re.compile(f"[{TOKEN_ALPHABET}]{{{TOKEN_LENGTH}}}")


def new_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


class ForwardAddresses:
    """The store of forward addresses: token -> the verified addresses of its owner."""

    def __init__(self, db: Database, domain: str, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.domain = normalise_address(f"postmaster@{domain}").rpartition("@")[2]
        self._clock = clock

    def address_of(self, token: str) -> str:
        return f"{token}@{self.domain}"

    def token_of(self, address: str) -> str | None:
        """The token of a forward address of ours, or None for any other address."""
        try:
            local, _, domain = normalise_address(address).rpartition("@")
        except InputError:
            return None
        return local if domain == self.domain and _TOKEN.fullmatch(local) else None

    async def address_for(self, addresses: Sequence[str]) -> str | None:
        """The forward address of the person with these verified addresses, made on first use."""
        wanted = _normalised(addresses)
        if not wanted:
            return None
        linked = await self._linked(wanted)
        if len(linked) == len(wanted):
            return self.address_of(linked[wanted[0]])
        async with self.db.write() as conn:
            token = await self._link(conn, wanted)
        return self.address_of(token)

    async def regenerate(self, addresses: Sequence[str]) -> str:
        """A new forward address for the person; the old one is refused from now on."""
        wanted = _normalised(addresses)
        if not wanted:
            raise InputError("A forward address needs a verified address")
        token = new_token()
        async with self.db.write() as conn:
            old = await self._link(conn, wanted)
            await conn.execute(
                "INSERT INTO forward_addresses (token, created_at) VALUES (?, ?)", (token, int(self._clock()))
            )
            await conn.execute("UPDATE forward_owners SET token = ? WHERE token = ?", (token, old))
            await conn.execute("DELETE FROM forward_addresses WHERE token = ?", (old,))
        return self.address_of(token)

    async def owners(self, address: str) -> tuple[str, ...] | None:
        """The verified addresses behind a forward address, or None when it is not one of ours."""
        token = self.token_of(address)
        if token is None:
            return None
        rows = await self.db.fetch_all(
            "SELECT address FROM forward_owners WHERE token = ? ORDER BY added_at, rowid", (token,)
        )
        return tuple(row["address"] for row in rows) or None

    async def accepts(self, address: str) -> bool:
        return await self.owners(address) is not None

    async def _linked(self, wanted: Sequence[str]) -> dict[str, str]:
        marks = ",".join("?" for _ in wanted)
        rows = await self.db.fetch_all(
            f"SELECT address, token FROM forward_owners WHERE address IN ({marks})", tuple(wanted)
        )
        return {row["address"]: row["token"] for row in rows}

    async def _link(self, conn: aiosqlite.Connection, wanted: Sequence[str]) -> str:
        """Inside a write: the person's token (made if none), with every wanted address linked to it."""
        marks = ",".join("?" for _ in wanted)
        async with conn.execute(
            f"SELECT address, token FROM forward_owners WHERE address IN ({marks})", tuple(wanted)
        ) as cursor:
            linked = {row["address"]: row["token"] for row in await cursor.fetchall()}
        now = int(self._clock())
        token = next((linked[address] for address in wanted if address in linked), None)
        if token is None:
            token = new_token()
            await conn.execute("INSERT INTO forward_addresses (token, created_at) VALUES (?, ?)", (token, now))
        for address in wanted:
            if address not in linked:
                await conn.execute(
                    "INSERT INTO forward_owners (address, token, added_at) VALUES (?, ?, ?)", (address, token, now)
                )
        return token


def _normalised(addresses: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for address in addresses:
        try:
            seen.setdefault(normalise_address(address), None)
        except InputError:
            continue
    return list(seen)
