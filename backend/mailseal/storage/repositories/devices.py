"""Devices: one browser or installed app that signed in (the identity room's `devices`).

Other rooms' rows reference a device and go with it (`ON DELETE CASCADE`): deleting a device ends its
session, the session's addresses and its push subscription.
"""

from __future__ import annotations

import msgspec

from mailseal.storage.repositories.base import Repository


class DeviceRow(msgspec.Struct, frozen=True, kw_only=True):
    """One of a person's live devices; `current` marks the one whose session asked."""

    id: str
    name: str
    created_at: int
    last_seen_at: int
    current: bool


# The person: every live session whose addresses are all among the asking session's. Sharing one
# address (a team mailbox) does not make two people one: Carol, who verified team@, must not see or
# sign out Bob's device that also holds bob@.
_PERSON_DEVICES = (
    "SELECT d.id, d.name, d.created_at, d.last_seen_at, CASE WHEN s.id_hash = ? THEN 1 ELSE 0 END AS current"
    " FROM devices d JOIN sessions s ON s.device_id = d.id"
    " WHERE s.expires_at > ? AND s.last_seen_at > ?"
    " AND EXISTS (SELECT 1 FROM session_addresses a WHERE a.session_id = s.id)"
    " AND NOT EXISTS (SELECT 1 FROM session_addresses a WHERE a.session_id = s.id AND a.address NOT IN ("
    "SELECT b.address FROM session_addresses b JOIN sessions m ON m.id = b.session_id WHERE m.id_hash = ?))"
    " ORDER BY current DESC, d.last_seen_at DESC, d.id"
)

class DeviceRows(Repository):
    __slots__ = ()

    async def add(self, device_id: str, *, name: str, now: int) -> None:
        await self._execute(
            "INSERT INTO devices (id, name, created_at, last_seen_at) VALUES (?, ?, ?, ?)", (device_id, name, now, now)
        )

    async def touch(self, device_id: str, *, now: int) -> None:
        await self._execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", (now, device_id))

    async def delete(self, device_id: str) -> None:
        """End a device: its session, the session's addresses, and other rooms' rows go with it."""
        await self._execute("DELETE FROM devices WHERE id = ?", (device_id,))

    async def delete_expired(self, *, now: int, seen_before: int) -> None:
        """Delete devices whose session expired or was last seen at `seen_before` or earlier, and devices
        without a session."""
        await self._execute(
            "DELETE FROM devices WHERE id IN "
            "(SELECT device_id FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?) "
            "OR id NOT IN (SELECT device_id FROM sessions)",
            (now, seen_before),
        )

    async def of_person(self, id_hash: str, *, now: int, seen_after: int) -> list[DeviceRow]:
        """The live devices of the person signed in as `id_hash` (every live session whose addresses are
        all among its own), the current one first, then the most recently seen."""
        rows = await self._fetch_all(_PERSON_DEVICES, (id_hash, now, seen_after, id_hash))
        return [
            DeviceRow(id=r[0], name=r[1], created_at=r[2], last_seen_at=r[3], current=bool(r[4])) for r in rows
        ]
