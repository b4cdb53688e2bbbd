"""The browser's `PushSubscription.toJSON()`: parsed strictly, with its keys checked.

The endpoint is only a string here; the egress guard (`egress.parse_endpoint`) judges it.

`p256dh` must be an uncompressed P-256 point that lies on the curve (65 octets) and `auth` 16 octets, or
encryption to it would fail later, silently, in the worker.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Final

import msgspec
from cryptography.hazmat.primitives.asymmetric import ec

from mailseal.errors import PushSubscriptionInvalid, TooLarge

MAX_SUBSCRIPTION_JSON: Final = 4096
P256DH_SIZE: Final = 65
AUTH_SIZE: Final = 16
_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


class SubscriptionKeys(msgspec.Struct, frozen=True):
    p256dh: str
    auth: str


class PushSubscriptionJSON(msgspec.Struct, frozen=True):
    """`PushSubscriptionJSON` as browsers send it; unknown members are ignored for forward compatibility."""

    endpoint: str
    keys: SubscriptionKeys
    expiration_time: float | None = msgspec.field(default=None, name="expirationTime")


class BrowserSubscription(msgspec.Struct, frozen=True):
    """A checked subscription: the endpoint text (checked separately by the egress guard) and raw keys."""

    endpoint: str
    p256dh: bytes
    auth: bytes


def parse_subscription(data: bytes | str | dict[str, Any]) -> BrowserSubscription:
    """Parse and check a PushSubscription; raises `PushSubscriptionInvalid` or `TooLarge`."""
    try:
        if isinstance(data, dict):
            raw = msgspec.convert(data, PushSubscriptionJSON)
        else:
            if len(data) > MAX_SUBSCRIPTION_JSON:
                raise TooLarge("A push subscription is at most 4 KiB")
            raw = msgspec.json.decode(data, type=PushSubscriptionJSON)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise PushSubscriptionInvalid("A push subscription needs endpoint, keys.p256dh and keys.auth") from exc
    p256dh = _b64url_decode(raw.keys.p256dh, "p256dh")
    auth = _b64url_decode(raw.keys.auth, "auth")
    if len(p256dh) != P256DH_SIZE or p256dh[0] != 0x04:
        raise PushSubscriptionInvalid("keys.p256dh must be an uncompressed P-256 point (65 octets)")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except ValueError as exc:
        raise PushSubscriptionInvalid("keys.p256dh is not a point on P-256") from exc
    if len(auth) != AUTH_SIZE:
        raise PushSubscriptionInvalid("keys.auth must be 16 octets")
    return BrowserSubscription(endpoint=raw.endpoint, p256dh=p256dh, auth=auth)


def _b64url_decode(text: str, name: str) -> bytes:
    if len(text) > 128 or not _B64URL.fullmatch(text):
        raise PushSubscriptionInvalid(f"keys.{name} must be base64url")
    bare = text.rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    except (binascii.Error, ValueError) as exc:
        raise PushSubscriptionInvalid(f"keys.{name} must be base64url") from exc
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != bare:
        raise PushSubscriptionInvalid(f"keys.{name} must be canonical base64url")
    return raw
