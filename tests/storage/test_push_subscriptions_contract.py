"""The push-subscription repository on both engines: one per device, an endpoint moves, failures prune."""

from __future__ import annotations

from mailseal.storage import EndpointHolder, Store


async def save(store: Store, device: str, endpoint: str, *, key: bytes = b"\x04" * 65, show_sender: bool = False,
               now: int = 100) -> int:
    saved = await store.push_subscriptions.save(device_id=device, endpoint=endpoint, p256dh=key, auth=b"\x01" * 16,
                                                show_sender=show_sender, now=now)
    return saved.id


async def test_one_subscription_per_device_and_an_endpoint_moves(store: Store) -> None:
    first = await save(store, "dev1", "https://push.example/a", show_sender=True)
    saved = await store.push_subscriptions.get(first)
    assert saved is not None
    assert (saved.device_id, saved.endpoint, saved.p256dh, saved.auth, saved.created_at) == (
        "dev1", "https://push.example/a", b"\x04" * 65, b"\x01" * 16, 100
    )
    assert saved.show_sender and saved.failures == 0 and saved.last_success_at is None
    assert await store.push_subscriptions.holder("https://push.example/a") == EndpointHolder(
        "dev1", b"\x04" * 65, b"\x01" * 16
    )
    assert await store.push_subscriptions.holder("https://push.example/none") is None
    await save(store, "dev1", "https://push.example/b")  # the device subscribes again: its old row goes
    assert [s.endpoint for s in await store.push_subscriptions.for_devices(["dev1"])] == ["https://push.example/b"]
    await save(store, "dev2", "https://push.example/b", key=b"\x05" * 65)  # the endpoint moves to dev2
    assert await store.push_subscriptions.for_devices(["dev1"]) == []
    [moved] = await store.push_subscriptions.for_devices(["dev2", "dev2", "dev3"])
    assert moved.p256dh == b"\x05" * 65 and not moved.show_sender


async def test_success_failures_and_deletion(store: Store) -> None:
    first = await save(store, "dev1", "https://push.example/a")
    await save(store, "dev2", "https://push.example/b")
    assert [s.device_id for s in await store.push_subscriptions.for_devices(["dev2", "dev1"])] == ["dev1", "dev2"]
    assert not await store.push_subscriptions.record_failure(first, max_failures=2)
    assert (await store.push_subscriptions.get(first)).failures == 1  # type: ignore[union-attr]
    await store.push_subscriptions.record_success(first, now=200)
    again = await store.push_subscriptions.get(first)
    assert again is not None and again.failures == 0 and again.last_success_at == 200
    assert not await store.push_subscriptions.record_failure(first, max_failures=2)
    assert await store.push_subscriptions.record_failure(first, max_failures=2)  # pruned
    assert await store.push_subscriptions.get(first) is None
    assert not await store.push_subscriptions.delete(device_id="dev2", endpoint="https://push.example/a")
    assert await store.push_subscriptions.delete(device_id="dev2", endpoint="https://push.example/b")
    third = await save(store, "dev3", "https://push.example/c")
    assert await store.push_subscriptions.delete_for_device("dev3")
    assert not await store.push_subscriptions.delete_for_device("dev3")
    await save(store, "dev4", "https://push.example/d")
    [fourth] = await store.push_subscriptions.for_devices(["dev4"])
    await store.push_subscriptions.delete_by_id(fourth.id)
    assert await store.push_subscriptions.get(fourth.id) is None and await store.push_subscriptions.get(third) is None
