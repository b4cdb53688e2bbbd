"""Read a message for display: the header fields, the sanitized body, the attachment list, the notes and
the attached messages (the rule: docs/display.md; the model: `display_model`).

Only the parts needed are decrypted (by the envelope's index); the HTML body goes through the render
room's allow-list sanitizer, and inline `cid:` images become `data:` URLs because the viewer frame is
sandboxed with an opaque origin that can carry no session.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import msgspec

from mailseal import format as fmt
from mailseal.mail.addresses import display_name
from mailseal.messages.display_model import AttachmentView, NestedMessageView, PartNote, display
from mailseal.messages.open import OpenMessage
from mailseal.storage.blobs import BlobStore

MAX_BODY_BYTES = 5 * 1024 * 1024


class MessageView(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    thread_id: str
    subject: str
    from_: str = msgspec.field(name="from")
    from_name: str = ""
    sender: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    date: str = ""
    body_url: str | None = None
    text: str | None = None
    # The HTML or text body is too large to show here: it is in `attachments` instead, to save or open.
    body_too_large: bool = False
    remote_images_blocked: int = 0
    attachments: tuple[AttachmentView, ...] = ()
    template: str = ""
    rights: tuple[str, ...] = ()
    expires_at: int | None = None
    in_reply_to: str = ""
    message_id_header: str = ""
    # What else the message holds (docs/display.md): one-line notes, and attached messages shown in place.
    notes: tuple[PartNote, ...] = ()
    nested: tuple[NestedMessageView, ...] = ()


class RenderedMessage(msgspec.Struct, frozen=True):
    """A message rendered once: the view the app reads, and the sanitized HTML document its frame loads
    from `view.body_url` (kept out of the view, so an open does not carry the body twice)."""

    view: MessageView
    html: str | None = None
    documents: tuple[str, ...] = ()  # the attached messages' body documents, `body?nested=n`


def too_large_to_show(part: fmt.Part) -> bool:
    """A body too large to show on screen (its encoded length bounds its decoded length): it is offered
    as an attachment instead, so the message still opens and nothing in it is out of reach."""
    return part.end - part.start > MAX_BODY_BYTES


def body_parts(index: fmt.MessageIndex) -> tuple[fmt.Part | None, fmt.Part | None]:
    """The first HTML and the first plain-text leaf that are not attachments.

    In document order the message's own body comes before any attached message's, so the first wins.
    """
    html = text = None
    for part in index.parts:
        if part.disposition.lower() == "attachment" or part.filename:
            continue
        kind = part.content_type.lower()
        if kind == "text/html" and html is None:
            html = part
        elif kind == "text/plain" and text is None:
            text = part
    return html, text


async def stream_pieces(store: BlobStore, pieces: Iterator[bytes]) -> AsyncIterator[bytes]:
    """An offered file's bytes (`display_model.offered_file`: a part, an attached message, a uuencoded or
    TNEF file) for async code: each piece read inline from a local store (yielding to the loop between
    pieces), or in a worker thread from a remote one, whose reads are network round trips."""
    if store.local:
        for piece in pieces:
            yield piece
            await asyncio.sleep(0)
        return
    while (fetched := await asyncio.to_thread(_next_piece, pieces)) is not None:
        yield fetched


def _next_piece(pieces: Iterator[bytes]) -> bytes | None:
    return next(pieces, None)


def render_message(opened: OpenMessage, *, thread_id: str) -> RenderedMessage:
    envelope = opened.envelope
    header, index = envelope.header, envelope.index
    shown = display(opened)
    policy = header.policy
    view = MessageView(
        id=header.id,
        thread_id=thread_id,
        subject=shown.subject,
        from_=header.sender,
        from_name=shown.from_name or display_name(index.from_),
        sender=header.sender,
        to=tuple(header.recipients),
        cc=tuple(a.strip() for a in index.cc.split(",") if a.strip()),
        date=index.date,
        body_url=f"/api/messages/{header.id}/body" if shown.body.document is not None else None,
        text=shown.body.text,
        body_too_large=shown.body_too_large,
        remote_images_blocked=shown.body.remote_images_blocked,
        attachments=shown.attachments,
        template=policy.template,
        rights=tuple(policy.rights),
        expires_at=policy.expires_at,
        in_reply_to=index.in_reply_to,
        message_id_header=index.message_id_header,
        notes=shown.notes,
        nested=shown.nested,
    )
    return RenderedMessage(view=view, html=shown.body.document, documents=shown.documents)
