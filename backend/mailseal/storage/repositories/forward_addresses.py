"""Personal forward addresses: tokens, and the verified addresses that own each one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from mailseal.storage.repositories.base import Repository, marks

# Order of joining within one second: SQLite's rowid, PostgreSQL's identity column `seq`.
_ARRIVAL: Final = {"sqlite": "rowid", "postgresql": "seq"}
# PostgreSQL: the advisory lock that serialises linking addresses to tokens across servers, as SQLite's
# one writer does within one file. Any constant works; this one spells "mforw".
_LINK_LOCK: Final = 0x6D666F7277


class ForwardAddressRows(Repository):
    """The `forward_addresses` and `forward_owners` tables (an owner row goes with its token)."""

    __slots__ = ()

    async def serialize(self) -> None:
        """Inside a transaction: make the look-then-link that follows atomic against every other
        transaction that calls this (several servers on one PostgreSQL, where two first uses would both
        find no token). SQLite's `BEGIN IMMEDIATE` already holds the only write lock: nothing to do."""
        if self.dialect == "postgresql":
            await self._fetch_one("SELECT pg_advisory_xact_lock(?)", (_LINK_LOCK,))

    async def owners(self, token: str) -> tuple[str, ...]:
        """The addresses linked to a token, in the order they joined (empty for an unknown token)."""
        rows = await self._fetch_all(
            f"SELECT address FROM forward_owners WHERE token = ? ORDER BY added_at, {_ARRIVAL[self.dialect]}",
            (token,),
        )
        return tuple(row[0] for row in rows)

    async def tokens_of(self, addresses: Sequence[str]) -> dict[str, str]:
        """address -> token for those of `addresses` that are linked."""
        if not addresses:
            return {}
        rows = await self._fetch_all(
            f"SELECT address, token FROM forward_owners WHERE address IN ({marks(len(addresses))})",
            tuple(addresses),
        )
        return {row[0]: row[1] for row in rows}

    async def add_token(self, token: str, *, at: int) -> None:
        await self._execute("INSERT INTO forward_addresses (token, created_at) VALUES (?, ?)", (token, at))

    async def add_owner(self, address: str, token: str, *, at: int) -> None:
        await self._execute(
            "INSERT INTO forward_owners (address, token, added_at) VALUES (?, ?, ?)", (address, token, at)
        )

    async def replace_token(self, old: str, new: str, *, at: int) -> None:
        """Move every owner of `old` to a new token `new`; `old` is gone afterwards."""
        async with self._atomic() as conn:
            await conn.execute("INSERT INTO forward_addresses (token, created_at) VALUES (?, ?)", (new, at))
            await conn.execute("UPDATE forward_owners SET token = ? WHERE token = ?", (new, old))
            await conn.execute("DELETE FROM forward_addresses WHERE token = ?", (old,))
