"""Messages: the inbox, receiving a shared envelope, opening one for display, its attachments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Stream

from mailseal import format as fmt
from mailseal import render
from mailseal.api.state import (
    Services,
    ServicesDependency,
    SessionDependency,
    identity_of,
    provide_services,
    provide_session,
)
from mailseal.errors import BadInboxLimit, NotFound, TooLarge
from mailseal.identity.models import Session
from mailseal.messages.charsets import response_charset
from mailseal.messages.display import MessageView, RenderedMessage, stream_pieces
from mailseal.messages.display_layout import LeafBytes, Offer
from mailseal.messages.inbox import DEFAULT_PAGE, MAX_PAGE, InboxItem, list_inbox
from mailseal.messages.ingest import ingest_record, recognise_upload
from mailseal.messages.open import open_envelope
from mailseal.messages.read import read_message
from mailseal.messages.unpack import offered_file_off_loop


class Inbox(msgspec.Struct, rename="camel"):
    """A page of the inbox. `next_cursor` (None on the last page) asks for the next one; `total` and
    `unread` count the whole inbox (kept per address: a message two of one's addresses hold counts twice)."""

    messages: list[InboxItem]
    next_cursor: str | None = None
    total: int = 0
    unread: int = 0


def page_size(limit: str | None) -> int:
    """The `limit` query parameter: a whole number of messages per page, 1 to MAX_PAGE."""
    if limit is None or limit == "":
        return DEFAULT_PAGE
    if not limit.isascii() or not limit.isdigit() or len(limit) > 4 or not 1 <= int(limit) <= MAX_PAGE:
        raise BadInboxLimit(f"limit must be a whole number from 1 to {MAX_PAGE}")
    return int(limit)


class Created(msgspec.Struct):
    id: str


@dataclass
class UploadForm:
    file: UploadFile


async def read_upload(upload: UploadFile, limit: int) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"The file is larger than {limit // (1024 * 1024)} MiB")
    return data


async def receive_shared(services: Services, session: Session, data: bytes, *, via: str) -> tuple[str, bool]:
    deps = services.instance.messages
    record = await recognise_upload(deps, services.jobs, data, signed_in=True)
    result = await ingest_record(deps, record, identity_of(session), via=via)
    return result.message_id, result.added


async def load_view(services: Services, session: Session, message_id: str, *, with_html: bool) -> RenderedMessage:
    return await read_message(
        services.instance.messages, services.views, services.jobs, message_id, identity_of(session),
        with_html=with_html,
    )


def declared_charset(envelope: fmt.OpenedEnvelope, offer: Offer) -> str | None:
    """The charset a text leaf declares (the one it was found in is `offer.charset`)."""
    if not isinstance(offer.source, LeafBytes):
        return None
    return envelope.index.parts[offer.source.number].charset or None


class MessagesController(Controller):
    path = "/api/messages"
    dependencies = {"services": Provide(provide_services), "session": Provide(provide_session)}
    tags = ["messages"]

    @get("/", summary="A page of the inbox of every verified address, newest first")
    async def inbox(
        self, services: ServicesDependency, session: SessionDependency,
        cursor: FromQuery[str | None] = None, limit: FromQuery[str | None] = None,
    ) -> Inbox:
        size = page_size(limit)
        before = services.cursors.read(cursor) if cursor else None
        page = await list_inbox(services.instance.messages, identity_of(session), services.summaries,
                                limit=size, before=before)
        following = services.cursors.make(page.next_position) if page.next_position else None
        return Inbox(messages=page.items, next_cursor=following, total=page.counts.messages,
                     unread=page.counts.unread)

    @post("/", summary="Receive a shared message.html, raw envelope or .eml carrying one")
    async def upload(
        self,
        data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        services: ServicesDependency,
        session: SessionDependency,
    ) -> Response[Created]:
        raw = await read_upload(data.file, services.settings.max_upload_bytes)
        message_id, _ = await receive_shared(services, session, raw, via="share")
        return Response(Created(id=message_id), status_code=201)

    @get("/{message_id:str}", summary="Open a message for display (sanitized)")
    async def read(
        self, message_id: FromPath[str], services: ServicesDependency, session: SessionDependency
    ) -> MessageView:
        return (await load_view(services, session, message_id, with_html=False)).view

    @get("/{message_id:str}/body", summary="The sanitized HTML body, for the viewer's sandboxed frame")
    async def body(
        self, message_id: FromPath[str], services: ServicesDependency, session: SessionDependency,
        nested: FromQuery[int | None] = None,
    ) -> Response[bytes]:
        rendered = await load_view(services, session, message_id, with_html=True)
        document = rendered.html
        if nested is not None:  # an attached message's body (`bodyUrl` of a nested view)
            document = rendered.documents[nested] if 0 <= nested < len(rendered.documents) else None
        if document is None:
            raise NotFound("This message has no HTML body")
        return Response(
            document.encode(),
            media_type="text/html",  # Litestar adds the one charset, utf-8
            headers={"Content-Security-Policy": render.viewer_csp(for_header=True), "X-Frame-Options": "SAMEORIGIN"},
        )

    @get("/{message_id:str}/attachments/{index:int}", summary="Stream one attachment, decoded")
    async def attachment(
        self,
        message_id: FromPath[str],
        index: FromPath[int],
        services: ServicesDependency,
        session: SessionDependency,
    ) -> Stream:
        deps = services.instance.messages
        context = open_envelope(deps, message_id, identity_of(session), purpose="attachment")
        opened = await context.__aenter__()
        try:
            envelope = opened.envelope
            do_not_forward = envelope.header.policy.template == "do-not-forward"
            found = await offered_file_off_loop(services.jobs, opened, index)
            if found is None:
                raise NotFound("No such attachment")
            offer, chunks = found
        except BaseException:
            await context.__aexit__(None, None, None)
            raise

        async def body() -> AsyncIterator[bytes]:
            try:
                async for piece in stream_pieces(deps.blobs, chunks):
                    yield piece
            finally:
                await context.__aexit__(None, None, None)

        media_type = render.safe_content_type(offer.content_type)
        inline = do_not_forward or render.is_inline_viewable(media_type)
        filename = render.safe_filename(offer.filename)
        return Stream(
            body(),
            media_type=media_type,
            # Litestar names it as the charset of a text/* type
            encoding=render.safe_charset(response_charset(offer.charset, declared_charset(opened.envelope, offer))),
            headers={
                "Content-Disposition": render.content_disposition(filename, inline=inline),
                "Content-Security-Policy": "sandbox; default-src 'none'",
            },
        )
