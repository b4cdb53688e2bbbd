"""Read a message for display: the header fields, the sanitized body, the attachment list.

Only the parts needed are decrypted (by the envelope's index); the HTML body goes through the render
room's allow-list sanitizer, and inline `cid:` images become `data:` URLs because the viewer frame is
sandboxed with an opaque origin that can carry no session.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import msgspec

from mailseal import format as fmt
from mailseal import render
from mailseal.mail.addresses import display_name
from mailseal.messages.display_model import AttachmentView, NestedMessageView, PartNote, display
from mailseal.messages.open import OpenMessage
from mailseal.messages.part_body import decode_all, decode_stream

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_INLINE_IMAGE_BYTES = 2 * 1024 * 1024
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


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


def part_bytes(opened: OpenMessage, part: fmt.Part) -> Iterator[bytes]:
    """The decoded bytes of one leaf, streamed from the envelope (random access by chunk)."""
    return decode_stream(opened.envelope.read_range(part.start, part.end), part.transfer_encoding)


def _is_inline_image(part: fmt.Part) -> bool:
    return part.content_type.lower() in INLINE_IMAGE_TYPES and bool(part.content_id)


def _is_attachment(part: fmt.Part) -> bool:
    if part.disposition.lower() == "attachment":
        return True
    return not part.content_type.lower().startswith("text/") and not _is_inline_image(part)


def _estimated_size(part: fmt.Part) -> int:
    length = part.end - part.start
    if part.transfer_encoding.lower() == "base64":
        return length * 57 // 78
    return length


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


def embedded_images(index: fmt.MessageIndex) -> frozenset[int]:
    """The inline images (by part number) the HTML body shows as `data:` URLs: in order, while their
    estimated sizes fit the budget. The others, like the inline images of a message shown as text, are
    offered as attachments (a phone's mail app sends photos inline, often several MB each)."""
    html, _ = body_parts(index)
    if html is None or too_large_to_show(html):
        return frozenset()
    chosen = []
    budget = MAX_INLINE_IMAGE_BYTES
    for number, part in enumerate(index.parts):
        if _is_inline_image(part) and _estimated_size(part) <= budget:
            chosen.append(number)
            budget -= _estimated_size(part)
    return frozenset(chosen)


def attachment_list(index: fmt.MessageIndex, *, do_not_forward: bool) -> tuple[AttachmentView, ...]:
    html, text = body_parts(index)
    embedded = embedded_images(index)
    views = []
    for number, part in enumerate(index.parts):
        name = part.filename or None
        if part is html or part is text:
            if not too_large_to_show(part):
                continue
            name = name or ("message.html" if part is html else "message.txt")
        elif not _is_attachment(part) and not (_is_inline_image(part) and number not in embedded):
            continue
        content_type = render.safe_content_type(part.content_type)
        views.append(
            AttachmentView(
                index=number,
                filename=render.safe_filename(name),
                content_type=content_type,
                size=_estimated_size(part),
                inline=do_not_forward or render.is_inline_viewable(content_type),
            )
        )
    return tuple(views)


def _decode_text(opened: OpenMessage, part: fmt.Part) -> str:
    raw = decode_all(opened.envelope.read_range(part.start, part.end), part.transfer_encoding, limit=MAX_BODY_BYTES)
    charset = part.charset or "utf-8"
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def _cid_resolver(opened: OpenMessage) -> dict[str, str]:
    """The embedded inline images by Content-ID, as data: URLs."""
    found: dict[str, str] = {}
    parts = opened.envelope.index.parts
    for number in sorted(embedded_images(opened.envelope.index)):
        part = parts[number]
        # The encoded length bounds the decoded one for every transfer encoding, so this never refuses an
        # image `embedded_images` chose (a per-image cap could, and the image would be neither shown nor
        # offered); the budget was kept there, by estimate.
        encoded = opened.envelope.read_range(part.start, part.end)
        data = decode_all(encoded, part.transfer_encoding, limit=part.end - part.start)
        kind = part.content_type.lower()
        found[part.content_id.strip("<> ").lower()] = f"data:{kind};base64,{base64.b64encode(data).decode()}"
    return found


def render_message(opened: OpenMessage, *, thread_id: str, api_origin: str) -> RenderedMessage:
    envelope = opened.envelope
    header, index = envelope.header, envelope.index
    shown = display(opened, api_origin=api_origin)
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
