"""The signed-in person: addresses, devices, sign-out of other devices."""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get
from litestar.di import Provide
from litestar.params import FromPath

from mailseal.api.me import MeView, me_view
from mailseal.api.state import ServicesDependency, SessionDependency, provide_services, provide_session


class DeviceView(msgspec.Struct, rename="camel"):
    id: str
    name: str
    created_at: int
    last_seen_at: int
    current: bool


class DeviceList(msgspec.Struct):
    devices: list[DeviceView]


class MeController(Controller):
    path = "/api"
    dependencies = {"services": Provide(provide_services), "session": Provide(provide_session)}
    tags = ["me"]

    @get("/me", summary="Who is signed in on this device")
    async def me(self, services: ServicesDependency, session: SessionDependency) -> MeView:
        return await me_view(services, session)

    @get("/devices", summary="This person's signed-in devices")
    async def devices(self, services: ServicesDependency, session: SessionDependency) -> DeviceList:
        found = await services.identity.devices(session)
        return DeviceList(devices=[DeviceView(d.id, d.name, d.created_at, d.last_seen_at, d.current) for d in found])

    @delete("/devices/{device_id:str}", status_code=204, summary="Sign a device out")
    async def sign_out_device(
        self, device_id: FromPath[str], services: ServicesDependency, session: SessionDependency
    ) -> None:
        await services.identity.sign_out_device(session, device_id)
        await services.push.forget_device(device_id)

    @delete("/me/addresses/{address:str}", status_code=204, summary="Remove a verified address from this session")
    async def remove_address(
        self, address: FromPath[str], services: ServicesDependency, session: SessionDependency
    ) -> None:
        await services.identity.remove_address(session, address)
