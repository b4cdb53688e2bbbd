"""The push queue: notifications still to send, one row per (device, message, kind), claimed under a lease.

Rows hold ids only (a device id, a message id, a kind): the subscription is looked up at send time, so a
device that unsubscribed meanwhile is simply skipped. Times are milliseconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Final

import msgspec

from mailseal.storage.repositories.base import Repository, marks

_COLUMNS = "id, device_id, message_id, kind, queued_ms, attempts"

CHANNEL: Final = "mailseal_push_queue"
"""Where PostgreSQL announces new rows to the workers (NOTIFY, delivered when the adding transaction commits)."""


class QueuedPush(msgspec.Struct, frozen=True):
    """One notification claimed for one attempt."""

    id: int
    device_id: str
    message_id: str
    kind: str
    queued_ms: int
    attempts: int


class PushQueued(msgspec.Struct, frozen=True):
    """What `add` did: rows added, duplicates coalesced into a row already waiting, rows refused by a cap."""

    added: int
    coalesced: int
    refused: int


# Add one row unless the device or the whole queue is at its cap; a row already waiting for the same
# (device, message, kind) takes it in (ON CONFLICT: one notification says what two would).
_ADD = (
    "INSERT INTO push_queue (device_id, message_id, kind, queued_ms, next_attempt_ms)"
    " SELECT ?, ?, ?, ?, ?"
    " WHERE (SELECT COUNT(*) FROM push_queue WHERE device_id = ?) < ?"
    " AND (SELECT COUNT(*) FROM push_queue) < ?"
    " ON CONFLICT (device_id, message_id, kind) DO NOTHING"
)
_WAITING = "SELECT 1 FROM push_queue WHERE device_id = ? AND message_id = ? AND kind = ?"

# Claiming: SQLite's one writer makes the conditional UPDATE enough; on PostgreSQL rows another worker is
# claiming right now are skipped rather than waited for.
_CLAIM = {
    "sqlite": (
        "UPDATE push_queue SET next_attempt_ms = ? WHERE id IN (SELECT id FROM push_queue"
        " WHERE next_attempt_ms <= ? ORDER BY next_attempt_ms, id LIMIT ?)"
        f" RETURNING {_COLUMNS}"
    ),
    "postgresql": (
        "UPDATE push_queue SET next_attempt_ms = ? WHERE id IN (SELECT id FROM push_queue"
        " WHERE next_attempt_ms <= ? ORDER BY next_attempt_ms, id LIMIT ? FOR UPDATE SKIP LOCKED)"
        f" RETURNING {_COLUMNS}"
    ),
}


class PushQueueRows(Repository):
    """The `push_queue` table."""

    __slots__ = ()

    async def add(
        self, device_ids: tuple[str, ...], *, message_id: str, kind: str, at_ms: int, per_device: int, total: int
    ) -> PushQueued:
        """Queue one notification per device, due at once, within the caps; in one transaction.

        On PostgreSQL two transactions adding at the same moment each count the other's rows as absent,
        so a cap may be passed by the number of concurrent writers: a bound, not an exact count.
        """
        added = coalesced = refused = 0
        async with self._atomic() as conn:
            for device_id in device_ids:
                params = (device_id, message_id, kind, at_ms, at_ms, device_id, per_device, total)
                if await conn.execute(_ADD, params):
                    added += 1
                elif await conn.fetch_one(_WAITING, (device_id, message_id, kind)) is not None:
                    coalesced += 1
                else:
                    refused += 1
            if added and self.dialect == "postgresql":
                await conn.execute("SELECT pg_notify(?, '')", (CHANNEL,))
        return PushQueued(added=added, coalesced=coalesced, refused=refused)

    def listen(self, wake: Callable[[], None]) -> AbstractAsyncContextManager[bool]:
        """Call `wake` when another process adds rows, where the engine can tell (see `Engine.listen`)."""
        return self._engine.listen(CHANNEL, wake)

    async def claim_due(self, *, now_ms: int, lease_until_ms: int, limit: int) -> list[QueuedPush]:
        """Take up to `limit` due rows for one attempt each (their next attempt moves to `lease_until_ms`)."""
        async with self._atomic() as conn:
            rows = await conn.fetch_all(_CLAIM[self.dialect], (lease_until_ms, now_ms, limit))
        return [
            QueuedPush(id=r[0], device_id=r[1], message_id=r[2], kind=r[3], queued_ms=r[4], attempts=r[5])
            for r in rows
        ]

    async def retry_later(self, push_id: int, *, attempts: int, at_ms: int) -> None:
        await self._execute(
            "UPDATE push_queue SET attempts = ?, next_attempt_ms = ? WHERE id = ?", (attempts, at_ms, push_id)
        )

    async def remove(self, push_id: int) -> None:
        await self._execute("DELETE FROM push_queue WHERE id = ?", (push_id,))

    async def next_due_ms(self) -> int | None:
        """When the next row is due (claimed rows: when their lease ends), or None for an empty queue."""
        row = await self._fetch_one("SELECT MIN(next_attempt_ms) FROM push_queue")
        return None if row is None or row[0] is None else int(row[0])

    async def depth(self) -> int:
        row = await self._fetch_one("SELECT COUNT(*) FROM push_queue")
        return int(row[0]) if row is not None else 0

    async def pending(self) -> list[QueuedPush]:
        """Every row, oldest first (for tests and inspection)."""
        rows = await self._fetch_all(f"SELECT {_COLUMNS} FROM push_queue ORDER BY id")
        return [
            QueuedPush(id=r[0], device_id=r[1], message_id=r[2], kind=r[3], queued_ms=r[4], attempts=r[5])
            for r in rows
        ]

    async def release(self, push_ids: tuple[int, ...], *, at_ms: int) -> None:
        """Make claimed rows due again at `at_ms` (a worker stopping mid-send hands them on at once)."""
        if push_ids:
            await self._execute(
                f"UPDATE push_queue SET next_attempt_ms = ? WHERE id IN ({marks(len(push_ids))})", (at_ms, *push_ids)
            )
