"""Web Push: VAPID keys, subscriptions, delivery through the egress guard, pruning.

Public surface (pinned by tests/test_push_subscriptions.py::test_public_surface):

    keys = load_or_create_vapid(data_path / "keys")         # GET /api/push/key -> keys.application_server_key
    push = PushService(store, keys, PushConfig.from_settings(settings))
    await push.start()                                       # the queue's worker (the worker part)
    await push.subscribe(device_id, subscription_json)       # PushSubscriptionInvalid / PushEndpointRefused
    await push.notify(device_ids, message_id, "message")     # one durable row per device; returns
    await push.stop()
"""

from mailseal.storage import Subscription

from .config import PushConfig
from .egress import DEFAULT_PUSH_SERVICES, EgressPolicy, is_public_address, parse_endpoint
from .payload import PAYLOAD_SIZE, Kind, build_payload
from .service import PushService, PushStats
from .vapid import VapidKeys, load_or_create_vapid, validate_contact

__all__ = [
    "DEFAULT_PUSH_SERVICES",
    "PAYLOAD_SIZE",
    "EgressPolicy",
    "Kind",
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
