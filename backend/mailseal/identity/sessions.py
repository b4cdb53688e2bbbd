"""The session and device repository: SQL on the `sessions`, `devices` and `session_addresses` tables.

A session id is 32 random bytes (URL-safe base64) handed to the browser once; the table keeps only its
SHA-256. Each session belongs to exactly one device, and ending a session deletes its device row, which
cascades to the session, its addresses, and the rows other rooms keep per device (push subscriptions).
Reads take a `Reader`: the `Database` itself, or `TxReader` inside a write transaction.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from collections.abc import Iterable
from typing import Any, Protocol

import aiosqlite
import msgspec

from mailseal.identity.models import Device, Session
from mailseal.storage.legacy import Database

SESSION_ID_BYTES = 32
MAX_SESSION_ID_LENGTH = 128
MAX_DEVICE_ID_LENGTH = 64
_URLSAFE_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_SESSION_ID_LENGTH}}}")


class Reader(Protocol):
    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None: ...

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]: ...


class TxReader:
    """Reads through the write connection, so they see the transaction's own changes."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        async with self._conn.execute(sql, tuple(params)) as cursor:
            row = await cursor.fetchone()
        return row

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        async with self._conn.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())


class SessionRow(msgspec.Struct, frozen=True, kw_only=True):
    """A `sessions` row; `pk` is the internal key that stays put when the id is rotated."""

    pk: int
    id_hash: str
    device_id: str
    created_at: int
    last_seen_at: int
    expires_at: int


def new_session_id() -> str:
    return secrets.token_urlsafe(SESSION_ID_BYTES)


def new_device_id() -> str:
    return secrets.token_hex(16)


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


def plausible_session_id(session_id: str) -> bool:
    """Cheap shape check, so that junk cookies never reach the database."""
    return _URLSAFE_ID.fullmatch(session_id) is not None


def plausible_device_id(device_id: str) -> bool:
    return 0 < len(device_id) <= MAX_DEVICE_ID_LENGTH and device_id.isascii() and device_id.isalnum()


_SESSION_COLUMNS = "id, id_hash, device_id, created_at, last_seen_at, expires_at"


def _session_row(row: sqlite3.Row) -> SessionRow:
    return SessionRow(
        pk=row["id"],
        id_hash=row["id_hash"],
        device_id=row["device_id"],
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
        expires_at=row["expires_at"],
    )


