"""The `push_subscriptions` table: one row per device, returned as `Subscription` Structs."""

from __future__ import annotations

import hmac
import sqlite3
from collections.abc import Sequence

import msgspec

from mailseal.errors import PushSubscriptionTaken
from mailseal.storage.legacy import Database

_COLUMNS = "id, device_id, endpoint, p256dh, auth, created_at, last_success_at, failures, show_sender"


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


def _row(row: sqlite3.Row) -> Subscription:
    return Subscription(
        id=row["id"],
        device_id=row["device_id"],
        endpoint=row["endpoint"],
        p256dh=bytes(row["p256dh"]),
        auth=bytes(row["auth"]),
        created_at=row["created_at"],
        last_success_at=row["last_success_at"],
        failures=row["failures"],
        show_sender=bool(row["show_sender"]),
    )


async def save(
    db: Database, *, device_id: str, endpoint: str, p256dh: bytes, auth: bytes, show_sender: bool, now: int
) -> Subscription:
    """Insert or replace the device's subscription.

    An endpoint held by another device moves only to a request with the same keys (p256dh and auth):
    the same browser, signed in again. Anyone else who learnt the endpoint gets `PushSubscriptionTaken`
    and the subscription stays where it was.
    """
    async with db.write() as conn:
        async with conn.execute(
            "SELECT device_id, p256dh, auth FROM push_subscriptions WHERE endpoint = ?", (endpoint,)
        ) as cur:
            held = await cur.fetchone()
        if held is not None and held["device_id"] != device_id:
            same_keys = hmac.compare_digest(bytes(held["p256dh"]), p256dh) & hmac.compare_digest(
                bytes(held["auth"]), auth
            )
            if not same_keys:
                raise PushSubscriptionTaken()
        await conn.execute(
            "DELETE FROM push_subscriptions"
            " WHERE (device_id = ? AND endpoint != ?) OR (endpoint = ? AND device_id != ?)",
            (device_id, endpoint, endpoint, device_id),
        )
        await conn.execute(
            "INSERT INTO push_subscriptions (device_id, endpoint, p256dh, auth, created_at, show_sender)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth,"
            " show_sender = excluded.show_sender, failures = 0",
            (device_id, endpoint, p256dh, auth, now, int(show_sender)),
        )
        async with conn.execute(f"SELECT {_COLUMNS} FROM push_subscriptions WHERE endpoint = ?", (endpoint,)) as cur:
            row = await cur.fetchone()
    assert row is not None
    return _row(row)


async def delete(db: Database, *, device_id: str, endpoint: str) -> bool:
    async with db.write() as conn:
        cursor = await conn.execute(
            "DELETE FROM push_subscriptions WHERE device_id = ? AND endpoint = ?", (device_id, endpoint)
        )
        return cursor.rowcount > 0


async def delete_for_device(db: Database, device_id: str) -> bool:
    async with db.write() as conn:
        cursor = await conn.execute("DELETE FROM push_subscriptions WHERE device_id = ?", (device_id,))
        return cursor.rowcount > 0


async def delete_by_id(db: Database, subscription_id: int) -> None:
    async with db.write() as conn:
        await conn.execute("DELETE FROM push_subscriptions WHERE id = ?", (subscription_id,))


async def get(db: Database, subscription_id: int) -> Subscription | None:
    row = await db.fetch_one(f"SELECT {_COLUMNS} FROM push_subscriptions WHERE id = ?", (subscription_id,))
    return None if row is None else _row(row)


async def for_devices(db: Database, device_ids: Sequence[str]) -> list[Subscription]:
    """The subscriptions of these devices, in a stable order (queried in chunks to stay under SQLite's limit)."""
    found: list[Subscription] = []
    unique = list(dict.fromkeys(device_ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await db.fetch_all(
            f"SELECT {_COLUMNS} FROM push_subscriptions WHERE device_id IN ({marks}) ORDER BY id", chunk
        )
        found.extend(_row(row) for row in rows)
    return found


async def record_success(db: Database, subscription_id: int, *, now: int) -> None:
    async with db.write() as conn:
        await conn.execute(
            "UPDATE push_subscriptions SET last_success_at = ?, failures = 0 WHERE id = ?", (now, subscription_id)
        )


async def record_failure(db: Database, subscription_id: int, *, max_failures: int) -> bool:
    """Count one failed delivery; deletes the row (returns True) once `max_failures` follow one another."""
    async with db.write() as conn:
        await conn.execute("UPDATE push_subscriptions SET failures = failures + 1 WHERE id = ?", (subscription_id,))
        cursor = await conn.execute(
            "DELETE FROM push_subscriptions WHERE id = ? AND failures >= ?", (subscription_id, max_failures)
        )
        return cursor.rowcount > 0
