"""The key service: key ring, wrapping, the policy decision, revocation and expiry, the audit trail."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mailseal.errors import (
    ConfigError,
    DamagedEnvelope,
    MessageExpired,
    MessageRevoked,
    NotARecipient,
    NotFound,
    UnknownKey,
)
from mailseal.keys import Identity, KeyService
from mailseal.keys.file_ring import FileKeyRing
from mailseal.keys.service import NewSeal
from mailseal.keys.wrap import unwrap_content_key, wrap_content_key
from mailseal.storage import open_store, sqlite_url

CONTENT_KEY = bytes(range(32))


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_ring_is_private_and_rotates(tmp_path: Path) -> None:
    ring, created = FileKeyRing.load_or_create(tmp_path / "keys" / "ring.json")
    assert created
    mode = stat.S_IMODE(os.stat(ring.path).st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(os.stat(ring.path.parent).st_mode) == 0o700
    first = ring.current_id()
    wrapped = ring.wrap(CONTENT_KEY, message_id="a" * 26, key_id=first)
    second = ring.rotate()
    again = FileKeyRing.load(ring.path)
    assert again.current_id() == second != first
    assert again.unwrap(wrapped, message_id="a" * 26, key_id=first) == CONTENT_KEY
    with pytest.raises(UnknownKey):
        again.unwrap(wrapped, message_id="a" * 26, key_id="nope")


def test_ring_refuses_readable_file(tmp_path: Path) -> None:
    ring, _ = FileKeyRing.load_or_create(tmp_path / "ring.json")
    os.chmod(ring.path, 0o644)
    with pytest.raises(ConfigError):
        FileKeyRing.load(ring.path)


def test_wrap_is_bound_to_message_and_key() -> None:
    org = os.urandom(32)
    wrapped = wrap_content_key(org, CONTENT_KEY, message_id="a" * 26, key_id="k1")
    assert unwrap_content_key(org, wrapped, message_id="a" * 26, key_id="k1") == CONTENT_KEY
    for message_id, key_id in [("b" * 26, "k1"), ("a" * 26, "k2")]:
        with pytest.raises(DamagedEnvelope):
            unwrap_content_key(org, wrapped, message_id=message_id, key_id=key_id)


@pytest.fixture
async def service(tmp_path: Path):
    store = await open_store(sqlite_url(tmp_path / "db.sqlite"))
    ring, _ = FileKeyRing.load_or_create(tmp_path / "ring.json")
    clock = Clock()
    keys = KeyService(store, ring, clock=clock)
    yield keys, clock
    await store.close()


async def _seal(keys: KeyService, message_id: str = "m" * 26, expires_at: int | None = None) -> None:
    seal = NewSeal(
        message_id=message_id, issuer="https://mail.example.org", sender="alice@example.org",
        recipients=("bob@gmail.com", "carol@yahoo.com"), template="encrypt-only", rights=("view",),
        created_at=int(keys.clock()), expires_at=expires_at, header_fingerprint=b"\x01" * 32,
    )
    async with keys.store.transaction() as tx:
        await keys.register(tx, seal, CONTENT_KEY, key_id=keys.current_key_id, actor="test")


async def test_recipient_and_sender_may_open_others_may_not(service) -> None:
    keys, _ = service
    await _seal(keys)
    opened = await keys.unwrap("m" * 26, Identity(("BOB@gmail.com",)))
    assert opened.key == CONTENT_KEY and opened.opened_as == "bob@gmail.com"
    assert (await keys.unwrap("m" * 26, Identity(("alice@example.org",)))).key == CONTENT_KEY
    with pytest.raises(NotARecipient):
        await keys.unwrap("m" * 26, Identity(("mallory@evil.test",)))
    with pytest.raises(UnknownKey):
        await keys.unwrap("z" * 26, Identity(("bob@gmail.com",)))
    actions = [(e.action, e.outcome) for e in await keys.audit("m" * 26)]
    assert actions == [("seal", "ok"), ("open", "ok"), ("open", "ok"), ("refuse", "policy.not-recipient")]


async def test_unwrap_of_a_loaded_row_decides_and_audits_the_same(service) -> None:
    keys, clock = service
    await _seal(keys)
    loaded = await keys.load("m" * 26)
    assert "wrapped_key=<hidden>" in repr(loaded)
    opened = await keys.unwrap("m" * 26, Identity(("bob@gmail.com",)), loaded=loaded)
    assert opened.key == CONTENT_KEY and opened.opened_as == "bob@gmail.com"
    with pytest.raises(NotARecipient):
        await keys.unwrap("m" * 26, Identity(("mallory@evil.test",)), purpose="list", loaded=loaded)
    with pytest.raises(ValueError):
        await keys.unwrap("z" * 26, Identity(("bob@gmail.com",)), loaded=loaded)
    # A row read before a revocation is not trusted once it is more than a moment old: read again.
    await keys.revoke("m" * 26, actor="admin")
    clock.now += 2
    with pytest.raises(MessageRevoked):
        await keys.unwrap("m" * 26, Identity(("bob@gmail.com",)), loaded=loaded)
    actions = [(e.action, e.outcome, e.detail) for e in await keys.audit("m" * 26)]
    assert actions[1:3] == [("open", "ok", "as=bob@gmail.com"), ("refuse", "policy.not-recipient", "list")]
    assert actions[-1][:2] == ("refuse", "policy.revoked")


async def test_old_messages_open_after_rotation(service) -> None:
    keys, _ = service
    await _seal(keys)
    keys.ring.rotate()
    assert (await keys.unwrap("m" * 26, Identity(("bob@gmail.com",)))).key == CONTENT_KEY


async def test_revoke_destroys_the_key_everywhere(service, tmp_path: Path) -> None:
    keys, _ = service
    await _seal(keys)
    found = await keys.store.seals.get("m" * 26)
    assert found is not None and found.wrapped_key is not None
    wrapped = found.wrapped_key
    await keys.revoke("m" * 26, actor="admin")
    with pytest.raises(MessageRevoked):
        await keys.unwrap("m" * 26, Identity(("bob@gmail.com",)))
    record = await keys.record("m" * 26)
    assert record.destroyed and record.revoked_at is not None
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("db.sqlite*"))
    assert wrapped not in on_disk, "the wrapped content key must not linger in the database files"
    with pytest.raises(NotFound):
        await keys.revoke("x" * 26, actor="admin")


async def test_expiry_refuses_and_shreds(service) -> None:
    keys, clock = service
    await _seal(keys, expires_at=int(clock.now) + 3600)
    assert (await keys.unwrap("m" * 26, Identity(("bob@gmail.com",)))).key == CONTENT_KEY
    clock.now += 3601
    with pytest.raises(MessageExpired):
        await keys.unwrap("m" * 26, Identity(("bob@gmail.com",)))
    assert (await keys.record("m" * 26)).destroyed
    actions = [e.action for e in await keys.audit("m" * 26)]
    assert actions[-2:] == ["refuse", "expire"]


async def test_expire_due_sweeps(service) -> None:
    keys, clock = service
    await _seal(keys, "a" * 26, expires_at=int(clock.now) + 10)
    await _seal(keys, "b" * 26, expires_at=None)
    clock.now += 11
    assert await keys.expire_due() == ["a" * 26]
    assert (await keys.record("a" * 26)).destroyed
    assert not (await keys.record("b" * 26)).destroyed
    assert await keys.expire_due() == []
