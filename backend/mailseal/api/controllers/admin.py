"""The organisation's admin API: list sealed messages, revoke one, read the audit trail.

Every handler needs `Authorization: Bearer <token>` (a token from `mailseal admin token`), checked by
the controller's guard. No cookie is read, so the CSRF cookie check is off for these handlers: a browser
never attaches a bearer token on its own.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, QueryParameter

from mailseal.admin_tokens import AdminToken
from mailseal.api.state import Services, ServicesDependency, provide_services
from mailseal.errors import AdminTokenRequired
from mailseal.keys import AuditEntry, SealRecord
from mailseal.messages.revoke import revoke_message

NO_CSRF = {"exclude_from_csrf": True}
STATE_KEY = "admin_token"
MAX_LIMIT = 1000


class AdminMessage(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    sender: str
    recipients: tuple[str, ...]
    template: str
    rights: tuple[str, ...]
    created_at: int
    expires_at: int | None
    revoked_at: int | None
    state: str


class AdminMessages(msgspec.Struct, frozen=True):
    messages: list[AdminMessage]


class AuditView(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    at: int
    action: str
    message_id: str | None
    actor: str
    outcome: str
    detail: str


class AuditTrail(msgspec.Struct, frozen=True):
    entries: list[AuditView]


def admin_message(record: SealRecord) -> AdminMessage:
    if record.revoked_at is not None:
        state = "revoked"
    elif record.destroyed:
        state = "expired"
    else:
        state = "ok"
    return AdminMessage(
        id=record.message_id,
        sender=record.sender,
        recipients=record.recipients,
        template=record.template,
        rights=record.rights,
        created_at=record.created_at,
        expires_at=record.expires_at,
        revoked_at=record.revoked_at,
        state=state,
    )


def audit_view(entry: AuditEntry) -> AuditView:
    return AuditView(entry.id, entry.at, entry.action, entry.message_id, entry.actor, entry.outcome, entry.detail)


async def admin_guard(connection: ASGIConnection[object, object, object, State], _: BaseRouteHandler) -> None:
    scheme, _sep, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AdminTokenRequired()
    services: Services = connection.app.state.services
    connection.state[STATE_KEY] = await services.admin_tokens.verify(token.strip())


async def provide_admin(request: Request[object, object, State]) -> AdminToken:
    token = request.state.get(STATE_KEY)
    if not isinstance(token, AdminToken):
        raise AdminTokenRequired()
    return token


class AdminController(Controller):
    path = "/api/admin"
    guards = [admin_guard]
    dependencies = {"services": Provide(provide_services), "admin": Provide(provide_admin)}
    tags = ["admin"]

    @get("/messages", opt=NO_CSRF, summary="Sealed messages, newest first")
    async def messages(
        self,
        services: ServicesDependency,
        admin: NamedDependency[AdminToken],
        sender: Annotated[str | None, QueryParameter(max_length=320)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 200,
    ) -> AdminMessages:
        records = await services.instance.keys.list_records(limit=limit, sender=sender)
        return AdminMessages(messages=[admin_message(record) for record in records])

    @post("/messages/{message_id:str}/revoke", status_code=200, opt=NO_CSRF,
          summary="Revoke a message: its content key is destroyed, every copy is dead")
    async def revoke(
        self, message_id: FromPath[str], services: ServicesDependency, admin: NamedDependency[AdminToken]
    ) -> AdminMessage:
        record = await revoke_message(
            services.instance.keys, services.summaries, services.views, message_id.strip().lower()[:64],
            actor=f"admin:{admin.name}",
        )
        return admin_message(record)

    @get("/audit", opt=NO_CSRF, summary="The audit trail, oldest first")
    async def audit(
        self,
        services: ServicesDependency,
        admin: NamedDependency[AdminToken],
        message_id: Annotated[str | None, QueryParameter(name="messageId", max_length=64)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = MAX_LIMIT,
    ) -> AuditTrail:
        entries = await services.instance.keys.audit(message_id, limit=limit)
        return AuditTrail(entries=[audit_view(entry) for entry in entries])
