"""Stored envelopes and inboxes: which message is in which thread, and in whose inbox, read or not."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec

from mailseal.storage.engine import Dialect
from mailseal.storage.repositories.base import Repository, marks

# Arrival order within one second: SQLite's rowid, PostgreSQL's identity column `seq`.
ARRIVAL: Final = {"sqlite": "rowid", "postgresql": "seq"}
# A position after every row: where the first page starts.
_END: Final = 2**62


class InboxPosition(msgspec.Struct, frozen=True):
    """Where a row sits in a listing (newest first): its time, then its arrival within that second."""

    added_at: int
    arrival: int


class InboxRow(msgspec.Struct, frozen=True):
    """One message of an inbox listing, over all the addresses asked for."""

    message_id: str
    thread_id: str
    added_at: int
    via: str
    unread: bool
    arrival: int = 0

    @property
    def position(self) -> InboxPosition:
        return InboxPosition(self.added_at, self.arrival)


class InboxCounts(msgspec.Struct, frozen=True):
    """Kept per address; summed over the addresses asked for (a message two of them hold counts twice)."""

    messages: int
    unread: int


class ThreadState(msgspec.Struct, frozen=True):
    """A message's thread, and whether it is unread for the addresses asked about."""

    thread_id: str
    unread: bool


class ThreadEntry(msgspec.Struct, frozen=True):
    message_id: str
    in_reply_to: str | None


