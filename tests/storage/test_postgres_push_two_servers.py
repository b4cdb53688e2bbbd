"""Two servers on one PostgreSQL database keep one push subscription per device, however requests race.

A browser that subscribes again (a new endpoint) while an earlier request is still running, each
answered by another server: both deleted what they saw of the device's old row and both inserted their
own; the second insert broke the one-row-per-device index (a 500). SQLite's one writer serialises them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mailseal.push import PushConfig, PushService, load_or_create_vapid
from mailseal.storage import Store, open_store
from support.push_service import TEST_CONTACT, TEST_PUBLIC_URL, FakeDns, LoopbackPushService


@pytest.fixture
async def two_servers(
    postgres_url: str, tmp_path: Path
) -> AsyncIterator[tuple[list[PushService], LoopbackPushService]]:
    browser = LoopbackPushService()
    await browser.start()
    stores: list[Store] = [await open_store(postgres_url), await open_store(postgres_url)]
    vapid = load_or_create_vapid(tmp_path / "keys")
    config = PushConfig(contact=TEST_CONTACT, public_url=TEST_PUBLIC_URL, allow_loopback=True,
                        loopback_hosts=("127.0.0.1",))
    services = [PushService(store, vapid, config, resolver=FakeDns({"127.0.0.1": ["127.0.0.1"]}))
                for store in stores]
    yield services, browser
    await browser.close()
    for store in stores:
        await store.close()


async def test_racing_resubscriptions_of_one_device_leave_its_one_row(
    two_servers: tuple[list[PushService], LoopbackPushService],
) -> None:
    services, browser = two_servers
    for round_ in range(5):
        device = f"device-{round_}"
        subscriptions = [browser.new_subscription() for _ in range(4)]
        saved = await asyncio.gather(
            *(services[n % 2].subscribe(device, sub) for n, sub in enumerate(subscriptions))
        )
        assert all(row.device_id == device for row in saved)
        (kept,) = await services[1].list_for_devices([device])
        assert kept.endpoint in {sub["endpoint"] for sub in subscriptions}
