"""The `Me` view: who is signed in on this device (shared by the auth and me controllers)."""

from __future__ import annotations

import msgspec

from mailseal.api.state import Services
from mailseal.identity.models import Session


class DeviceRef(msgspec.Struct):
    id: str
    name: str


class MeView(msgspec.Struct, rename="camel"):
    addresses: tuple[str, ...]
    device: DeviceRef
    forward_address: str | None = None


async def me_view(services: Services, session: Session) -> MeView:
    devices = await services.identity.devices(session)
    current = next((d for d in devices if d.current), None)
    forward = await services.forward.address_for(session.addresses)
    return MeView(
        addresses=session.addresses,
        device=DeviceRef(id=session.device_id, name=current.name if current else ""),
        forward_address=forward,
    )
