"""Stored envelopes and inboxes: which message is in which thread, and in whose inbox, read or not."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec

from mailseal.storage.repositories.base import Repository, marks

# Arrival order within one second: SQLite's rowid, PostgreSQL's identity column `seq`.
ARRIVAL: Final = {"sqlite": "rowid", "postgresql": "seq"}


class InboxRow(msgspec.Struct, frozen=True):
    """One message of an inbox listing, over all the addresses asked for."""

    message_id: str
    thread_id: str
    added_at: int
    via: str
    unread: bool


class ThreadState(msgspec.Struct, frozen=True):
    """A message's thread, and whether it is unread for the addresses asked about."""

    thread_id: str
    unread: bool


class ThreadEntry(msgspec.Struct, frozen=True):
    message_id: str
    in_reply_to: str | None


class Envelopes(Repository):
    """The `envelopes` and `inbox` tables. Addresses are lower-cased by the caller's flows and here."""

    __slots__ = ()

    async def add(
        self, message_id: str, *, size: int, stored_at: int, thread_id: str, in_reply_to: str | None
    ) -> None:
        await self._execute(
            "INSERT INTO envelopes (message_id, size, stored_at, thread_id, in_reply_to) VALUES (?, ?, ?, ?, ?)",
            (message_id, size, stored_at, thread_id, in_reply_to),
        )

    async def add_to_inboxes(self, message_id: str, addresses: Sequence[str], *, via: str, at: int) -> None:
        """Add a message to each address's inbox; an address that holds it already keeps its row."""
        async with self._atomic() as conn:
            for address in addresses:
                await conn.execute(
                    "INSERT INTO inbox (address, message_id, added_at, via) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (address, message_id) DO NOTHING",
                    (address.lower(), message_id, at, via),
                )

    async def held_by(self, message_id: str, addresses: Sequence[str]) -> int:
        """How many of `addresses` hold the message in their inbox."""
        if not addresses:
            return 0
        row = await self._fetch_one(
            f"SELECT COUNT(*) FROM inbox WHERE message_id = ? AND address IN ({marks(len(addresses))})",
            (message_id, *addresses),
        )
        return int(row[0]) if row is not None else 0

    async def thread_id(self, message_id: str) -> str | None:
        row = await self._fetch_one("SELECT thread_id FROM envelopes WHERE message_id = ?", (message_id,))
        return None if row is None else str(row[0])

    async def thread_and_unread(self, message_id: str, addresses: Sequence[str]) -> ThreadState | None:
        """The message's thread, and whether it is unread for any of `addresses`, in one indexed lookup."""
        lowered = list(dict.fromkeys(a.lower() for a in addresses)) or [""]
        row = await self._lookup_one(
            "SELECT thread_id, EXISTS (SELECT 1 FROM inbox WHERE inbox.message_id = ?"
            f" AND address IN ({marks(len(lowered))}) AND read_at IS NULL) AS unread"
            " FROM envelopes WHERE message_id = ?",
            (message_id, *lowered, message_id),
        )
        if row is None:
            return None
        return ThreadState(thread_id=row[0], unread=bool(row[1]))

    async def inbox(self, addresses: Sequence[str], *, limit: int) -> list[InboxRow]:
        """One row per message held by any of `addresses`, newest first (arrival order within a second)."""
        if not addresses:
            return []
        arrival = ARRIVAL[self.dialect]
        rows = await self._fetch_all(
            "SELECT i.message_id, e.thread_id, MAX(i.added_at) AS added_at, MIN(i.via) AS via,"
            " MAX(CASE WHEN i.read_at IS NULL THEN 1 ELSE 0 END) AS unread"
            " FROM inbox i JOIN envelopes e ON e.message_id = i.message_id"
            f" WHERE i.address IN ({marks(len(addresses))}) GROUP BY i.message_id, e.thread_id"
            f" ORDER BY MAX(i.added_at) DESC, MAX(i.{arrival}) DESC LIMIT ?",
            (*[a.lower() for a in addresses], limit),
        )
        return [InboxRow(message_id=r[0], thread_id=r[1], added_at=r[2], via=r[3], unread=bool(r[4])) for r in rows]

    async def mark_read(self, message_id: str, addresses: Sequence[str], *, at: int) -> None:
        """Mark the message read for each address that holds it unread."""
        async with self._atomic() as conn:
            for address in dict.fromkeys(a.lower() for a in addresses):
                await conn.execute(
                    "UPDATE inbox SET read_at = ? WHERE address = ? AND message_id = ? AND read_at IS NULL",
                    (at, address, message_id),
                )

    async def thread(self, thread_id: str, *, limit: int) -> list[ThreadEntry]:
        """The messages of a thread, oldest first."""
        arrival = ARRIVAL[self.dialect]
        rows = await self._fetch_all(
            "SELECT message_id, in_reply_to FROM envelopes WHERE thread_id = ?"
            f" ORDER BY stored_at, {arrival} LIMIT ?",
            (thread_id, limit),
        )
        return [ThreadEntry(message_id=r[0], in_reply_to=r[1]) for r in rows]
