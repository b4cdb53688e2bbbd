"""Web Push subscriptions: one per device (the push room's `push_subscriptions`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec

from mailseal.storage.engine import Row
from mailseal.storage.repositories.base import Repository, marks

_COLUMNS = "id, device_id, endpoint, p256dh, auth, created_at, last_success_at, failures, show_sender"
# Devices asked for at once: well under SQLite's limit on parameters.
_CHUNK = 500
# PostgreSQL: the advisory lock that serialises subscribing across servers, as SQLite's one writer does
# within one file. Any constant works; this one spells "mpush".
_SUBSCRIBE_LOCK: Final = 0x6D70757368


class Subscription(msgspec.Struct, frozen=True, kw_only=True):
    """A stored subscription. `endpoint` and `auth` are capabilities: never log or show them."""

    id: int
    device_id: str
    endpoint: str
    p256dh: bytes
    auth: bytes
    created_at: int
    last_success_at: int | None = None
    failures: int = 0
    show_sender: bool = False


def _subscription(row: Row) -> Subscription:
    return Subscription(
        id=row[0], device_id=row[1], endpoint=row[2], p256dh=bytes(row[3]), auth=bytes(row[4]), created_at=row[5],
        last_success_at=row[6], failures=row[7], show_sender=bool(row[8]),
    )


class EndpointHolder(msgspec.Struct, frozen=True):
    """The device holding an endpoint, and the browser keys it was made with."""

    device_id: str
    p256dh: bytes
    auth: bytes


class PushSubscriptions(Repository):
    __slots__ = ()

    async def serialize(self) -> None:
        """Inside a transaction: make the check-and-save that follows atomic against every other
        transaction that calls this (several servers on one PostgreSQL, where two saves for one device
        would each miss the other's new row and both insert). SQLite's `BEGIN IMMEDIATE` already holds the
        only write lock: nothing to do."""
        if self.dialect == "postgresql":
            await self._fetch_one("SELECT pg_advisory_xact_lock(?)", (_SUBSCRIBE_LOCK,))

    async def holder(self, endpoint: str) -> EndpointHolder | None:
        """The device holding `endpoint` and the keys it was made with, or None."""
        row = await self._fetch_one(
            "SELECT device_id, p256dh, auth FROM push_subscriptions WHERE endpoint = ?", (endpoint,)
        )
        return None if row is None else EndpointHolder(str(row[0]), bytes(row[1]), bytes(row[2]))

    async def save(
        self, *, device_id: str, endpoint: str, p256dh: bytes, auth: bytes, show_sender: bool, now: int
    ) -> Subscription:
        """Insert or replace the device's subscription; an endpoint held by another device moves to this one
        (the caller decides whether it may: see `holder`)."""
        async with self._atomic() as conn:
            await conn.execute(
                "DELETE FROM push_subscriptions"
                " WHERE (device_id = ? AND endpoint != ?) OR (endpoint = ? AND device_id != ?)",
                (device_id, endpoint, endpoint, device_id),
            )
            row = await conn.fetch_one(
                "INSERT INTO push_subscriptions (device_id, endpoint, p256dh, auth, created_at, show_sender)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth,"
                f" show_sender = excluded.show_sender, failures = 0 RETURNING {_COLUMNS}",
                (device_id, endpoint, p256dh, auth, now, int(show_sender)),
            )
        assert row is not None  # an INSERT … RETURNING returns its row
        return _subscription(row)

    async def delete(self, *, device_id: str, endpoint: str) -> bool:
        changed = await self._execute(
            "DELETE FROM push_subscriptions WHERE device_id = ? AND endpoint = ?", (device_id, endpoint)
        )
        return changed > 0

    async def delete_for_device(self, device_id: str) -> bool:
        return await self._execute("DELETE FROM push_subscriptions WHERE device_id = ?", (device_id,)) > 0

    async def delete_by_id(self, subscription_id: int) -> None:
        await self._execute("DELETE FROM push_subscriptions WHERE id = ?", (subscription_id,))

    async def get(self, subscription_id: int) -> Subscription | None:
        row = await self._fetch_one(f"SELECT {_COLUMNS} FROM push_subscriptions WHERE id = ?", (subscription_id,))
        return None if row is None else _subscription(row)

    async def for_devices(self, device_ids: Sequence[str]) -> list[Subscription]:
        """The subscriptions of these devices, in a stable order (asked for in chunks)."""
        found: list[Subscription] = []
        unique = list(dict.fromkeys(device_ids))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            rows = await self._fetch_all(
                f"SELECT {_COLUMNS} FROM push_subscriptions WHERE device_id IN ({marks(len(chunk))}) ORDER BY id",
                chunk,
            )
            found.extend(_subscription(row) for row in rows)
        return found

    async def record_success(self, subscription_id: int, *, now: int) -> None:
        await self._execute(
            "UPDATE push_subscriptions SET last_success_at = ?, failures = 0 WHERE id = ?", (now, subscription_id)
        )

    async def record_failure(self, subscription_id: int, *, max_failures: int) -> bool:
        """Count one failed delivery; deletes the row (True) once `max_failures` follow one another."""
        async with self._atomic() as conn:
            await conn.execute(
                "UPDATE push_subscriptions SET failures = failures + 1 WHERE id = ?", (subscription_id,)
            )
            deleted = await conn.execute(
                "DELETE FROM push_subscriptions WHERE id = ? AND failures >= ?", (subscription_id, max_failures)
            )
        return deleted > 0
