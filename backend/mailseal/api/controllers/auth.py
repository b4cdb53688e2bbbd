"""Sign-in by one-time passcode: ask for a code, verify it, sign out."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.background_tasks import BackgroundTask
from litestar.di import Provide
from litestar.params import JSONBody

from mailseal.api.client_address import client_address
from mailseal.api.me import MeView, me_view
from mailseal.api.session import cleared_session_cookie, raw_session_id, session_cookie
from mailseal.api.state import ServicesDependency, provide_services
from mailseal.identity import device_name_from_user_agent
from mailseal.languages import negotiate


class CodeRequest(msgspec.Struct):
    email: str = msgspec.field()


class CodeSent(msgspec.Struct, rename="camel"):
    """The same for every address. `code_length`: the digits of the codes mailed for it now (8, or 16
    while too many guesses have failed there); the code in the newest mail works, whoever asked for it."""

    reference: str
    expires_in_minutes: int
    code_length: int = 8


class VerifyRequest(msgspec.Struct):
    email: str
    code: str


def client_of(request: Request[Any, Any, Any]) -> str:
    return client_address(request, request.app.state.services.settings.trusted_proxies)


class AuthController(Controller):
    path = "/api/auth"
    dependencies = {"services": Provide(provide_services)}
    tags = ["sign-in"]

    @post("/code", status_code=202, summary="Send a one-time passcode to an address")
    async def request_code(self, data: JSONBody[CodeRequest], request: Request[Any, Any, Any],
                           services: ServicesDependency) -> Response[CodeSent]:
        # The mail speaks the app's language: it sends the one the person chose as Accept-Language.
        language = negotiate(request.headers.get("accept-language"), default=services.settings.mail_languages[0])
        requested = await services.identity.ask_for_code(data.email[:320], client=client_of(request), language=language)
        # The mail is queued after the answer has gone, whether or not one goes out: same time either way.
        answer = CodeSent(reference=requested.reference, expires_in_minutes=services.settings.code_ttl_minutes,
                          code_length=requested.code_length)
        return Response(answer, status_code=202, background=BackgroundTask(requested.send))

    @post("/verify", status_code=200, summary="Verify the passcode; starts or extends the session")
    async def verify(self, data: JSONBody[VerifyRequest], request: Request[Any, Any, Any],
                     services: ServicesDependency) -> Response[MeView]:
        grant = await services.identity.verify_code(
            data.email[:320], data.code[:64], client=client_of(request), session_id=raw_session_id(request),
            device_name=device_name_from_user_agent(request.headers.get("user-agent", "")),
        )
        view = await me_view(services, grant.session)
        response = Response(view)
        response.set_cookie(session_cookie(grant.session_id, max_age=services.settings.session_absolute_hours * 3600))
        return response

    @post("/logout", status_code=204, summary="Sign this device out")
    async def logout(self, request: Request[Any, Any, Any], services: ServicesDependency) -> Response[None]:
        session_id = raw_session_id(request)
        if session_id:
            session = await services.identity.get_session(session_id)
            await services.identity.logout(session_id)
            if session is not None:
                await services.push.forget_device(session.device_id)
        response: Response[None] = Response(None, status_code=204)
        response.set_cookie(cleared_session_cookie())
        return response
