"""Rate-limit events (the identity room's `rate_events`): a sliding-window log, one row per counted event.

Buckets are HMACs (of an address, a client, a code), never the values themselves.
"""

from __future__ import annotations

from typing import Final

from mailseal.storage.repositories.base import Repository

# PostgreSQL: the advisory lock that serialises the identity room's check-and-count transactions across
# servers, as SQLite's one writer does within one file. Any constant works; this one spells "mseal".
_IDENTITY_LOCK: Final = 0x6D7365616C


class RateEvents(Repository):
    __slots__ = ()

    async def serialize(self) -> None:
        """Inside a transaction: make the checks and counts that follow atomic against every other
        transaction that calls this (several servers on one PostgreSQL). SQLite's `BEGIN IMMEDIATE`
        already holds the only write lock, so there it does nothing."""
        if self.dialect == "postgresql":
            await self._fetch_one("SELECT pg_advisory_xact_lock(?)", (_IDENTITY_LOCK,))

    async def youngest_at(self, bucket: str, *, after: int, skip: int) -> int | None:
        """The time of the (`skip`+1)-th youngest event of `bucket` later than `after`, or None."""
        row = await self._fetch_one(
            "SELECT at FROM rate_events WHERE bucket = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?",
            (bucket, after, skip),
        )
        return None if row is None else int(row[0])

    async def record(self, bucket: str, *, at: int) -> None:
        await self._execute("INSERT INTO rate_events (bucket, at) VALUES (?, ?)", (bucket, at))

    async def forget_older_than(self, cutoff: int) -> None:
        await self._execute("DELETE FROM rate_events WHERE at <= ?", (cutoff,))
