"""The identity repositories on both engines: passcodes, rate events, sessions and devices."""

from __future__ import annotations

import asyncio

from mailseal.storage import Store


async def test_passcodes_pending_live_used_and_forgotten(store: Store) -> None:
    for number, (version, expires_at) in enumerate(((1, 100), (2, 700), (1, 800))):
        await store.codes.add(address_key="alice-key", version=version, reference=f"REF{number}",
                              mac=bytes([number]) * 32, created_at=50, expires_at=expires_at)
    await store.codes.add(address_key="bob-key", version=1, reference="BOB", mac=b"\xff" * 32,
                          created_at=50, expires_at=900)
    pending = await store.codes.pending("alice-key")
    assert [(c.version, c.reference, c.mac, c.expires_at) for c in pending] == [
        (1, "REF0", b"\x00" * 32, 100), (2, "REF1", b"\x01" * 32, 700), (1, "REF2", b"\x02" * 32, 800),
    ]
    assert await store.codes.live_count("alice-key", now=99, version=1) == 2
    assert await store.codes.live_count("alice-key", now=100, version=1) == 1
    assert await store.codes.live_count("alice-key", now=100, version=2) == 1
    await store.codes.use(pending[1].id)
    assert [c.reference for c in await store.codes.pending("alice-key")] == ["REF0", "REF2"]
    await store.codes.forget_expired(before=800)
    assert await store.codes.pending("alice-key") == []
    assert [c.reference for c in await store.codes.pending("bob-key")] == ["BOB"]


async def test_rate_events_in_a_sliding_window(store: Store) -> None:
    for at in (10, 20, 30, 40):
        await store.limits.record("bucket", at=at)
    await store.limits.record("other", at=35)
    assert await store.limits.youngest_at("bucket", after=15, skip=0) == 40
    assert await store.limits.youngest_at("bucket", after=15, skip=2) == 20
    assert await store.limits.youngest_at("bucket", after=15, skip=3) is None
    await store.limits.forget_older_than(20)
    assert await store.limits.youngest_at("bucket", after=0, skip=1) == 30
    assert await store.limits.youngest_at("bucket", after=0, skip=2) is None


async def test_serialized_check_and_count_lets_one_of_many_through(store: Store) -> None:
    """The identity room's check-then-record: with a limit of one, concurrent transactions admit one."""

    async def try_once() -> bool:
        async with store.transaction() as tx:
            await tx.limits.serialize()
            if await tx.limits.youngest_at("once", after=0, skip=0) is not None:
                return False
            await asyncio.sleep(0.02)  # widen the window a race would need
            await tx.limits.record("once", at=1)
            return True

    results = await asyncio.gather(*(try_once() for _ in range(5)))
    assert sum(results) == 1


async def test_a_session_with_its_device_and_addresses(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.devices.add("dev1", name="Phone", now=100)
        row = await tx.sessions.add(id_hash="hash1", device_id="dev1", now=100, expires_at=1000)
        await tx.sessions.add_address(row, "bob@gmail.com", now=100)
        await tx.sessions.add_address(row, "bob@work.example", now=101)
    found = await store.sessions.find_with_addresses("hash1")
    assert found is not None
    assert found.row == row and found.addresses == ("bob@gmail.com", "bob@work.example")
    assert await store.sessions.find("hash1") == row
    assert await store.sessions.find_with_addresses("nope") is None
    await store.sessions.add_address(row, "bob@gmail.com", now=200)  # verified again: now the newest
    assert await store.sessions.addresses(row.pk) == ("bob@work.example", "bob@gmail.com")
    rotated = await store.sessions.rotate(row, "hash2", now=300)
    assert await store.sessions.find("hash1") is None
    assert await store.sessions.find("hash2") == rotated and rotated.pk == row.pk and rotated.last_seen_at == 300
    await store.sessions.touch(rotated, now=400)
    assert (await store.sessions.find("hash2")).last_seen_at == 400  # type: ignore[union-attr]
    assert await store.sessions.remove_address(rotated, "bob@gmail.com")
    assert not await store.sessions.remove_address(rotated, "bob@gmail.com")
    assert await store.sessions.devices_holding(["BOB@work.example"], now=500, seen_after=0) == ["dev1"]
    assert await store.sessions.devices_holding(["bob@work.example"], now=1000, seen_after=0) == []  # expired
    assert await store.sessions.devices_holding(["bob@work.example"], now=500, seen_after=400) == []  # idle
    assert await store.sessions.devices_holding([], now=500, seen_after=0) == []
    await store.devices.delete("dev1")  # the session and its addresses go with the device
    assert await store.sessions.find("hash2") is None
    assert await store.sessions.addresses(row.pk) == ()


async def sign_in(store: Store, device: str, addresses: tuple[str, ...], *, now: int = 100,
                  expires_at: int = 10_000) -> None:
    async with store.transaction() as tx:
        await tx.devices.add(device, name=device.title(), now=now)
        row = await tx.sessions.add(id_hash=f"hash-{device}", device_id=device, now=now, expires_at=expires_at)
        for address in addresses:
            await tx.sessions.add_address(row, address, now=now)


async def test_a_persons_devices_are_those_whose_addresses_are_all_theirs(store: Store) -> None:
    await sign_in(store, "phone", ("bob@gmail.com", "bob@work.example"), now=100)
    await sign_in(store, "laptop", ("bob@work.example",), now=300)
    await sign_in(store, "tablet", ("bob@gmail.com",), now=200)
    await sign_in(store, "carols", ("bob@work.example", "carol@example.org"), now=400)  # shares one address only
    await sign_in(store, "old", ("bob@gmail.com",), now=100, expires_at=150)
    devices = await store.devices.of_person("hash-phone", now=500, seen_after=0)
    assert [(d.id, d.name, d.current) for d in devices] == [
        ("phone", "Phone", True), ("laptop", "Laptop", False), ("tablet", "Tablet", False)
    ]
    assert (devices[0].created_at, devices[0].last_seen_at) == (100, 100)
    assert [d.id for d in await store.devices.of_person("hash-laptop", now=500, seen_after=0)] == ["laptop"]
    await store.devices.touch("tablet", now=450)
    assert [d.last_seen_at for d in await store.devices.of_person("hash-tablet", now=500, seen_after=0)] == [450]
    await store.devices.delete_expired(now=500, seen_before=250)
    assert await store.sessions.find("hash-old") is None  # expired
    assert await store.sessions.find("hash-phone") is None  # last seen at 100
    assert await store.sessions.find("hash-laptop") is not None
