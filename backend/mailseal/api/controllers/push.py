"""Push subscriptions of this device: the server's public key, subscribe, unsubscribe."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.di import Provide
from litestar.params import JSONBody

from mailseal.api.state import ServicesDependency, SessionDependency, provide_services, provide_session
from mailseal.errors import InputError

MAX_SUBSCRIPTION_BYTES = 4096


class PublicKey(msgspec.Struct, rename="camel"):
    public_key: str


class Subscribed(msgspec.Struct):
    endpoint: str


class Unsubscribe(msgspec.Struct):
    endpoint: str


class PushController(Controller):
    path = "/api/push"
    dependencies = {"services": Provide(provide_services), "session": Provide(provide_session)}
    tags = ["notifications"]

    @get("/key", summary="The VAPID public key (applicationServerKey)")
    async def key(self, services: ServicesDependency, session: SessionDependency) -> PublicKey:
        return PublicKey(public_key=services.push.application_server_key)

    @post("/subscriptions", status_code=201, summary="Subscribe this device to notifications")
    async def subscribe(
        self, request: Request[Any, Any, Any], services: ServicesDependency, session: SessionDependency
    ) -> Subscribed:
        body = await request.body()
        if len(body) > MAX_SUBSCRIPTION_BYTES:
            raise InputError("The subscription is too large")
        try:
            data = msgspec.json.decode(body)
        except msgspec.DecodeError as exc:
            raise InputError("The subscription is not JSON") from exc
        if not isinstance(data, dict):
            raise InputError("The subscription must be a JSON object")
        show_sender = bool(data.pop("showSender", False))
        subscription = await services.push.subscribe(session.device_id, data, show_sender=show_sender)
        return Subscribed(endpoint=subscription.endpoint)

    @delete("/subscriptions", status_code=204, summary="Unsubscribe this device")
    async def unsubscribe(
        self, data: JSONBody[Unsubscribe], services: ServicesDependency, session: SessionDependency
    ) -> None:
        await services.push.unsubscribe(session.device_id, data.endpoint)
