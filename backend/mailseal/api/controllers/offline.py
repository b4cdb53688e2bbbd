"""Offline reading: the organisation's policy for kept copies, and the state of each copy a device keeps."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, post
from litestar.di import Provide
from litestar.params import JSONBody

from mailseal.api.state import ServicesDependency, SessionDependency, identity_of, provide_services, provide_session
from mailseal.composition import Services, templates_of
from mailseal.config import MiB
from mailseal.messages.offline import MAX_KEPT_IDS, OfflinePolicy, confirm_kept


class KeptIds(msgspec.Struct, frozen=True):
    ids: Annotated[list[Annotated[str, msgspec.Meta(max_length=100)]], msgspec.Meta(max_length=MAX_KEPT_IDS)]


class PolicyView(msgspec.Struct, frozen=True, rename="camel"):
    enabled: bool
    attachment_max_bytes: int
    store_max_bytes: int
    confirm_days: int


class KeptView(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    state: str
    keep: bool
    expires_at: int | None = None


class Confirmation(msgspec.Struct, frozen=True, rename="camel"):
    policy: PolicyView
    messages: list[KeptView]
    checked_at: int


def offline_policy(services: Services) -> OfflinePolicy:
    settings = services.settings
    return OfflinePolicy(
        enabled=settings.offline_reading,
        attachment_max_bytes=settings.offline_attachment_max_bytes,
        store_max_bytes=settings.offline_store_max_mib * MiB,
        confirm_days=settings.offline_confirm_days,
    )


class OfflineController(Controller):
    path = "/api/offline"
    dependencies = {"services": Provide(provide_services), "session": Provide(provide_session)}
    tags = ["offline"]

    @post("/confirm", status_code=200, summary="The policy for offline copies, and the state of each kept one")
    async def confirm(
        self, data: JSONBody[KeptIds], services: ServicesDependency, session: SessionDependency
    ) -> Confirmation:
        policy = offline_policy(services)
        keys = services.instance.messages.keys
        states = await confirm_kept(
            keys, identity_of(session), data.ids, templates=templates_of(services.rules), policy=policy
        )
        return Confirmation(
            policy=PolicyView(policy.enabled, policy.attachment_max_bytes, policy.store_max_bytes, policy.confirm_days),
            messages=[KeptView(s.message_id, s.state, s.keep, s.expires_at) for s in states],
            checked_at=int(keys.clock()),
        )
