"""The sign-in page's line about a message link: who sent it, how it is protected, until when.

Only what the wrapper mail (and the `message.html` in it) already shows anyone holding the link: the
sender's address, the template, the expiry. No subject, no recipients, nothing decrypted, no key unwrapped;
the message id (128 random bits) is the capability. Withdrawn, expired and unknown messages all answer
404, so the answer says nothing the sign-in would not.
"""

from __future__ import annotations

import time

import msgspec
from litestar import Controller, get
from litestar.di import Provide
from litestar.params import FromPath

from mailseal.api.state import ServicesDependency, provide_services
from mailseal.errors import MailsealError, NotFound


class Invitation(msgspec.Struct, frozen=True, rename="camel"):
    sender: str
    template: str
    expires_at: int | None = None


class InvitationsController(Controller):
    path = "/api/invitations"
    dependencies = {"services": Provide(provide_services)}
    tags = ["messages"]

    @get("/{message_id:str}", summary="Who sent the message behind a link (no sign-in; what the wrapper mail shows)")
    async def invitation(self, message_id: FromPath[str], services: ServicesDependency) -> Invitation:
        try:
            record = await services.instance.messages.keys.record(message_id)
        except MailsealError as error:
            raise NotFound("No such message") from error
        gone = record.revoked_at is not None or record.destroyed
        if gone or (record.expires_at is not None and record.expires_at <= time.time()):
            raise NotFound("No such message")
        return Invitation(sender=record.sender, template=record.template, expires_at=record.expires_at)
