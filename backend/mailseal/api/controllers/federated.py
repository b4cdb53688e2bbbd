"""Sign-in methods, and federated sign-in through an identity provider (OpenID Connect).

`GET /api/auth/methods` tells the sign-in screen which ways the organisation allows. `POST …/start`
(CSRF-protected) answers where to send the browser and sets a short-lived binding cookie; the provider
sends the browser back to `GET /api/auth/oidc/callback` (a top-level navigation, so the Lax cookies come
along), which signs in and redirects into the app, or redirects to the sign-in screen with a code.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import Provide
from litestar.params import FromPath, JSONBody
from litestar.response import Redirect

from mailseal.api.session import raw_session_id, session_cookie
from mailseal.api.state import ServicesDependency, provide_services
from mailseal.errors import FederatedSignInRefused
from mailseal.identity import device_name_from_user_agent
from mailseal.identity.oidc.flow import FLOW_SECONDS

BINDING_COOKIE = "__Host-mailseal-signin"
# What the sign-in screen is told after a refusal: one code for every failed check (each is logged),
# except an address the provider does not vouch for, which the person can do something about.
PUBLIC_REFUSALS = {"unverified-email": "oidc.unverified-email"}


class ProviderView(msgspec.Struct, frozen=True):
    id: str
    name: str


class SignInMethods(msgspec.Struct, frozen=True, rename="camel"):
    """The ways to sign in: every allowed provider, and the domains where the passcode is off (`*`: all)."""

    providers: list[ProviderView]
    passcode_off_domains: list[str]


class StartRequest(msgspec.Struct, rename="camel"):
    return_to: str = "/"


class StartAnswer(msgspec.Struct, rename="camel"):
    authorization_url: str


def binding_cookie(value: str, *, max_age: int) -> Cookie:
    return Cookie(key=BINDING_COOKIE, value=value, path="/", secure=True, httponly=True, samesite="lax",
                  max_age=max_age)


class FederatedSignInController(Controller):
    path = "/api/auth"
    dependencies = {"services": Provide(provide_services)}
    tags = ["sign-in"]

    @get("/methods", summary="The ways to sign in that the organisation allows")
    async def methods(self, services: ServicesDependency) -> SignInMethods:
        return SignInMethods(
            providers=[ProviderView(id=p.id, name=p.name) for p in services.federated.providers],
            passcode_off_domains=sorted(services.settings.passcode_off_domains),
        )

    @post("/oidc/{provider_id:str}/start", status_code=200, summary="Start a sign-in with an identity provider")
    async def start(self, provider_id: FromPath[str], data: JSONBody[StartRequest],
                    services: ServicesDependency) -> Response[StartAnswer]:
        started = await services.federated.start(provider_id[:32], return_to=data.return_to)
        response = Response(StartAnswer(authorization_url=started.authorization_url))
        response.set_cookie(binding_cookie(started.binding, max_age=FLOW_SECONDS))
        return response

    @get("/oidc/callback", summary="Where the identity provider sends the browser back", cache_control=None)
    async def callback(self, request: Request[Any, Any, Any], services: ServicesDependency) -> Redirect:
        # `state`, `code`, `error` (RFC 6749 4.1.2) read by hand: Litestar reserves `state` as a parameter name.
        query = request.query_params
        try:
            finished = await services.federated.finish(
                state=query.get("state", ""), code=query.get("code", ""), error=query.get("error", ""),
                binding=request.cookies.get(BINDING_COOKIE, ""),
                session_id=raw_session_id(request),
                device_name=device_name_from_user_agent(request.headers.get("user-agent", "")),
            )
        except FederatedSignInRefused as refused:
            public = PUBLIC_REFUSALS.get(refused.reason, FederatedSignInRefused.code)
            redirect = Redirect(f"/sign-in?signin-refused={quote(public)}", status_code=303)
        else:
            redirect = Redirect(finished.return_to, status_code=303)
            redirect.set_cookie(session_cookie(finished.grant.session_id,
                                               max_age=services.settings.session_absolute_hours * 3600))
        redirect.set_cookie(binding_cookie("", max_age=0))
        return redirect
