"""The key service: register a sealed message's content key, decide, unwrap, revoke, expire, audit."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import msgspec

from mailseal import metrics
from mailseal.errors import MailsealError, MessageExpired, NotFound, UnknownKey
from mailseal.keys.audit_retention import AuditRetention
from mailseal.keys.policy import Identity, decide, party_address
from mailseal.keys.ring import KeyRing
from mailseal.storage import AuditEntry, NewSeal, SealRecord, Store, Transaction

__all__ = ["AuditEntry", "ContentKey", "KeyService", "LoadedSeal", "NewSeal", "SealRecord", "normalise_recipients"]

# How old a row passed to `unwrap` may be before it is read again: an open reads and decides at once.
MAX_LOADED_AGE = 1.0


class ContentKey(msgspec.Struct, frozen=True):
    """An unwrapped content key, handed out only after the policy decision. Never stored or logged."""

    message_id: str
    key: bytes
    opened_as: str = ""

    def __repr__(self) -> str:
        return f"ContentKey(message_id={self.message_id!r}, key=<hidden>)"


class LoadedSeal(msgspec.Struct, frozen=True):
    """A seal record read together with its wrapped content key (None once destroyed), so that an open
    reads the row once. The wrapped key is useless without the organisation key; still never shown."""

    record: SealRecord
    wrapped_key: bytes | None
    loaded_at: float

    def __repr__(self) -> str:
        return f"LoadedSeal(record={self.record!r}, wrapped_key=<hidden>)"


class KeyService:
    """The only place a content key is wrapped, unwrapped or destroyed."""

    def __init__(
        self, store: Store, ring: KeyRing, *, clock: Callable[[], float] = time.time, audit_retention_days: int = 0
    ) -> None:
        self.store = store
        self.ring = ring
        self.clock = clock
        self.retention = AuditRetention(store, days=audit_retention_days, clock=lambda: self.clock())

    @property
    def current_key_id(self) -> str:
        return self.ring.current_id()

    async def register(
        self, tx: Transaction, seal: NewSeal, content_key: bytes, *, key_id: str, actor: str
    ) -> None:
        """Store the wrapped content key and the seal record, inside the caller's unit of work."""
        wrapped = self.ring.wrap(content_key, message_id=seal.message_id, key_id=key_id)
        await tx.seals.add(seal, key_id=key_id, wrapped_key=wrapped)
        await tx.audit.add(
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
        found = await self.store.seals.get(message_id)
        if found is None:
            raise UnknownKey()
        return LoadedSeal(found.record, found.wrapped_key, self.clock())

    async def check(self, message_id: str, identity: Identity) -> SealRecord:
        """The policy decision without unwrapping (for listings); refusals are not audited here."""
        record = await self.record(message_id)
        decide(record, identity, self.clock())
        return record

    async def check_listed(
        self, message_ids: Sequence[str], identity: Identity
    ) -> dict[str, tuple[SealRecord, MailsealError | None]]:
        """The policy decision for each message of a listing, from one read: its record and the refusal, if
        any (not audited here, as in `check`). A message with no seal here is left out."""
        now = self.clock()
        decided: dict[str, tuple[SealRecord, MailsealError | None]] = {}
        for message_id, record in (await self.store.seals.records(message_ids)).items():
            try:
                decide(record, identity, now)
                decided[message_id] = (record, None)
            except MailsealError as refusal:
                decided[message_id] = (record, refusal)
        return decided

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
        party: str | None = None
        try:
            if loaded is None or not 0 <= now - loaded.loaded_at <= MAX_LOADED_AGE:
                loaded = await self.load(message_id)
            record = loaded.record
            party = party_address(record, identity)
            opened_as = decide(record, identity, now)
        except MailsealError as refusal:
            async with self.store.transaction() as tx:
                await tx.audit.add(
                    at=now, action="refuse", message_id=message_id,
                    actor=identity.audit_name, outcome=refusal.code, detail=purpose,
                    address=party, device_id=identity.device_id,
                )
                if isinstance(refusal, MessageExpired):
                    await self._destroy(tx, message_id, action="expire", actor="system", at=now)
            metrics.refused(refusal.code)
            raise
        if loaded.wrapped_key is None:
            raise MessageExpired()
        key = self.ring.unwrap(loaded.wrapped_key, message_id=message_id, key_id=record.key_id)
        # The audit row is durable before the key leaves this method.
        await self.store.audit.add(
            at=now, action=purpose, message_id=message_id, actor=identity.audit_name, detail=f"as={opened_as}",
            address=opened_as, device_id=identity.device_id,
        )
        metrics.opened(purpose)
        return ContentKey(message_id=message_id, key=key, opened_as=opened_as)

    async def revoke(self, message_id: str, *, actor: str) -> SealRecord:
        """Revoke a message: its content key is destroyed, so every copy of the envelope is dead."""
        now = self.clock()
        async with self.store.transaction() as tx:
            if not await tx.seals.mark_revoked(message_id, at=int(now)):
                raise NotFound("No message with that id was sealed here")
            await self._destroy(tx, message_id, action="revoke", actor=actor, at=now)
        await self.store.after_key_destroyed()
        return await self.record(message_id)

    async def expire_due(self) -> list[str]:
        """Destroy the content keys of every message past its expiry; returns their ids."""
        now = self.clock()
        ids = await self.store.seals.due_for_expiry(int(now))
        if ids:
            async with self.store.transaction() as tx:
                for message_id in ids:
                    await self._destroy(tx, message_id, action="expire", actor="system", at=now)
            await self.store.after_key_destroyed()
        return ids

    async def _destroy(self, tx: Transaction, message_id: str, *, action: str, actor: str, at: float) -> None:
        if await tx.seals.destroy_key(message_id, at=int(at)):
            await tx.audit.add(at=at, action=action, message_id=message_id, actor=actor,
                               detail="content key destroyed")
            await tx.envelopes.settle_unread(message_id, at=int(at))  # nobody is left to read it

    async def drop_expired_audit(self) -> int:
        """Delete audit rows past `audit_retention_days` (never the kinds kept forever), a bounded amount."""
        return await self.retention.sweep()

    async def audit(self, message_id: str | None = None, *, limit: int = 1000) -> list[AuditEntry]:
        return await self.store.audit.entries(message_id, limit=limit)

    async def list_records(self, *, limit: int = 200, sender: str | None = None) -> list[SealRecord]:
        return await self.store.seals.newest(limit=limit, sender=sender)

    async def rewrap_all(self, target: KeyRing, *, actor: str) -> int:
        """Re-wrap every live content key under `target`'s current key, in one unit of work (a move between
        key stores). Keys already under `target` stay; destroyed keys stay destroyed. Returns how many moved."""
        new_id, kept = target.current_id(), set(target.ids)
        moved = 0
        async with self.store.transaction() as tx:
            for live in await tx.seals.live_wrapped_keys():
                if live.key_id in kept:
                    continue
                key = self.ring.unwrap(live.wrapped_key, message_id=live.message_id, key_id=live.key_id)
                wrapped = target.wrap(key, message_id=live.message_id, key_id=new_id)
                if await tx.seals.rewrap(live.message_id, from_key_id=live.key_id, key_id=new_id, wrapped_key=wrapped):
                    moved += 1
            await tx.audit.add(at=self.clock(), action="rekey", message_id=None, actor=actor,
                               detail=f"{moved} content keys from {self.ring.kind} to {target.kind} {new_id}")
        # The keys wrapped under the old ring are gone from the table; make them gone from the files too.
        await self.store.after_key_destroyed()
        return moved


def normalise_recipients(recipients: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for r in recipients:
        seen.setdefault(r.strip().lower(), None)
    return tuple(seen)
