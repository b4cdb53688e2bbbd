"""Subscribing: the PushSubscription shape and key checks, one row per device, and the public surface."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

import mailseal.push
from mailseal.errors import InputError, PushSubscriptionInvalid, PushSubscriptionTaken, TooLarge
from mailseal.push.push_subscription import parse_subscription
from support.push_service import b64e, push_stack

ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc"
# The RFC 8291 example's user agent key: on the curve, and its base64url has both `-` and `_`.
P256DH = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
AUTH = b64e(bytes(range(16)))


def _sub(**keys: Any) -> dict[str, Any]:
    return {"endpoint": ENDPOINT, "expirationTime": None, "keys": {"p256dh": P256DH, "auth": AUTH, **keys}}


def test_a_browser_subscription_parses_from_json_bytes_and_dict() -> None:
    as_dict = parse_subscription(_sub())
    as_bytes = parse_subscription(json.dumps(_sub()).encode())
    assert as_dict == as_bytes
    assert len(as_dict.p256dh) == 65 and as_dict.auth == bytes(range(16))
    assert parse_subscription({**_sub(), "extra": 1}).endpoint == ENDPOINT  # unknown members are ignored


def _off_curve() -> str:
    point = bytearray(base64.urlsafe_b64decode(P256DH + "=" * (-len(P256DH) % 4)))
    point[-1] ^= 1
    return b64e(bytes(point))


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[]",
        {"endpoint": ENDPOINT},
        {"keys": {"p256dh": P256DH, "auth": AUTH}},
        {"endpoint": 5, "keys": {"p256dh": P256DH, "auth": AUTH}},
        _sub(p256dh=None),
        _sub(auth=""),
        _sub(p256dh=P256DH[:-4]),  # 62 octets
        _sub(p256dh=P256DH + "AAAA"),  # 68 octets
        _sub(p256dh=b64e(b"\x04" + bytes(64))),  # not on the curve
        _sub(p256dh=_off_curve()),
        _sub(p256dh=b64e(b"\x02" + bytes(32))),  # compressed form
        _sub(p256dh=b64e(b"\x05" + bytes(64))),
        _sub(p256dh=P256DH.replace("-", "+").replace("_", "/")),  # standard alphabet
        _sub(p256dh=P256DH + "!"),
        _sub(auth=b64e(bytes(15))),
        _sub(auth=b64e(bytes(17))),
        _sub(auth=b64e(bytes(16))[:-1] + "B"),  # non-canonical trailing bits
    ],
)
def test_bad_subscriptions_are_refused(data: Any) -> None:
    with pytest.raises(PushSubscriptionInvalid):
        parse_subscription(data)


def test_oversized_subscription_json_is_refused() -> None:
    with pytest.raises(TooLarge):
        parse_subscription(b" " * 5000)


async def test_resubscribing_replaces_the_device_row(tmp_path: Path) -> None:
    async with push_stack(tmp_path) as stack:
        first = await stack.subscribe_device("dev")
        second = await stack.subscribe_device("dev", show_sender=True)
        (row,) = await stack.push.list_for_devices(["dev"])
        assert row.endpoint == second["endpoint"] != first["endpoint"]
        assert row.show_sender is True
        # The same browser endpoint presented by a new device (signed in again) moves to it.
        await stack.push.subscribe("dev-new", second)
        assert await stack.push.list_for_devices(["dev"]) == []
        (moved,) = await stack.push.list_for_devices(["dev-new"])
        assert moved.endpoint == second["endpoint"] and moved.show_sender is False


async def test_an_endpoint_does_not_move_to_a_device_without_its_keys(tmp_path: Path) -> None:
    """Posting another device's endpoint used to move its notifications to the poster's device."""
    async with push_stack(tmp_path) as stack:
        victims = await stack.subscribe_device("victim")
        mine = await stack.subscribe_device("mallory")
        stranger = stack.service.new_subscription()
        for keys in (stranger["keys"], {**victims["keys"], "auth": stranger["keys"]["auth"]},
                     {**victims["keys"], "p256dh": stranger["keys"]["p256dh"]}):
            with pytest.raises(PushSubscriptionTaken) as info:
                await stack.push.subscribe("mallory", {**victims, "keys": keys})
            assert info.value.code == "push.subscription-taken" and info.value.status == 409
        (kept,) = await stack.push.list_for_devices(["victim"])
        assert kept.endpoint == victims["endpoint"]
        (untouched,) = await stack.push.list_for_devices(["mallory"])
        assert untouched.endpoint == mine["endpoint"]


@pytest.mark.parametrize("device_id", ["", "x" * 129, "a\nb"])
async def test_bad_device_ids_are_refused(tmp_path: Path, device_id: str) -> None:
    async with push_stack(tmp_path) as stack:
        with pytest.raises(InputError):
            await stack.push.subscribe(device_id, stack.service.new_subscription())


def test_public_surface() -> None:
    assert sorted(mailseal.push.__all__) == [
        "DEFAULT_PUSH_SERVICES",
        "EgressPolicy",
        "Kind",
        "PAYLOAD_SIZE",
        "PushConfig",
        "PushService",
        "PushStats",
        "Subscription",
        "VapidKeys",
        "build_payload",
        "is_public_address",
        "load_or_create_vapid",
        "parse_endpoint",
        "validate_contact",
    ]
