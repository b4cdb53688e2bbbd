"""Push through the real app: subscribe a device, a message arrives, exactly one padded push that
names no subject, sender, body or address; logout forgets the device's subscription."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from support.mailseal_app import running_app, simple_mail
from support.push_service import LoopbackPushService


@pytest.mark.engines
async def test_one_push_per_device_and_nothing_readable(tmp_path: Path) -> None:
    async with LoopbackPushService() as service, running_app(
        tmp_path, push_allow_loopback=True, push_contact="mailto:push@example.org"
    ) as app:
        await app.sign_in("bob@gmail.com")
        key = (await app.http.get("/api/push/key")).json()["publicKey"]
        subscription = service.new_subscription(key)
        response = await app.post("/api/push/subscriptions", json={**subscription, "showSender": False})
        assert response.status_code == 201, response.text
        sub_id = service.id_of(subscription)

        sealed = await app.seal(simple_mail(subject="Secret merger", body="Project Falcon is on."))
        await asyncio.wait_for(service.arrived(sub_id).wait(), timeout=10)
        page = await app.post("/api/messages", files={"file": ("m.bin", app.envelope_bytes(sealed.message_id))})
        assert page.status_code == 201
        await app.in_app(app.services.push.drain)

        payloads = service.payloads_for(sub_id)
        assert len(payloads) == 1, "one push per device, not one per way in"
        text = payloads[0].decode()
        assert sealed.message_id in text
        for secret in ("Secret merger", "Falcon", "alice", "bob@gmail.com", "@"):
            assert secret not in text
        assert json.loads(text.rstrip(" \x00"))["mailseal"]["kind"] == "message"

        engine = app.services.instance.store.engine
        assert await app.run(engine.fetch_one("SELECT 1 FROM push_subscriptions")) is not None
        assert (await app.post("/api/auth/logout")).status_code == 204
        assert await app.run(engine.fetch_one("SELECT 1 FROM push_subscriptions")) is None


async def test_hostile_endpoint_is_refused(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        bad = {"endpoint": "https://169.254.169.254/latest", "keys": {"p256dh": "x", "auth": "y"}}
        response = await app.post("/api/push/subscriptions", json=bad)
        assert response.status_code == 400
        assert response.json()["code"].startswith("push.")


@pytest.mark.engines
async def test_another_devices_endpoint_is_not_taken_over(tmp_path: Path) -> None:
    async with LoopbackPushService() as service, running_app(
        tmp_path, push_allow_loopback=True, push_contact="mailto:push@example.org"
    ) as app:
        await app.sign_in("bob@gmail.com")
        key = (await app.http.get("/api/push/key")).json()["publicKey"]
        bobs = service.new_subscription(key)
        assert (await app.post("/api/push/subscriptions", json=bobs)).status_code == 201
        app.http.cookies.clear()
        await app.sign_in("mallory@example.net")
        malloryish = {**bobs, "keys": service.new_subscription(key)["keys"]}
        response = await app.post("/api/push/subscriptions", json=malloryish)
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "push.subscription-taken"
        row = await app.run(app.services.instance.store.engine.fetch_one(
            "SELECT s.address FROM push_subscriptions p JOIN sessions x ON x.device_id = p.device_id"
            " JOIN session_addresses s ON s.session_id = x.id"
        ))
        assert row is not None and row["address"] == "bob@gmail.com"