def page_query(dialect: Dialect, addresses: int) -> str:
    """One address's rows of a page over `addresses` addresses, read backwards in `inbox_by_address`.

    Parameters: the addresses (three times), the address, the start position (time, time, arrival), the
    addresses again, the limit. A row is left out where one of the addresses holds the same message at a
    newer row; `via` and `unread` are over all of them."""
    arrival = ARRIVAL[dialect]
    among = f"j.address IN ({marks(addresses)})"
    return (
        f"SELECT i.message_id, e.thread_id, i.added_at, i.{arrival},"
        f" (SELECT MIN(j.via) FROM inbox j WHERE j.message_id = i.message_id AND {among}),"
        f" CASE WHEN EXISTS (SELECT 1 FROM inbox j WHERE j.message_id = i.message_id AND {among}"
        "  AND j.read_at IS NULL) THEN 1 ELSE 0 END"
        " FROM inbox i JOIN envelopes e ON e.message_id = i.message_id"
        f" WHERE i.address = ? AND i.added_at <= ? AND (i.added_at < ? OR i.{arrival} < ?)"
        f" AND NOT EXISTS (SELECT 1 FROM inbox j WHERE j.message_id = i.message_id AND {among}"
        f"  AND (j.added_at > i.added_at OR (j.added_at = i.added_at AND j.{arrival} > i.{arrival})))"
        f" ORDER BY i.added_at DESC, i.{arrival} DESC LIMIT ?"
    )


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
            for address in dict.fromkeys(a.lower() for a in addresses):
                added = await conn.execute(
                    "INSERT INTO inbox (address, message_id, added_at, via) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (address, message_id) DO NOTHING",
                    (address, message_id, at, via),
                )
                if added:
                    await conn.execute(
                        "INSERT INTO inbox_counts (address, messages, unread) VALUES (?, 1, 1)"
                        " ON CONFLICT (address) DO UPDATE SET messages = inbox_counts.messages + 1,"
                        " unread = inbox_counts.unread + 1",
                        (address,),
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

    async def inbox(
        self, addresses: Sequence[str], *, limit: int, before: InboxPosition | None = None
    ) -> list[InboxRow]:
        """Up to `limit` messages held by any of `addresses`, newest first (arrival order within a second),
        from just after `before` (a page's last position) or from the newest.

        Each address's rows are read backwards in its index from that position, at most `limit` of them,
        and merged: a page costs the same however many rows there are. A message several of the addresses
        hold sits at its newest row (its older rows are left out); it is unread if unread for any."""
        lowered = list(dict.fromkeys(a.lower() for a in addresses))
        if not lowered or limit < 1:
            return []
        sql = page_query(self.dialect, len(lowered))
        start = (before.added_at, before.added_at, before.arrival) if before else (_END, _END, _END)
        found: list[InboxRow] = []
        for address in lowered:
            rows = await self._lookup_all(sql, (*lowered, *lowered, address, *start, *lowered, limit))
            found.extend(
                InboxRow(message_id=r[0], thread_id=r[1], added_at=r[2], arrival=r[3], via=r[4], unread=bool(r[5]))
                for r in rows
            )
        found.sort(key=lambda row: (row.added_at, row.arrival), reverse=True)
        return found[:limit]

    async def counts(self, addresses: Sequence[str]) -> InboxCounts:
        """The kept counts of `addresses`: one indexed row each, whatever the size of their inboxes."""
        lowered = list(dict.fromkeys(a.lower() for a in addresses))
        if not lowered:
            return InboxCounts(messages=0, unread=0)
        row = await self._lookup_one(
            "SELECT COALESCE(SUM(messages), 0), COALESCE(SUM(unread), 0) FROM inbox_counts"
            f" WHERE address IN ({marks(len(lowered))})",
            lowered,
        )
        return InboxCounts(messages=int(row[0]), unread=int(row[1])) if row else InboxCounts(messages=0, unread=0)

    async def thread_sizes(self, thread_ids: Sequence[str], addresses: Sequence[str]) -> dict[str, int]:
        """How many messages of each thread any of `addresses` holds: read through the thread index, so the
        cost is the threads' sizes, not the inbox's."""
        lowered = list(dict.fromkeys(a.lower() for a in addresses))
        threads = list(dict.fromkeys(thread_ids))
        if not lowered or not threads:
            return {}
        rows = await self._lookup_all(
            f"SELECT e.thread_id, COUNT(*) FROM envelopes e WHERE e.thread_id IN ({marks(len(threads))})"
            " AND EXISTS (SELECT 1 FROM inbox i WHERE i.message_id = e.message_id"
            f" AND i.address IN ({marks(len(lowered))})) GROUP BY e.thread_id",
            (*threads, *lowered),
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def mark_read(self, message_id: str, addresses: Sequence[str], *, at: int) -> None:
        """Mark the message read for each address that holds it unread, and count it off."""
        async with self._atomic() as conn:
            for address in dict.fromkeys(a.lower() for a in addresses):
                if await conn.execute(
                    "UPDATE inbox SET read_at = ? WHERE address = ? AND message_id = ? AND read_at IS NULL",
                    (at, address, message_id),
                ):
                    await conn.execute(
                        "UPDATE inbox_counts SET unread = unread - 1 WHERE address = ?", (address,)
                    )

    async def settle_unread(self, message_id: str, *, at: int) -> None:
        """The message's content key is destroyed (revoked, expired): nobody holds it unread any more, and
        every holder's count says so. Each row changes once, so a concurrent open cannot count it twice."""
        async with self._atomic() as conn:
            rows = await conn.fetch_all(
                "UPDATE inbox SET read_at = ? WHERE message_id = ? AND read_at IS NULL RETURNING address",
                (at, message_id),
            )
            for row in rows:
                await conn.execute("UPDATE inbox_counts SET unread = unread - 1 WHERE address = ?", (row[0],))

    async def remove_from_inbox(self, message_id: str, address: str) -> None:
        """Take a message out of one address's inbox (its counts with it)."""
        async with self._atomic() as conn:
            rows = await conn.fetch_all(
                # read_at itself: SQLite 3.40 computes `CASE WHEN read_at IS NULL …` in a DELETE's RETURNING wrongly
                "DELETE FROM inbox WHERE address = ? AND message_id = ? RETURNING read_at",
                (address.lower(), message_id),
            )
            for row in rows:
                await conn.execute(
                    "UPDATE inbox_counts SET messages = messages - 1, unread = unread - ? WHERE address = ?",
                    (1 if row[0] is None else 0, address.lower()),
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
