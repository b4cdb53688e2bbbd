"""Pending passcodes (the identity room's `passcodes`): only HMACs, never a code or an address."""

from __future__ import annotations

import msgspec

from mailseal.storage.repositories.base import Repository


class PendingCode(msgspec.Struct, frozen=True, kw_only=True):
    """A passcode waiting to be used. `mac` names it (unique); `version` names its shape (how many digits)."""

    id: int
    version: int
    reference: str
    mac: bytes
    expires_at: int


class PasscodeRows(Repository):
    __slots__ = ()

    async def add(
        self, *, address_key: str, version: int, reference: str, mac: bytes, created_at: int, expires_at: int,
    ) -> None:
        await self._execute(
            "INSERT INTO passcodes (address_key, version, reference, mac, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (address_key, version, reference, mac, created_at, expires_at),
        )

    async def pending(self, address_key: str) -> list[PendingCode]:
        """Every code of the address still on record, expired ones included, oldest first."""
        rows = await self._fetch_all(
            "SELECT id, version, reference, mac, expires_at FROM passcodes WHERE address_key = ? ORDER BY id",
            (address_key,),
        )
        return [
            PendingCode(id=r[0], version=r[1], reference=r[2], mac=bytes(r[3]), expires_at=r[4]) for r in rows
        ]

    async def live_count(self, address_key: str, *, now: int, version: int) -> int:
        """The codes of this shape (`version`) that have not expired and were not used."""
        row = await self._fetch_one(
            "SELECT COUNT(*) FROM passcodes WHERE address_key = ? AND expires_at > ? AND version = ?",
            (address_key, now, version),
        )
        return int(row[0]) if row is not None else 0

    async def use(self, code_id: int) -> None:
        """A code that signed someone in is spent."""
        await self._execute("DELETE FROM passcodes WHERE id = ?", (code_id,))

    async def forget_expired(self, *, before: int) -> None:
        """Drop codes that expired at `before` or earlier."""
        await self._execute("DELETE FROM passcodes WHERE expires_at <= ?", (before,))
