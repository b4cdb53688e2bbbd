"""Sessions and the verified addresses each holds (the identity room's `sessions`, `session_addresses`)."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from mailseal.storage.engine import Row
from mailseal.storage.repositories.base import Repository

_COLUMNS = ("id", "id_hash", "device_id", "created_at", "last_seen_at", "expires_at")


class SessionRow(msgspec.Struct, frozen=True, kw_only=True):
    """A `sessions` row; `pk` is the internal key that stays put when the id is rotated."""

    pk: int
    id_hash: str
    device_id: str
    created_at: int
    last_seen_at: int
    expires_at: int


def _session_row(row: Row) -> SessionRow:
    return SessionRow(
        pk=row[0], id_hash=row[1], device_id=row[2], created_at=row[3], last_seen_at=row[4], expires_at=row[5]
    )


class SessionWithAddresses(msgspec.Struct, frozen=True):
    row: SessionRow
    addresses: tuple[str, ...]


class SessionRows(Repository):
    """One session per device; `id_hash` is the SHA-256 of the session id. A session row goes with its
    device (deleting the device deletes the session and its addresses)."""

    __slots__ = ()

    async def find(self, id_hash: str) -> SessionRow | None:
        row = await self._fetch_one(f"SELECT {', '.join(_COLUMNS)} FROM sessions WHERE id_hash = ?", (id_hash,))
        return None if row is None else _session_row(row)

    async def find_with_addresses(self, id_hash: str) -> SessionWithAddresses | None:
        """The session and its addresses (oldest verified first) in one indexed lookup: every signed-in
        request takes this path."""
        columns = ", ".join(f"s.{name}" for name in _COLUMNS)
        rows = await self._lookup_all(
            f"SELECT {columns}, a.address FROM sessions s LEFT JOIN session_addresses a ON a.session_id = s.id"
            " WHERE s.id_hash = ? ORDER BY a.verified_at, a.address",
            (id_hash,),
        )
        if not rows:
            return None
        return SessionWithAddresses(_session_row(rows[0]), tuple(r[6] for r in rows if r[6] is not None))

    async def addresses(self, pk: int) -> tuple[str, ...]:
        rows = await self._fetch_all(
            "SELECT address FROM session_addresses WHERE session_id = ? ORDER BY verified_at, address", (pk,)
        )
        return tuple(r[0] for r in rows)

    async def add(self, *, id_hash: str, device_id: str, now: int, expires_at: int) -> SessionRow:
        """A new session for a device that exists already."""
        row = await self._write_returning(
            "INSERT INTO sessions (id_hash, device_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)"
            " RETURNING id",
            (id_hash, device_id, now, now, expires_at),
        )
        assert row is not None  # an INSERT … RETURNING returns its row
        return SessionRow(
            pk=int(row[0]), id_hash=id_hash, device_id=device_id, created_at=now, last_seen_at=now,
            expires_at=expires_at,
        )

    async def rotate(self, row: SessionRow, new_hash: str, *, now: int) -> SessionRow:
        """Give the session a new id (the old one stops working); creation and absolute expiry stay."""
        await self._execute("UPDATE sessions SET id_hash = ?, last_seen_at = ? WHERE id = ?", (new_hash, now, row.pk))
        return msgspec.structs.replace(row, id_hash=new_hash, last_seen_at=now)

    async def touch(self, row: SessionRow, *, now: int) -> None:
        await self._execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", (now, row.pk))

    async def add_address(self, row: SessionRow, address: str, *, now: int) -> None:
        """Hold `address` on the session (verified now; again if it was held)."""
        await self._execute(
            "INSERT INTO session_addresses (session_id, address, verified_at) VALUES (?, ?, ?)"
            " ON CONFLICT (session_id, address) DO UPDATE SET verified_at = excluded.verified_at",
            (row.pk, address, now),
        )

    async def remove_address(self, row: SessionRow, address: str) -> bool:
        """Drop one address; False when the session did not hold it."""
        changed = await self._execute(
            "DELETE FROM session_addresses WHERE session_id = ? AND address = ?", (row.pk, address)
        )
        return changed > 0

    async def devices_holding(self, addresses: Sequence[str], *, now: int, seen_after: int) -> list[str]:
        """The devices with a live session (not expired, seen after `seen_after`) holding any of `addresses`."""
        if not addresses:
            return []
        rows = await self._fetch_all(
            "SELECT DISTINCT s.device_id FROM sessions s JOIN session_addresses a ON a.session_id = s.id"
            f" WHERE a.address IN ({', '.join('?' * len(addresses))}) AND s.expires_at > ? AND s.last_seen_at > ?",
            (*[a.lower() for a in addresses], now, seen_after),
        )
        return [str(r[0]) for r in rows]
