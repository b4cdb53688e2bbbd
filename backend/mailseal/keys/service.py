"""The key service: register a sealed message's content key, decide, unwrap, revoke, expire, audit."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence

import aiosqlite
import msgspec

from mailseal.errors import MailsealError, MessageExpired, NotFound, UnknownKey
from mailseal.keys.policy import Identity, PolicyFacts, decide
from mailseal.keys.ring import KeyRing
from mailseal.storage import Database

# How old a row passed to `unwrap` may be before it is read again: an open reads and decides at once.
MAX_LOADED_AGE = 1.0


class ContentKey(msgspec.Struct, frozen=True):
    """An unwrapped content key, handed out only after the policy decision. Never stored or logged."""

    message_id: str
    key: bytes
    opened_as: str = ""

    def __repr__(self) -> str:
        return f"ContentKey(message_id={self.message_id!r}, key=<hidden>)"


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

    def facts(self) -> PolicyFacts:
        return PolicyFacts(
            sender=self.sender,
            recipients=self.recipients,
            expires_at=self.expires_at,
            revoked_at=self.revoked_at,
            destroyed=self.destroyed,
        )


class LoadedSeal(msgspec.Struct, frozen=True):
    """A seal record read together with its wrapped content key (None once destroyed), so that an open
    reads the row once. The wrapped key is useless without the organisation key; still never shown."""

    record: SealRecord
    wrapped_key: bytes | None
    loaded_at: float

    def __repr__(self) -> str:
        return f"LoadedSeal(record={self.record!r}, wrapped_key=<hidden>)"


class AuditEntry(msgspec.Struct, frozen=True):
    id: int
    at: int
    action: str
    message_id: str | None
    actor: str
    outcome: str
    detail: str


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


AUDIT_INSERT = "INSERT INTO audit (at, action, message_id, actor, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)"


def audit_row(
    *, at: float, action: str, message_id: str | None, actor: str, outcome: str = "ok", detail: str = ""
) -> tuple[int, str, str | None, str, str, str]:
    return (int(at), action, message_id, actor, outcome, detail[:500])


async def write_audit(
    conn: aiosqlite.Connection,
    *,
    at: float,
    action: str,
    message_id: str | None,
    actor: str,
    outcome: str = "ok",
    detail: str = "",
) -> None:
    await conn.execute(
        AUDIT_INSERT,
        audit_row(at=at, action=action, message_id=message_id, actor=actor, outcome=outcome, detail=detail),
    )


def _record(row: aiosqlite.Row) -> SealRecord:
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
        header_fingerprint=row["header_fingerprint"],
    )


class KeyService:
    """The only place a content key is wrapped, unwrapped or destroyed."""

    def __init__(self, db: Database, ring: KeyRing, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.ring = ring
        self.clock = clock

    @property
    def current_key_id(self) -> str:
        return self.ring.current_id()

    async def register(
        self, conn: aiosqlite.Connection, seal: NewSeal, content_key: bytes, *, key_id: str, actor: str
    ) -> None:
        """Store the wrapped content key and the seal record, inside the caller's write transaction."""
        wrapped = self.ring.wrap(content_key, message_id=seal.message_id, key_id=key_id)
        await conn.execute(
            "INSERT INTO seals (message_id, key_id, wrapped_key, issuer, sender, recipients, template, rights,"
            " created_at, expires_at, header_fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seal.message_id,
                key_id,
                wrapped,
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
        await write_audit(
            conn,
            at=self.clock(),
            action="seal",
            message_id=seal.message_id,
            actor=actor,
            detail=f"template={seal.template} recipients={len(seal.recipients)}",
        )

    async def record(self, message_id: str) -> SealRecord:
        return (await self.load(message_id)).record

    async def load(self, message_id: str) -> LoadedSeal:
        """The seal record and its wrapped key in one read; pass it to `unwrap` to avoid reading again."""
        row = self.db.lookup_one("SELECT * FROM seals WHERE message_id = ?", (message_id,))
        if row is None:
            raise UnknownKey()
        return LoadedSeal(_record(row), row["wrapped_key"], self.clock())

    async def check(self, message_id: str, identity: Identity) -> SealRecord:
        """The policy decision without unwrapping (for listings); refusals are not audited here."""
        record = await self.record(message_id)
        decide(record.facts(), identity, self.clock())
        return record

    async def unwrap(
        self, message_id: str, identity: Identity, *, purpose: str = "open", loaded: LoadedSeal | None = None
    ) -> ContentKey:
        """Decide, then unwrap; every outcome is audited. Expiry found here destroys the key.

        `loaded` is the row as the caller just read it with `load`: the decision and the key then come
        from that one read. Without it, or if it is older than `MAX_LOADED_AGE` seconds (a revocation
        may have happened since), the row is read here."""
        if loaded is not None and loaded.record.message_id != message_id:
            raise ValueError("the loaded seal belongs to another message")
        now = self.clock()
        try:
            if loaded is None or not 0 <= now - loaded.loaded_at <= MAX_LOADED_AGE:
                loaded = await self.load(message_id)
            record = loaded.record
            opened_as = decide(record.facts(), identity, now)
        except MailsealError as refusal:
            async with self.db.write() as conn:
                await write_audit(
                    conn, at=now, action="refuse", message_id=message_id,
                    actor=identity.audit_name, outcome=refusal.code, detail=purpose,
                )
                if isinstance(refusal, MessageExpired):
                    await self._destroy(conn, message_id, action="expire", actor="system", at=now)
            raise
        if loaded.wrapped_key is None:
            raise MessageExpired()
        key = self.ring.unwrap(loaded.wrapped_key, message_id=message_id, key_id=record.key_id)
        # The audit row is durable before the key leaves this method.
        await self.db.write_one(
            AUDIT_INSERT,
            audit_row(
                at=now, action=purpose, message_id=message_id, actor=identity.audit_name, detail=f"as={opened_as}"
            ),
        )
        return ContentKey(message_id=message_id, key=key, opened_as=opened_as)

    async def revoke(self, message_id: str, *, actor: str) -> SealRecord:
        """Revoke a message: its content key is destroyed, so every copy of the envelope is dead."""
        now = self.clock()
        async with self.db.write() as conn:
            async with conn.execute("SELECT revoked_at FROM seals WHERE message_id = ?", (message_id,)) as cur:
                row = await cur.fetchone()
            if row is None:
                raise NotFound("No message with that id was sealed here")
            if row["revoked_at"] is None:
                await conn.execute("UPDATE seals SET revoked_at = ? WHERE message_id = ?", (int(now), message_id))
            await self._destroy(conn, message_id, action="revoke", actor=actor, at=now)
        await self.db.checkpoint()
        return await self.record(message_id)

    async def expire_due(self) -> list[str]:
        """Destroy the content keys of every message past its expiry; returns their ids."""
        now = self.clock()
        rows = await self.db.fetch_all(
            "SELECT message_id FROM seals WHERE expires_at IS NOT NULL AND expires_at <= ?"
            " AND wrapped_key IS NOT NULL",
            (int(now),),
        )
        ids = [row["message_id"] for row in rows]
        if ids:
            async with self.db.write() as conn:
                for message_id in ids:
                    await self._destroy(conn, message_id, action="expire", actor="system", at=now)
            await self.db.checkpoint()
        return ids

    async def _destroy(
        self, conn: aiosqlite.Connection, message_id: str, *, action: str, actor: str, at: float
    ) -> None:
        cursor = await conn.execute(
            "UPDATE seals SET wrapped_key = NULL, destroyed_at = ? WHERE message_id = ? AND wrapped_key IS NOT NULL",
            (int(at), message_id),
        )
        if cursor.rowcount:
            await write_audit(conn, at=at, action=action, message_id=message_id, actor=actor,
                              detail="content key destroyed")

    async def audit(self, message_id: str | None = None, *, limit: int = 1000) -> list[AuditEntry]:
        if message_id is None:
            rows = await self.db.fetch_all("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = await self.db.fetch_all(
                "SELECT * FROM audit WHERE message_id = ? ORDER BY id DESC LIMIT ?", (message_id, limit)
            )
        return [
            AuditEntry(id=r["id"], at=r["at"], action=r["action"], message_id=r["message_id"],
                       actor=r["actor"], outcome=r["outcome"], detail=r["detail"])
            for r in reversed(rows)
        ]

    async def list_records(self, *, limit: int = 200, sender: str | None = None) -> list[SealRecord]:
        if sender:
            rows = await self.db.fetch_all(
                "SELECT * FROM seals WHERE sender = ? ORDER BY created_at DESC LIMIT ?", (sender.lower(), limit)
            )
        else:
            rows = await self.db.fetch_all("SELECT * FROM seals ORDER BY created_at DESC LIMIT ?", (limit,))
        return [_record(r) for r in rows]

    async def rewrap_all(self, target: KeyRing, *, actor: str) -> int:
        """Re-wrap every live content key under `target`'s current key, in one transaction (a move between
        key stores). Keys already under `target` stay; destroyed keys stay destroyed. Returns how many moved."""
        new_id, kept = target.current_id(), set(target.ids)
        moved = 0
        async with self.db.write() as conn:
            async with conn.execute(
                "SELECT message_id, key_id, wrapped_key FROM seals WHERE wrapped_key IS NOT NULL"
            ) as cursor:
                rows = await cursor.fetchall()
            for row in rows:
                if row["key_id"] in kept:
                    continue
                message_id = row["message_id"]
                key = self.ring.unwrap(bytes(row["wrapped_key"]), message_id=message_id, key_id=row["key_id"])
                wrapped = target.wrap(key, message_id=message_id, key_id=new_id)
                await conn.execute(
                    "UPDATE seals SET key_id = ?, wrapped_key = ? WHERE message_id = ?", (new_id, wrapped, message_id)
                )
                moved += 1
            await write_audit(conn, at=self.clock(), action="rekey", message_id=None, actor=actor,
                              detail=f"{moved} content keys from {self.ring.kind} to {target.kind} {new_id}")
        await self.db.checkpoint()
        return moved


def normalise_recipients(recipients: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for r in recipients:
        seen.setdefault(r.strip().lower(), None)
    return tuple(seen)
