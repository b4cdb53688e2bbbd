"""Answers to a message: reply, reply all, forward; whom they would go to; the message's conversation.

The client sends only the text, the files and (for a forward) one address; the recipients, subject,
template and rights come from the server's record of the original (`messages.reply`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery

from mailseal.api.controllers.messages import read_upload
from mailseal.api.state import (
    ServicesDependency,
    SessionDependency,
    identity_of,
    provide_services,
    provide_session,
)
from mailseal.errors import InputError, TooLarge
from mailseal.messages.reply import (
    MAX_FILES,
    Draft,
    Kind,
    Recipients,
    Sent,
    preview,
    send_forward,
    send_reply,
)
from mailseal.messages.reply_mail import NewFile
from mailseal.messages.threads import Thread, thread_of

# The text, the reply-all flag or address, up to MAX_FILES files, and room for a few more to refuse politely.
FORM_PARTS = MAX_FILES + 6
TRUE_WORDS = frozenset({"1", "true", "on", "yes"})
MULTIPART = Body(media_type=RequestEncodingType.MULTI_PART, multipart_form_part_limit=FORM_PARTS)


@dataclass
class ReplyForm:
    body: str = ""
    replyAll: str = ""  # the form field's name on the wire
    files: list[UploadFile] = field(default_factory=list)


@dataclass
class ForwardForm:
    to: str = ""
    body: str = ""
    files: list[UploadFile] = field(default_factory=list)


async def read_files(uploads: list[UploadFile], limit: int) -> tuple[NewFile, ...]:
    """The uploaded files within the count and the total size limit."""
    if len(uploads) > MAX_FILES:
        raise InputError(f"At most {MAX_FILES} files can be attached")
    files = []
    left = limit
    for upload in uploads:
        try:
            data = await read_upload(upload, left)
        except TooLarge:
            raise TooLarge(f"The attachments are larger than {limit // (1024 * 1024)} MiB together") from None
        left -= len(data)
        files.append(NewFile(filename=upload.filename or "", content_type=upload.content_type or "", data=data))
    return tuple(files)


def _kind(flag: str | None) -> Kind:
    return "reply-all" if (flag or "").strip().lower() in TRUE_WORDS else "reply"


class RepliesController(Controller):
    path = "/api/messages"
    dependencies = {"services": Provide(provide_services), "session": Provide(provide_session)}
    tags = ["messages"]

    @post("/{message_id:str}/reply", summary="Seal and send a reply (replyAll=1: to every other party)")
    async def reply(
        self,
        message_id: FromPath[str],
        data: Annotated[ReplyForm, MULTIPART],
        services: ServicesDependency,
        session: SessionDependency,
    ) -> Response[Sent]:
        draft = Draft(body=data.body, files=await read_files(data.files, services.settings.max_upload_bytes))
        sent = await send_reply(services.instance.messages, services.delivery, message_id, identity_of(session),
                                draft, reply_all=_kind(data.replyAll) == "reply-all")
        return Response(sent, status_code=201)

    @post("/{message_id:str}/forward", summary="Seal the message with a note for one new address (if allowed)")
    async def forward(
        self,
        message_id: FromPath[str],
        data: Annotated[ForwardForm, MULTIPART],
        services: ServicesDependency,
        session: SessionDependency,
    ) -> Response[Sent]:
        draft = Draft(body=data.body, files=await read_files(data.files, services.settings.max_upload_bytes))
        sent = await send_forward(services.instance.messages, services.delivery, message_id, identity_of(session),
                                  draft, to=data.to)
        return Response(sent, status_code=201)

    @get("/{message_id:str}/reply-recipients", summary="Whom a reply (all=1: to all; forward=1) would go to")
    async def recipients(
        self,
        message_id: FromPath[str],
        services: ServicesDependency,
        session: SessionDependency,
        all: FromQuery[str | None] = None,  # the query parameter `?all=1`
        forward: FromQuery[str | None] = None,
    ) -> Recipients:
        kind: Kind = "forward" if (forward or "").strip().lower() in TRUE_WORDS else _kind(all)
        return await preview(services.instance.messages, services.delivery, message_id, identity_of(session), kind)

    @get("/{message_id:str}/thread", summary="The conversation: the thread's messages you may open, oldest first")
    async def thread(
        self, message_id: FromPath[str], services: ServicesDependency, session: SessionDependency
    ) -> Thread:
        return await thread_of(services.instance.messages, message_id, identity_of(session), services.summaries)
