"""Passkeys: sign in with one (no session needed), and register, list and remove them (signed in)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import Provide
from litestar.params import FromPath, JSONBody

from mailseal.api.controllers.auth import client_of
from mailseal.api.me import MeView, me_view
from mailseal.api.session import raw_session_id, session_cookie
from mailseal.api.state import ServicesDependency, SessionDependency, provide_services, provide_session
from mailseal.identity import PasskeyView, device_name_from_user_agent


class PasskeyCredential(msgspec.Struct):
    """A `PublicKeyCredential` as JSON (`toJSON()`, base64url fields), and a name for a new passkey."""

    credential: dict[str, Any]
    name: str = ""


class PasskeyItem(msgspec.Struct, rename="camel"):
    id: str
    name: str
    created_at: int
    last_used_at: int | None
    this_device: bool
    backed_up: bool
    addresses: tuple[str, ...]


class PasskeyList(msgspec.Struct):
    passkeys: list[PasskeyItem]


def _item(view: PasskeyView) -> PasskeyItem:
    return PasskeyItem(view.id, view.name, view.created_at, view.last_used_at, view.this_device, view.backed_up,
                       view.addresses)


def _device_name(request: Request[Any, Any, Any]) -> str:
    return device_name_from_user_agent(request.headers.get("user-agent", ""))


class PasskeySignInController(Controller):
    path = "/api/auth/passkey"
    dependencies = {"services": Provide(provide_services)}
    tags = ["sign-in"]

    @post("/options", status_code=200, summary="Options for signing in with a passkey (a fresh challenge)")
    async def options(self, request: Request[Any, Any, Any], services: ServicesDependency) -> dict[str, Any]:
        return await services.passkeys.sign_in_options(client=client_of(request))

    @post("/", status_code=200, summary="Sign in with a passkey; starts or extends the session")
    async def sign_in(self, data: JSONBody[PasskeyCredential], request: Request[Any, Any, Any],
                      services: ServicesDependency) -> Response[MeView]:
        grant = await services.passkeys.sign_in(
            json.dumps(data.credential), client=client_of(request), session_id=raw_session_id(request),
            device_name=_device_name(request),
        )
        response = Response(await me_view(services, grant.session))
        response.set_cookie(session_cookie(grant.session_id, max_age=services.settings.session_absolute_hours * 3600))
        return response


class PasskeysController(Controller):
    path = "/api/passkeys"
    dependencies = {"services": Provide(provide_services), "session": Provide(provide_session)}
    tags = ["passkeys"]

    @get("/", summary="This person's passkeys")
    async def passkeys(self, services: ServicesDependency, session: SessionDependency) -> PasskeyList:
        return PasskeyList(passkeys=[_item(p) for p in await services.passkeys.of_person(session)])

    @post("/options", status_code=200, summary="Options for registering a passkey for this session's addresses")
    async def options(self, request: Request[Any, Any, Any], services: ServicesDependency,
                      session: SessionDependency) -> dict[str, Any]:
        return await services.passkeys.registration_options(session, client=client_of(request))

    @post("/", status_code=201, summary="Register a passkey, bound to this session's verified addresses")
    async def register(self, data: JSONBody[PasskeyCredential], request: Request[Any, Any, Any],
                       services: ServicesDependency, session: SessionDependency) -> PasskeyItem:
        view = await services.passkeys.register(session, json.dumps(data.credential), name=data.name,
                                                device_name=_device_name(request))
        return _item(view)

    @delete("/{passkey_id:str}", status_code=204, summary="Remove a passkey; ends the sessions it started")
    async def remove(self, passkey_id: FromPath[str], services: ServicesDependency,
                     session: SessionDependency) -> None:
        for device_id in await services.passkeys.remove(session, passkey_id):
            await services.push.forget_device(device_id)
