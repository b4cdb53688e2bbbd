"""Seal records: what the key service knows of each sealed message, and its wrapped content key."""

from __future__ import annotations

import json
from collections.abc import Sequence

import msgspec

from mailseal.storage.engine import Row
from mailseal.storage.repositories.base import Repository, marks


class SealRecord(msgspec.Struct, frozen=True):
    """What the key service knows about a sealed message (no plaintext, no key)."""

    message_id: str
    key_id: str
    issuer: str
    sender: str
    recipients: tuple[str, ...]
    template: str
    rights: tuple[str, ...]
    created_at: int
    expires_at: int | None
    revoked_at: int | None
    destroyed: bool
    header_fingerprint: bytes


class StoredSeal(msgspec.Struct, frozen=True):
    """A seal record and its wrapped content key (None once destroyed), read together."""

    record: SealRecord
    wrapped_key: bytes | None

    def __repr__(self) -> str:
        return f"StoredSeal(record={self.record!r}, wrapped_key=<hidden>)"


class NewSeal(msgspec.Struct, frozen=True):
    """The facts of a new seal, as written in its header."""

    message_id: str
    issuer: str
    sender: str
    recipients: tuple[str, ...]
    template: str
    rights: tuple[str, ...]
    created_at: int
    expires_at: int | None
    header_fingerprint: bytes


class LiveWrappedKey(msgspec.Struct, frozen=True):
    """A content key that still exists, as wrapped under the organisation key `key_id`."""

    message_id: str
    key_id: str
    wrapped_key: bytes

    def __repr__(self) -> str:
        return f"LiveWrappedKey(message_id={self.message_id!r}, key_id={self.key_id!r}, wrapped_key=<hidden>)"


def _record(row: Row) -> SealRecord:
    return SealRecord(
        message_id=row["message_id"],
        key_id=row["key_id"],
        issuer=row["issuer"],
        sender=row["sender"],
        recipients=tuple(json.loads(row["recipients"])),
        template=row["template"],
        rights=tuple(json.loads(row["rights"])),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        destroyed=row["wrapped_key"] is None,
        header_fingerprint=bytes(row["header_fingerprint"]),
    )


_COLUMNS = (
    "message_id, key_id, wrapped_key, issuer, sender, recipients, template, rights, created_at, expires_at,"
    " revoked_at, header_fingerprint"
)


