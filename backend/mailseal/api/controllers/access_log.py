"""The access log: a message's recorded events for the people it is about, the sender's sent messages,
and a revoke by the sender from the app. The flows decide who sees what (`messages.access_log`)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.di import Provide
from litestar.params import FromPath, QueryParameter

from mailseal.api.state import ServicesDependency, SessionDependency, identity_of, provide_services, provide_session
from mailseal.messages.access_log import PAGE_LIMIT, message_log, person_log, sent_messages, state_of
from mailseal.messages.revoke import revoke_as_sender

_CURSOR_LENGTH = 40


class AccessEventView(msgspec.Struct, frozen=True, rename="camel"):
    kind: str
    at: int
    address: str
    device: str
    this_device: bool
    device_signed_out: bool
    outcome: str
    by: str
    via: str


class MessageLogView(msgspec.Struct, frozen=True, rename="camel"):
    message_id: str
    role: str
    sender: str
    recipients: tuple[str, ...]
    created_at: int
    state: str
    subject: str
    events: list[AccessEventView]


class LogPageView(msgspec.Struct, frozen=True):
    messages: list[MessageLogView]
    next: str


class RecipientOpensView(msgspec.Struct, frozen=True, rename="camel"):
    address: str
    delivered_at: int | None
    first_opened_at: int | None
    last_opened_at: int | None
    opens: int


class SentMessageView(msgspec.Struct, frozen=True, rename="camel"):
    message_id: str
    subject: str
    created_at: int
    state: str
    template: str
    recipients: list[RecipientOpensView]


class SentPageView(msgspec.Struct, frozen=True):
    messages: list[SentMessageView]
    next: str


class RevokedView(msgspec.Struct, frozen=True, rename="camel"):
    message_id: str
    state: str
    revoked_at: int | None


class AccessLogController(Controller):
    path = "/api"
    dependencies = {"services": Provide(provide_services), "session": Provide(provide_session)}
    tags = ["access log"]

    @get("/messages/{message_id:str}/access-log", summary="What is recorded about one message, for its reader")
    async def of_message(
        self, message_id: FromPath[str], services: ServicesDependency, session: SessionDependency
    ) -> MessageLogView:
        found = await message_log(services.instance.messages, services.summaries, message_id, identity_of(session))
        return msgspec.convert(found, MessageLogView, from_attributes=True)

    @get("/access-log", summary="What is recorded about every message of this person, newest first, paged")
    async def of_person(
        self,
        services: ServicesDependency,
        session: SessionDependency,
        before: Annotated[str | None, QueryParameter(max_length=_CURSOR_LENGTH)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=PAGE_LIMIT)] = 20,
    ) -> LogPageView:
        page = await person_log(
            services.instance.messages, services.summaries, identity_of(session), before=before, limit=limit
        )
        return msgspec.convert(page, LogPageView, from_attributes=True)

    @get("/sent", summary="The messages this person sent, newest first, with who opened each and when")
    async def sent(
        self,
        services: ServicesDependency,
        session: SessionDependency,
        before: Annotated[str | None, QueryParameter(max_length=_CURSOR_LENGTH)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=PAGE_LIMIT)] = 20,
    ) -> SentPageView:
        page = await sent_messages(
            services.instance.messages, services.summaries, identity_of(session), before=before, limit=limit
        )
        return msgspec.convert(page, SentPageView, from_attributes=True)

    @post("/sent/{message_id:str}/revoke", status_code=200, summary="Revoke a message this person sent")
    async def revoke(
        self, message_id: FromPath[str], services: ServicesDependency, session: SessionDependency
    ) -> RevokedView:
        keys = services.instance.keys
        record = await revoke_as_sender(
            keys, services.summaries, services.views, message_id.strip().lower()[:64], identity_of(session)
        )
        return RevokedView(record.message_id, state_of(record, keys.clock()), record.revoked_at)
