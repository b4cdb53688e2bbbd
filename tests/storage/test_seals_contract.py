"""The seals repository on both engines: a record and its wrapped key, revocation, destruction, listings."""

from __future__ import annotations

from mailseal.storage import NewSeal, Store


def new_seal(message_id: str = "m" * 26, *, sender: str = "Alice@Example.org", created_at: int = 100,
             expires_at: int | None = None) -> NewSeal:
    return NewSeal(
        message_id=message_id, issuer="https://mail.example.org", sender=sender,
        recipients=("Bob@Gmail.com", "carol@yahoo.com"), template="encrypt-only", rights=("view", "reply"),
        created_at=created_at, expires_at=expires_at, header_fingerprint=b"\x00\xff" * 16,
    )


async def test_a_seal_reads_back_as_written_with_its_key(store: Store) -> None:
    await store.seals.add(new_seal(), key_id="k1", wrapped_key=b"\x00wrapped\xff")
    found = await store.seals.get("m" * 26)
    assert found is not None
    record = found.record
    assert found.wrapped_key == b"\x00wrapped\xff" and "wrapped>" not in repr(found)
    assert record.sender == "alice@example.org" and record.recipients == ("bob@gmail.com", "carol@yahoo.com")
    assert record.rights == ("view", "reply") and record.key_id == "k1" and record.template == "encrypt-only"
    assert record.header_fingerprint == b"\x00\xff" * 16 and isinstance(record.header_fingerprint, bytes)
    assert (record.created_at, record.expires_at, record.revoked_at, record.destroyed) == (100, None, None, False)
    assert await store.seals.get("z" * 26) is None


async def test_revocation_is_kept_once_and_destruction_counts_once(store: Store) -> None:
    await store.seals.add(new_seal(), key_id="k1", wrapped_key=b"key")
    assert await store.seals.mark_revoked("m" * 26, at=200)
    assert await store.seals.mark_revoked("m" * 26, at=300)  # still there; the first time stays
    assert not await store.seals.mark_revoked("z" * 26, at=300)
    assert await store.seals.destroy_key("m" * 26, at=200)
    assert not await store.seals.destroy_key("m" * 26, at=201)
    found = await store.seals.get("m" * 26)
    assert found is not None
    assert found.wrapped_key is None and found.record.destroyed and found.record.revoked_at == 200


async def test_due_for_expiry_and_newest(store: Store) -> None:
    await store.seals.add(new_seal("a" * 26, expires_at=150, created_at=1), key_id="k1", wrapped_key=b"k")
    await store.seals.add(new_seal("b" * 26, expires_at=500, created_at=2), key_id="k1", wrapped_key=b"k")
    await store.seals.add(new_seal("c" * 26, sender="dave@example.org", created_at=3), key_id="k1", wrapped_key=b"k")
    assert await store.seals.due_for_expiry(200) == ["a" * 26]
    await store.seals.destroy_key("a" * 26, at=200)
    assert await store.seals.due_for_expiry(200) == []
    assert [r.message_id for r in await store.seals.newest(limit=10)] == ["c" * 26, "b" * 26, "a" * 26]
    assert [r.message_id for r in await store.seals.newest(limit=1)] == ["c" * 26]
    assert [r.message_id for r in await store.seals.newest(limit=10, sender="DAVE@example.org")] == ["c" * 26]


async def test_live_wrapped_keys_and_a_rewrap_that_never_revives_a_destroyed_key(store: Store) -> None:
    for name, key_id in (("a", "k1"), ("b", "k2"), ("c", "k1")):
        await store.seals.add(new_seal(name * 26), key_id=key_id, wrapped_key=b"\x00" + name.encode() + b"\xff")
    await store.seals.destroy_key("c" * 26, at=200)
    live = await store.seals.live_wrapped_keys()
    assert [(k.message_id, k.key_id, k.wrapped_key) for k in live] == [
        ("a" * 26, "k1", b"\x00a\xff"), ("b" * 26, "k2", b"\x00b\xff")]
    assert isinstance(live[0].wrapped_key, bytes) and "\\x00a" not in repr(live[0])

    async with store.transaction() as tx:
        assert await tx.seals.rewrap("a" * 26, from_key_id="k1", key_id="t1", wrapped_key=b"new-a")
        assert not await tx.seals.rewrap("b" * 26, from_key_id="k1", key_id="t1", wrapped_key=b"x")  # not under k1
        assert not await tx.seals.rewrap("c" * 26, from_key_id="k1", key_id="t1", wrapped_key=b"x")  # destroyed
        assert not await tx.seals.rewrap("z" * 26, from_key_id="k1", key_id="t1", wrapped_key=b"x")
    moved, other, destroyed = [await store.seals.get(name * 26) for name in "abc"]
    assert moved is not None and (moved.record.key_id, moved.wrapped_key) == ("t1", b"new-a")
    assert other is not None and (other.record.key_id, other.wrapped_key) == ("k2", b"\x00b\xff")
    assert destroyed is not None and destroyed.wrapped_key is None and destroyed.record.key_id == "k1"


async def test_a_rewrap_in_a_transaction_that_fails_changes_nothing(store: Store) -> None:
    await store.seals.add(new_seal(), key_id="k1", wrapped_key=b"old")
    try:
        async with store.transaction() as tx:
            assert await tx.seals.rewrap("m" * 26, from_key_id="k1", key_id="t1", wrapped_key=b"new")
            raise RuntimeError("stopped half-way")
    except RuntimeError:
        pass
    found = await store.seals.get("m" * 26)
    assert found is not None and (found.record.key_id, found.wrapped_key) == ("k1", b"old")


async def test_revoked_lists_every_revocation_oldest_first_and_not_expiries(store: Store) -> None:
    for name in "abcd":
        await store.seals.add(new_seal(name * 26), key_id="k1", wrapped_key=b"k")
    await store.seals.mark_revoked("c" * 26, at=300)
    await store.seals.mark_revoked("a" * 26, at=400)
    await store.seals.destroy_key("d" * 26, at=350)  # an expiry: its expires_at restores it
    assert await store.seals.revoked() == [("c" * 26, 300), ("a" * 26, 400)]
