"""The passkey repository on both engines: passkeys bound to addresses, sessions they started, challenges."""

from __future__ import annotations

import pytest

from mailseal.storage import PasskeyRow, Store


def passkey(passkey_id: str, *addresses: str, created_at: int = 100) -> PasskeyRow:
    return PasskeyRow(id=passkey_id, user_handle=b"u" * 16, public_key=b"\xa5cose", sign_count=0,
                      backup_eligible=True, backed_up=False, name="Phone", device_id="d1",
                      created_at=created_at, addresses=addresses)


async def session(store: Store, device_id: str, address: str) -> int:
    await store.devices.add(device_id, name="Phone", now=100)
    row = await store.sessions.add(id_hash=f"hash-{device_id}", device_id=device_id, now=100, expires_at=10_000)
    await store.sessions.add_address(row, address, now=100)
    return row.pk


async def test_a_passkey_keeps_its_addresses_and_counter(store: Store) -> None:
    await store.passkeys.add(passkey("cred-a", "bob@example.org", "alice@example.org"))
    found = await store.passkeys.find("cred-a")
    assert found is not None
    assert found.addresses == ("alice@example.org", "bob@example.org")
    assert (found.public_key, found.backup_eligible, found.backed_up, found.last_used_at) == (
        b"\xa5cose", True, False, None)
    assert await store.passkeys.record_use("cred-a", seen_count=0, sign_count=5, backed_up=True, now=200)
    # A second use that saw the old counter loses the race.
    assert not await store.passkeys.record_use("cred-a", seen_count=0, sign_count=6, backed_up=True, now=201)
    used = await store.passkeys.find("cred-a")
    assert used is not None and (used.sign_count, used.backed_up, used.last_used_at) == (5, True, 200)
    assert await store.passkeys.find("nope") is None


async def test_a_person_sees_only_passkeys_bound_to_their_addresses(store: Store) -> None:
    await store.passkeys.add(passkey("mine", "alice@example.org", created_at=100))
    await store.passkeys.add(passkey("both", "alice@example.org", "team@example.org", created_at=200))
    await store.passkeys.add(passkey("carol", "carol@example.org", "team@example.org", created_at=300))
    assert [p.id for p in await store.passkeys.of_person(["alice@example.org"])] == ["mine"]
    assert [p.id for p in await store.passkeys.of_person(["alice@example.org", "team@example.org"])] == [
        "both", "mine"]
    assert await store.passkeys.of_person([]) == []


async def test_removing_a_passkey_ends_the_sessions_it_started(store: Store) -> None:
    await store.passkeys.add(passkey("cred", "alice@example.org"))
    started = await session(store, "d-passkey", "alice@example.org")
    other = await session(store, "d-code", "alice@example.org")
    await store.passkeys.remember_session(started, "cred")
    assert await store.passkeys.started_session(started) == "cred"
    assert await store.passkeys.started_session(other) is None
    assert await store.passkeys.delete("cred") == ["d-passkey"]
    assert await store.passkeys.find("cred") is None
    assert await store.sessions.find("hash-d-passkey") is None
    assert await store.sessions.find("hash-d-code") is not None


async def test_a_challenge_is_taken_once(store: Store) -> None:
    await store.passkeys.add_challenge("c1", purpose="sign-in", session_hash="", user_handle=b"", expires_at=500)
    await store.passkeys.add_challenge("c2", purpose="register", session_hash="h", user_handle=b"u", expires_at=90)
    assert await store.passkeys.live_challenges(now=100) == 1
    taken = await store.passkeys.take_challenge("c1")
    assert taken is not None and (taken.purpose, taken.expires_at) == ("sign-in", 500)
    assert await store.passkeys.take_challenge("c1") is None
    await store.passkeys.forget_expired_challenges(now=100)
    assert await store.passkeys.take_challenge("c2") is None


@pytest.mark.parametrize("count", [1])
async def test_a_passkey_id_is_unique(store: Store, count: int) -> None:
    await store.passkeys.add(passkey("same", "alice@example.org"))
    with pytest.raises(Exception):  # noqa: B017 - each engine raises its own integrity error
        await store.passkeys.add(passkey("same", "eve@example.org"))
    found = await store.passkeys.find("same")
    assert found is not None and found.addresses == ("alice@example.org",) * count