class Seals(Repository):
    """The `seals` table: one row per sealed message; the wrapped key is NULL once destroyed."""

    __slots__ = ()

    async def add(self, seal: NewSeal, *, key_id: str, wrapped_key: bytes) -> None:
        """Record a new seal; sender and recipients are stored lower-case."""
        await self._execute(
            "INSERT INTO seals (message_id, key_id, wrapped_key, issuer, sender, recipients, template, rights,"
            " created_at, expires_at, header_fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seal.message_id,
                key_id,
                wrapped_key,
                seal.issuer,
                seal.sender.lower(),
                json.dumps([r.lower() for r in seal.recipients]),
                seal.template,
                json.dumps(list(seal.rights)),
                seal.created_at,
                seal.expires_at,
                seal.header_fingerprint,
            ),
        )

    async def get(self, message_id: str) -> StoredSeal | None:
        """The record and its wrapped key in one indexed lookup (every open takes this path), or None."""
        row = await self._lookup_one(f"SELECT {_COLUMNS} FROM seals WHERE message_id = ?", (message_id,))
        if row is None:
            return None
        wrapped = row["wrapped_key"]
        return StoredSeal(_record(row), None if wrapped is None else bytes(wrapped))

    async def records(self, message_ids: Sequence[str]) -> dict[str, SealRecord]:
        """The records of several messages in one indexed read (a page of a listing), by message id."""
        wanted = list(dict.fromkeys(message_ids))
        if not wanted:
            return {}
        rows = await self._lookup_all(
            f"SELECT {_COLUMNS} FROM seals WHERE message_id IN ({marks(len(wanted))})", wanted
        )
        return {row["message_id"]: _record(row) for row in rows}

    async def mark_revoked(self, message_id: str, *, at: int) -> bool:
        """Set the revocation time unless already set; False when no such seal exists."""
        changed = await self._execute(
            "UPDATE seals SET revoked_at = COALESCE(revoked_at, ?) WHERE message_id = ?", (at, message_id)
        )
        return changed > 0

    async def destroy_key(self, message_id: str, *, at: int) -> bool:
        """Drop the wrapped content key; True when this call destroyed it (False: gone already)."""
        changed = await self._execute(
            "UPDATE seals SET wrapped_key = NULL, destroyed_at = ? WHERE message_id = ? AND wrapped_key IS NOT NULL",
            (at, message_id),
        )
        return changed > 0

    async def due_for_expiry(self, now: int) -> list[str]:
        """Ids of messages past their expiry whose key still exists."""
        rows = await self._fetch_all(
            "SELECT message_id FROM seals WHERE expires_at IS NOT NULL AND expires_at <= ?"
            " AND wrapped_key IS NOT NULL",
            (now,),
        )
        return [row[0] for row in rows]

    async def newest(self, *, limit: int, sender: str | None = None) -> list[SealRecord]:
        """The newest seals, of one sender (lower-cased here) or of all."""
        if sender:
            rows = await self._fetch_all(
                f"SELECT {_COLUMNS} FROM seals WHERE sender = ? ORDER BY created_at DESC LIMIT ?",
                (sender.lower(), limit),
            )
        else:
            rows = await self._fetch_all(f"SELECT {_COLUMNS} FROM seals ORDER BY created_at DESC LIMIT ?", (limit,))
        return [_record(row) for row in rows]

    async def sent_by(
        self, senders: Sequence[str], *, before: tuple[int, str] | None, limit: int
    ) -> list[SealRecord]:
        """A page of the seals whose sender is one of `senders`, newest first (index `seals_by_sender`);
        `before` is the last one of the page before (its creation time and id)."""
        if not senders:
            return []
        lowered = list(dict.fromkeys(s.lower() for s in senders))
        after_cursor: str = ""
        params: tuple[int | str, ...] = ()
        if before is not None:
            after_cursor = " AND (created_at < ? OR (created_at = ? AND message_id < ?))"
            params = (before[0], before[0], before[1])
        rows = await self._fetch_all(
            f"SELECT {_COLUMNS} FROM seals WHERE sender IN ({marks(len(lowered))}){after_cursor}"
            " ORDER BY created_at DESC, message_id DESC LIMIT ?",
            (*lowered, *params, limit),
        )
        return [_record(row) for row in rows]

    async def revoked(self) -> list[tuple[str, int]]:
        """Every revoked message as (id, revoked_at), oldest first: the list a restore re-applies, since a
        backup taken before a revocation still holds that message's content key."""
        rows = await self._fetch_all(
            "SELECT message_id, revoked_at FROM seals WHERE revoked_at IS NOT NULL ORDER BY revoked_at, message_id"
        )
        return [(str(row[0]), int(row[1])) for row in rows]

    async def live_wrapped_keys(self) -> list[LiveWrappedKey]:
        """Every content key not yet destroyed, with the key id it is wrapped under (a move between key
        rings re-wraps them all, inside one transaction)."""
        rows = await self._fetch_all(
            "SELECT message_id, key_id, wrapped_key FROM seals WHERE wrapped_key IS NOT NULL ORDER BY message_id"
        )
        return [LiveWrappedKey(row[0], row[1], bytes(row[2])) for row in rows]

    async def rewrap(self, message_id: str, *, from_key_id: str, key_id: str, wrapped_key: bytes) -> bool:
        """Replace a content key wrapped under `from_key_id` by the same key wrapped under `key_id`; False
        when the key was destroyed (a revocation, an expiry) or re-wrapped by someone else since it was read,
        so a destroyed key never comes back."""
        changed = await self._execute(
            "UPDATE seals SET key_id = ?, wrapped_key = ? WHERE message_id = ? AND key_id = ?"
            " AND wrapped_key IS NOT NULL",
            (key_id, wrapped_key, message_id, from_key_id),
        )
        return changed > 0
