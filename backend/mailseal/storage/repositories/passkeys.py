"""Passkeys, the addresses each signs in to, the sessions each started, and WebAuthn challenges."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from mailseal.storage.engine import Row
from mailseal.storage.repositories.base import Repository, marks

_COLUMNS = (
    "id, user_handle, public_key, sign_count, backup_eligible, backed_up, name, device_id, created_at, last_used_at"
)


class PasskeyRow(msgspec.Struct, frozen=True, kw_only=True):
    """A stored passkey: its credential id (base64url), COSE public key, counter and backup flags."""

    id: str
    user_handle: bytes
    public_key: bytes
    sign_count: int
    backup_eligible: bool
    backed_up: bool
    name: str
    device_id: str
    created_at: int
    last_used_at: int | None = None
    addresses: tuple[str, ...] = ()


class ChallengeRow(msgspec.Struct, frozen=True, kw_only=True):
    purpose: str
    session_hash: str
    user_handle: bytes
    expires_at: int


def _passkey(row: Row, addresses: tuple[str, ...]) -> PasskeyRow:
    return PasskeyRow(
        id=row[0], user_handle=bytes(row[1]), public_key=bytes(row[2]), sign_count=row[3],
        backup_eligible=bool(row[4]), backed_up=bool(row[5]), name=row[6], device_id=row[7],
        created_at=row[8], last_used_at=row[9], addresses=addresses,
    )


class PasskeyRows(Repository):
    """The `passkeys`, `passkey_addresses`, `passkey_sessions` and `webauthn_challenges` tables."""

    __slots__ = ()

    async def add(self, passkey: PasskeyRow) -> None:
        """A new passkey with its addresses (`passkey.addresses`, at least one)."""
        async with self._atomic() as conn:
            await conn.execute(
                f"INSERT INTO passkeys ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (passkey.id, passkey.user_handle, passkey.public_key, passkey.sign_count,
                 int(passkey.backup_eligible), int(passkey.backed_up), passkey.name, passkey.device_id,
                 passkey.created_at, passkey.last_used_at),
            )
            for address in sorted(set(passkey.addresses)):
                await conn.execute(
                    "INSERT INTO passkey_addresses (passkey_id, address) VALUES (?, ?)", (passkey.id, address)
                )

    async def find(self, passkey_id: str) -> PasskeyRow | None:
        row = await self._fetch_one(f"SELECT {_COLUMNS} FROM passkeys WHERE id = ?", (passkey_id,))
        if row is None:
            return None
        return _passkey(row, await self._addresses(passkey_id))

    async def of_person(self, addresses: Sequence[str]) -> list[PasskeyRow]:
        """The passkeys whose addresses are all among `addresses` (the person signed in with them), newest
        first: a passkey bound to an address this session does not hold is somebody else's too."""
        if not addresses:
            return []
        rows = await self._fetch_all(
            f"SELECT {_COLUMNS} FROM passkeys p WHERE NOT EXISTS (SELECT 1 FROM passkey_addresses a"
            f" WHERE a.passkey_id = p.id AND a.address NOT IN ({marks(len(addresses))}))"
            " ORDER BY created_at DESC, id",
            tuple(addresses),
        )
        return [_passkey(row, await self._addresses(row[0])) for row in rows]

    async def record_use(self, passkey_id: str, *, seen_count: int, sign_count: int, backed_up: bool,
                         now: int) -> bool:
        """Store the new counter and backup state, only if the counter is still `seen_count` (so two
        sign-ins racing with one counter value cannot both pass); False when it had moved."""
        changed = await self._execute(
            "UPDATE passkeys SET sign_count = ?, backed_up = ?, last_used_at = ? WHERE id = ? AND sign_count = ?",
            (sign_count, int(backed_up), now, passkey_id, seen_count),
        )
        return changed > 0

    async def delete(self, passkey_id: str) -> list[str]:
        """Remove the passkey and end the sessions it started (their devices go, taking the sessions); the
        ids of those devices (for the other rooms' rows, push subscriptions)."""
        async with self._atomic() as conn:
            rows = await conn.fetch_all(
                "SELECT s.device_id FROM passkey_sessions p JOIN sessions s ON s.id = p.session_id"
                " WHERE p.passkey_id = ?",
                (passkey_id,),
            )
            devices = [str(r[0]) for r in rows]
            for device_id in devices:
                await conn.execute("DELETE FROM devices WHERE id = ?", (device_id,))
            await conn.execute("DELETE FROM passkey_sessions WHERE passkey_id = ?", (passkey_id,))
            await conn.execute("DELETE FROM passkeys WHERE id = ?", (passkey_id,))
        return devices

    async def remember_session(self, session_pk: int, passkey_id: str) -> None:
        """The session was started (or joined) by this passkey: removing the passkey ends it."""
        await self._execute(
            "INSERT INTO passkey_sessions (session_id, passkey_id) VALUES (?, ?)"
            " ON CONFLICT (session_id) DO UPDATE SET passkey_id = excluded.passkey_id",
            (session_pk, passkey_id),
        )

    async def started_session(self, session_pk: int) -> str | None:
        row = await self._fetch_one("SELECT passkey_id FROM passkey_sessions WHERE session_id = ?", (session_pk,))
        return None if row is None else str(row[0])

    # Challenges

    async def add_challenge(self, challenge_hash: str, *, purpose: str, session_hash: str, user_handle: bytes,
                            expires_at: int) -> None:
        await self._execute(
            "INSERT INTO webauthn_challenges (challenge_hash, purpose, session_hash, user_handle, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (challenge_hash, purpose, session_hash, user_handle, expires_at),
        )

    async def take_challenge(self, challenge_hash: str) -> ChallengeRow | None:
        """The challenge, deleted in the same statement: whoever takes it first has it, once."""
        row = await self._write_returning(
            "DELETE FROM webauthn_challenges WHERE challenge_hash = ?"
            " RETURNING purpose, session_hash, user_handle, expires_at",
            (challenge_hash,),
        )
        if row is None:
            return None
        return ChallengeRow(purpose=row[0], session_hash=row[1], user_handle=bytes(row[2]), expires_at=row[3])

    async def forget_expired_challenges(self, *, now: int) -> None:
        await self._execute("DELETE FROM webauthn_challenges WHERE expires_at <= ?", (now,))

    async def live_challenges(self, *, now: int) -> int:
        row = await self._fetch_one("SELECT COUNT(*) FROM webauthn_challenges WHERE expires_at > ?", (now,))
        return 0 if row is None else int(row[0])

    async def _addresses(self, passkey_id: str) -> tuple[str, ...]:
        rows = await self._fetch_all(
            "SELECT address FROM passkey_addresses WHERE passkey_id = ? ORDER BY address", (passkey_id,)
        )
        return tuple(str(r[0]) for r in rows)
