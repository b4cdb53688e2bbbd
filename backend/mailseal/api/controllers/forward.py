"""The signed-in person's forward address: make a new one (the old one stops working)."""

from __future__ import annotations

import msgspec
from litestar import Controller, post
from litestar.di import Provide

from mailseal.api.state import ServicesDependency, SessionDependency, provide_services, provide_session


class ForwardAddressView(msgspec.Struct, frozen=True, rename="camel"):
    forward_address: str


class ForwardAddressController(Controller):
    path = "/api/me/forward-address"
    dependencies = {"services": Provide(provide_services), "session": Provide(provide_session)}
    tags = ["me"]

    @post("/", status_code=200, summary="Make a new personal forward address; the old one is refused from now on")
    async def regenerate(self, services: ServicesDependency, session: SessionDependency) -> ForwardAddressView:
        return ForwardAddressView(forward_address=await services.forward.regenerate(session.addresses))