async def find(reader: Reader, id_hash: str) -> SessionRow | None:
    row = await reader.fetch_one(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id_hash = ?", (id_hash,))
    return None if row is None else _session_row(row)


def find_with_addresses(db: Database, id_hash: str) -> tuple[SessionRow, tuple[str, ...]] | None:
    """The session row and its addresses in one lookup: every signed-in request takes this path."""
    columns = ", ".join(f"s.{name}" for name in _SESSION_COLUMNS.split(", "))
    rows = db.lookup_all(
        f"SELECT {columns}, a.address FROM sessions s LEFT JOIN session_addresses a ON a.session_id = s.id"
        " WHERE s.id_hash = ? ORDER BY a.verified_at, a.address",
        (id_hash,),
    )
    if not rows:
        return None
    return _session_row(rows[0]), tuple(r["address"] for r in rows if r["address"] is not None)


def session_of(row: SessionRow, addresses: tuple[str, ...]) -> Session | None:
    """The session with its addresses; None if it holds none (it was just ended)."""
    if not addresses:
        return None
    return Session(
        id_hash=row.id_hash,
        device_id=row.device_id,
        addresses=addresses,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
    )


async def load(reader: Reader, row: SessionRow) -> Session | None:
    """The session with its addresses; None if it holds none (it was just ended)."""
    rows = await reader.fetch_all(
        "SELECT address FROM session_addresses WHERE session_id = ? ORDER BY verified_at, address", (row.pk,)
    )
    return session_of(row, tuple(r["address"] for r in rows))


async def create(
    conn: aiosqlite.Connection, *, id_hash: str, device_name: str, now: int, expires_at: int
) -> SessionRow:
    """A new device and its session."""
    device_id = new_device_id()
    await conn.execute(
        "INSERT INTO devices (id, name, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
        (device_id, device_name, now, now),
    )
    cursor = await conn.execute(
        "INSERT INTO sessions (id_hash, device_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        (id_hash, device_id, now, now, expires_at),
    )
    pk = cursor.lastrowid
    assert pk is not None
    return SessionRow(
        pk=pk, id_hash=id_hash, device_id=device_id, created_at=now, last_seen_at=now, expires_at=expires_at
    )


async def rotate(conn: aiosqlite.Connection, row: SessionRow, new_hash: str, now: int) -> SessionRow:
    """Give the session a new id (the old one stops working); creation and absolute expiry stay."""
    await conn.execute("UPDATE sessions SET id_hash = ?, last_seen_at = ? WHERE id = ?", (new_hash, now, row.pk))
    await conn.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", (now, row.device_id))
    return msgspec.structs.replace(row, id_hash=new_hash, last_seen_at=now)


async def add_address(conn: aiosqlite.Connection, row: SessionRow, address: str, now: int) -> None:
    await conn.execute(
        "INSERT INTO session_addresses (session_id, address, verified_at) VALUES (?, ?, ?) "
        "ON CONFLICT (session_id, address) DO UPDATE SET verified_at = excluded.verified_at",
        (row.pk, address, now),
    )


async def remove_address(conn: aiosqlite.Connection, row: SessionRow, address: str) -> bool:
    cursor = await conn.execute("DELETE FROM session_addresses WHERE session_id = ? AND address = ?", (row.pk, address))
    return cursor.rowcount > 0


async def touch(conn: aiosqlite.Connection, row: SessionRow, now: int) -> None:
    await conn.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", (now, row.pk))
    await conn.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", (now, row.device_id))


async def delete_device(conn: aiosqlite.Connection, device_id: str) -> None:
    """End a device: its session, the session's addresses, and other rooms' rows go with it."""
    await conn.execute("DELETE FROM devices WHERE id = ?", (device_id,))


async def delete_expired(conn: aiosqlite.Connection, now: int, idle_seconds: int) -> None:
    await conn.execute(
        "DELETE FROM devices WHERE id IN "
        "(SELECT device_id FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?) "
        "OR id NOT IN (SELECT device_id FROM sessions)",
        (now, now - idle_seconds),
    )


# The person: every live session whose addresses are all among the asking session's. Sharing one
# address (a team mailbox) does not make two people one: Carol, who verified team@, must not see or
# sign out Bob's device that also holds bob@.
_PERSON_DEVICES = """
SELECT d.id, d.name, d.created_at, d.last_seen_at, s.id_hash = ? AS current
FROM devices d JOIN sessions s ON s.device_id = d.id
WHERE s.expires_at > ? AND s.last_seen_at > ?
  AND EXISTS (SELECT 1 FROM session_addresses a WHERE a.session_id = s.id)
  AND NOT EXISTS (
    SELECT 1 FROM session_addresses a WHERE a.session_id = s.id AND a.address NOT IN (
      SELECT b.address FROM session_addresses b JOIN sessions m ON m.id = b.session_id WHERE m.id_hash = ?
    )
  )
"""


async def person_devices(reader: Reader, id_hash: str, now: int, idle_seconds: int) -> list[Device]:
    """The live devices of the person signed in as `id_hash`, the current one first."""
    rows = await reader.fetch_all(
        _PERSON_DEVICES + " ORDER BY current DESC, d.last_seen_at DESC, d.id",
        (id_hash, now, now - idle_seconds, id_hash),
    )
    return [
        Device(
            id=r["id"],
            name=r["name"],
            created_at=r["created_at"],
            last_seen_at=r["last_seen_at"],
            current=bool(r["current"]),
        )
        for r in rows
    ]
