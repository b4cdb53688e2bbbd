"""Delivery against a real push service on loopback: what arrives, how failures are handled, no waiting."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from mailseal.errors import InputError
from mailseal.push import PAYLOAD_SIZE
from mailseal.push.payload import BODY_SIZE, topic
from support.push_service import TEST_PUBLIC_URL, push_stack

# Guards against a hang only; no assertion depends on timing.
GUARD = 10.0


@pytest.mark.engines
async def test_one_push_per_device_with_only_id_and_kind(tmp_path: Path) -> None:
    async with push_stack(tmp_path) as stack:
        subs = {device: await stack.subscribe_device(device) for device in ("dev-a", "dev-b", "dev-c")}
        await stack.push.notify(["dev-a", "dev-b", "dev-a", "dev-unknown"], "m1a2b3", "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)

        ids = {device: stack.service.id_of(sub) for device, sub in subs.items()}
        assert len(stack.service.requests_for(ids["dev-a"])) == 1
        assert len(stack.service.requests_for(ids["dev-b"])) == 1
        assert stack.service.requests_for(ids["dev-c"]) == []
        assert len(stack.service.received) == 2
        for record in stack.service.received:
            assert record.error is None and record.status == 201
            assert len(record.body) == BODY_SIZE
            assert record.payload is not None and len(record.payload) == PAYLOAD_SIZE
            assert json.loads(record.payload) == {
                "web_push": 8030,
                "notification": {
                    "title": "New protected message",
                    "navigate": f"{TEST_PUBLIC_URL}/m/m1a2b3",
                    "body": "Open Mailseal to read it.",
                    "tag": "mailseal-m1a2b3",
                },
                "mailseal": {"v": 1, "id": "m1a2b3", "kind": "message"},
            }
            assert b"@" not in record.payload
            # The VAPID token was verified by the service: signature, aud (its origin), exp, sub.
            assert record.claims is not None
            assert record.claims["aud"] == stack.service.origin
            assert record.claims["sub"] == "mailto:push-admin@example.org"
            headers = record.headers
            assert headers["content-encoding"] == "aes128gcm"
            assert headers["ttl"] == "86400"
            assert headers["urgency"] == "high"
            assert headers["topic"] == topic("m1a2b3")
            assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", headers["topic"])
            assert headers["authorization"].startswith("vapid t=")
        assert stack.push.stats.delivered == 2
        (row,) = await stack.push.list_for_devices(["dev-a"])
        assert row.last_success_at is not None and row.failures == 0


async def test_payload_size_is_the_same_for_every_message(tmp_path: Path) -> None:
    async with push_stack(tmp_path) as stack:
        sub = await stack.subscribe_device("dev")
        await stack.push.notify(["dev"], "a", "reply")
        await stack.push.notify(["dev"], "b" * 64, "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        records = stack.service.requests_for(stack.service.id_of(sub))
        assert [len(r.body) for r in records] == [BODY_SIZE, BODY_SIZE]
        decoded = sorted((json.loads(r.payload or b"") for r in records), key=lambda p: p["mailseal"]["kind"])
        assert [p["mailseal"]["kind"] for p in decoded] == ["message", "reply"]
        assert decoded[1]["notification"]["title"] == "New reply"
        assert all(len(r.payload or b"") == PAYLOAD_SIZE for r in records)


@pytest.mark.engines
@pytest.mark.parametrize("status", [404, 410])
async def test_gone_subscription_is_deleted(tmp_path: Path, status: int) -> None:
    async with push_stack(tmp_path) as stack:
        sub = await stack.subscribe_device("dev")
        stack.service.answer(stack.service.id_of(sub), status)
        await stack.push.notify(["dev"], "m1", "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        assert len(stack.service.received) == 1
        assert await stack.push.list_for_devices(["dev"]) == []
        assert stack.push.stats.gone == 1


async def test_server_error_is_retried_then_given_up(tmp_path: Path) -> None:
    async with push_stack(tmp_path, max_attempts=3) as stack:
        sub = await stack.subscribe_device("dev")
        stack.service.always(stack.service.id_of(sub), 500)
        await stack.push.notify(["dev"], "m1", "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        assert len(stack.service.received) == 3
        assert stack.push.stats.retried == 2 and stack.push.stats.failed == 1
        (row,) = await stack.push.list_for_devices(["dev"])
        assert row.failures == 1


async def test_server_error_then_success(tmp_path: Path) -> None:
    async with push_stack(tmp_path, max_attempts=3) as stack:
        sub = await stack.subscribe_device("dev")
        stack.service.answer(stack.service.id_of(sub), 503, 429)
        await stack.push.notify(["dev"], "m1", "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        assert [r.status for r in stack.service.received] == [503, 429, 201]
        assert stack.push.stats.delivered == 1


async def test_client_error_is_not_retried(tmp_path: Path) -> None:
    async with push_stack(tmp_path) as stack:
        sub = await stack.subscribe_device("dev")
        stack.service.answer(stack.service.id_of(sub), 400)
        await stack.push.notify(["dev"], "m1", "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        assert len(stack.service.received) == 1
        assert stack.push.stats.failed == 1


@pytest.mark.engines
async def test_repeated_failures_prune_the_subscription(tmp_path: Path) -> None:
    async with push_stack(tmp_path, max_attempts=1, max_failures=2) as stack:
        sub = await stack.subscribe_device("dev")
        stack.service.always(stack.service.id_of(sub), 500)
        await stack.push.notify(["dev"], "m1", "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        assert len(await stack.push.list_for_devices(["dev"])) == 1
        await stack.push.notify(["dev"], "m2", "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        assert await stack.push.list_for_devices(["dev"]) == []


async def test_notify_returns_before_a_slow_service_answers(tmp_path: Path) -> None:
    async with push_stack(tmp_path) as stack:
        sub = await stack.subscribe_device("dev")
        sub_id = stack.service.id_of(sub)
        release = stack.service.hold(sub_id)
        # If notify waited for the push, it would wait for `release`, which is only set below.
        await asyncio.wait_for(stack.push.notify(["dev"], "m1", "message"), GUARD)
        stack.service.log.append("notify returned")
        await asyncio.wait_for(stack.service.arrived(sub_id).wait(), GUARD)
        # A second notify while the first push is in flight also returns at once.
        await asyncio.wait_for(stack.push.notify(["dev"], "m2", "message"), GUARD)
        stack.service.log.append("second notify returned")
        release.set()
        await asyncio.wait_for(stack.push.drain(), GUARD)
        log = stack.service.log
        assert log[:3] == ["notify returned", f"received:{sub_id}", "second notify returned"]
        assert log.count(f"answered:{sub_id}") == 2
        assert log.index("second notify returned") < log.index(f"answered:{sub_id}")


async def test_a_dead_service_times_out_and_does_not_block(tmp_path: Path) -> None:
    async with push_stack(tmp_path, total_timeout=0.2, max_attempts=2) as stack:
        sub = await stack.subscribe_device("dev")
        stack.service.stall(stack.service.id_of(sub))
        await asyncio.wait_for(stack.push.notify(["dev"], "m1", "message"), GUARD)
        stack.service.log.append("notify returned")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        assert stack.service.log[0] == "notify returned"
        assert len(stack.service.received) == 2  # tried, timed out, retried once, gave up
        assert stack.push.stats.failed == 1


async def test_a_closed_port_is_retried_then_given_up(tmp_path: Path) -> None:
    async with push_stack(tmp_path, max_attempts=2) as stack:
        await stack.subscribe_device("dev")
        port = stack.service.port
        await stack.service.close()
        await stack.push.notify(["dev"], "m1", "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        assert stack.backend.connects == [("127.0.0.1", port), ("127.0.0.1", port)]
        assert stack.push.stats.failed == 1


async def test_full_queue_drops_instead_of_waiting(tmp_path: Path) -> None:
    async with push_stack(tmp_path, queue_size=1) as stack:
        await stack.subscribe_device("dev")
        await stack.push.stop()  # no worker: the queue fills
        await stack.push.notify(["dev"], "m1", "message")
        await asyncio.wait_for(stack.push.notify(["dev"], "m2", "message"), GUARD)
        assert stack.push.stats.queued == 1 and stack.push.stats.dropped == 1
        await stack.push.start()  # what was queued before the worker ran is delivered
        await asyncio.wait_for(stack.push.drain(), GUARD)
        (record,) = stack.service.received
        assert json.loads(record.payload or b"")["mailseal"]["id"] == "m1"


async def test_a_name_that_stops_resolving_is_retried_then_given_up(tmp_path: Path) -> None:
    async with push_stack(tmp_path, max_attempts=2) as stack:
        stack.dns.sequence("fcm.googleapis.com", ["142.250.74.42"], [])
        sub = stack.service.new_subscription(stack.vapid.application_server_key)
        await stack.push.subscribe("dev", {**sub, "endpoint": "https://fcm.googleapis.com/fcm/send/abc"})
        await stack.push.notify(["dev"], "m1", "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        assert stack.dns.calls == ["fcm.googleapis.com"] * 3
        assert stack.push.stats.retried == 1 and stack.push.stats.failed == 1
        assert stack.backend.connects == []


@pytest.mark.parametrize(
    ("message_id", "kind"),
    [("", "message"), ("a/b", "message"), ("x" * 65, "message"), ("ok", "subject"), ("a b", "reply")],
)
async def test_notify_refuses_bad_ids_and_kinds(tmp_path: Path, message_id: str, kind: str) -> None:
    async with push_stack(tmp_path) as stack:
        with pytest.raises(InputError):
            await stack.push.notify(["dev"], message_id, kind)  # type: ignore[arg-type]


@pytest.mark.engines
async def test_unsubscribe_and_forget_device(tmp_path: Path) -> None:
    async with push_stack(tmp_path) as stack:
        sub_a = await stack.subscribe_device("dev-a")
        await stack.subscribe_device("dev-b")
        assert not await stack.push.unsubscribe("dev-b", sub_a["endpoint"])  # not its endpoint
        assert await stack.push.unsubscribe("dev-a", sub_a["endpoint"])
        assert await stack.push.forget_device("dev-b")
        assert await stack.push.list_for_devices(["dev-a", "dev-b"]) == []
        await stack.push.notify(["dev-a", "dev-b"], "m1", "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        assert stack.service.received == []


@pytest.mark.engines
async def test_per_device_cap_drops_with_a_log_line_and_duplicates_coalesce(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with push_stack(tmp_path, per_device=2) as stack:
        await stack.subscribe_device("dev")
        await stack.push.stop()  # no worker: the rows wait
        for message_id in ("m1", "m1", "m2", "m3"):
            await asyncio.wait_for(stack.push.notify(["dev"], message_id, "message"), GUARD)  # never raises
        assert [row.message_id for row in await stack.db.push_queue.pending()] == ["m1", "m2"]
        assert stack.push.stats.queued == 2 and stack.push.stats.dropped == 1
        assert "push queue is full" in caplog.text
        await stack.push.start()
        await asyncio.wait_for(stack.push.drain(), GUARD)
        ids = [json.loads(r.payload or b"")["mailseal"]["id"] for r in stack.service.received]
        assert sorted(ids) == ["m1", "m2"]
