"""The display model of a sealed message: its layout (docs/display.md) turned into the views the app
reads — one body document per message (the top one and each attached one), the attachment lists, the
notes — and the bytes of any offered file, found again by its index.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterator

import msgspec

from mailseal import format as fmt
from mailseal import render
from mailseal.format.index import MAX_PARTS
from mailseal.mail.addresses import display_name
from mailseal.messages.charsets import decode_text, field_text
from mailseal.messages.display_layout import (
    MAX_BODY_BYTES,
    MAX_TNEF_BYTES,
    SHOWN_IMAGE_TYPES,
    Layout,
    LeafBytes,
    Offer,
    RawRange,
    ReadPart,
    TnefEntry,
    UuBlock,
    lay_out,
)
from mailseal.messages.display_tree import build_tree
from mailseal.messages.open import OpenMessage
from mailseal.messages.part_body import decode_all, decode_stream
from mailseal.messages.tnef import read_tnef
from mailseal.messages.uuencode import find_uuencoded

MAX_INLINE_IMAGE_BYTES = 2 * 1024 * 1024
CATCH_ALL_TYPE = "application/octet-stream"


class AttachmentView(msgspec.Struct, frozen=True, rename="camel"):
    index: int
    filename: str
    content_type: str
    size: int
    inline: bool


class PartNote(msgspec.Struct, frozen=True, rename="camel"):
    """A one-line note about a part: what it is, when it is not an ordinary text or file."""

    kind: str
    text: str
    attachment: int | None = None  # the index of the offered file it is about


class NestedMessageView(msgspec.Struct, frozen=True, rename="camel"):
    """A message attached to a message (a forward as an attachment, a digest's entries), shown in place."""

    subject: str = ""
    from_: str = msgspec.field(default="", name="from")
    from_name: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    date: str = ""
    body_url: str | None = None
    text: str | None = None
    body_too_large: bool = False
    remote_images_blocked: int = 0
    attachments: tuple[AttachmentView, ...] = ()
    notes: tuple[PartNote, ...] = ()
    nested: tuple[NestedMessageView, ...] = ()


class Body(msgspec.Struct, frozen=True):
    text: str | None = None
    document: str | None = None  # the sanitized HTML document for the viewer's frame
    remote_images_blocked: int = 0


class Displayed(msgspec.Struct, frozen=True):
    """The top message rendered: its body, attachments and notes, the attached messages' views, and the
    body documents of those (the n-th is served at `body?nested=n`)."""

    body: Body
    attachments: tuple[AttachmentView, ...]
    notes: tuple[PartNote, ...]
    nested: tuple[NestedMessageView, ...]
    documents: tuple[str, ...]
    body_too_large: bool
    subject: str
    from_name: str


def _catch_all(index: fmt.MessageIndex) -> bool:
    last = index.parts[-1]
    return len(index.parts) == MAX_PARTS and last.content_type == CATCH_ALL_TYPE and last.depth == 0


def _reader(opened: OpenMessage) -> ReadPart:
    def read(part: fmt.Part, limit: int) -> bytes:
        return decode_all(opened.envelope.read_range(part.start, part.end), part.transfer_encoding, limit=limit)

    return read


def layout_of(opened: OpenMessage) -> Layout:
    envelope = opened.envelope
    index = envelope.index
    tree = build_tree(index, envelope.header.payload_size, envelope.read_range, catch_all=_catch_all(index))
    return lay_out(tree, index, _reader(opened))


def _addresses(value: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in value.split(",") if a.strip())


class _Renderer:
    def __init__(self, opened: OpenMessage, message_id: str, do_not_forward: bool) -> None:
        self.opened = opened
        self.parts = opened.envelope.index.parts
        self.message_id = message_id
        self.do_not_forward = do_not_forward
        self.documents: list[str] = []
        self.images = {
            part.content_id.strip("<> ").lower(): part
            for part in self.parts
            if part.content_id and part.content_type.lower() in SHOWN_IMAGE_TYPES
        }

    def image_url(self, part: fmt.Part, budget: list[int]) -> str | None:
        size = part.end - part.start  # the encoded length bounds the decoded one
        estimate = size * 57 // 78 if part.transfer_encoding.lower() == "base64" else size
        if estimate > budget[0]:
            return None
        data = decode_all(self.opened.envelope.read_range(part.start, part.end), part.transfer_encoding, limit=size)
        budget[0] -= estimate
        return f"data:{part.content_type.lower()};base64,{base64.b64encode(data).decode()}"

    def body(self, layout: Layout) -> tuple[Body, set[str]]:
        """The body: plain text when it is one text part, else one sanitized document of every piece in
        order; and the Content-IDs the HTML showed."""
        pieces = layout.pieces
        if not pieces:
            return Body(), set()
        if len(pieces) == 1 and pieces[0].kind == "text":
            return Body(text=pieces[0].text), set()
        budget = [MAX_INLINE_IMAGE_BYTES]
        used: set[str] = set()

        def cid_url(cid: str) -> str | None:
            key = cid.strip("<> ").lower()
            part = self.images.get(key)
            url = None if part is None else self.image_url(part, budget)
            if url is not None:
                used.add(key)
            return url

        fragments: list[str | None] = []
        blocked = 0
        for piece in pieces:  # HTML first: the images it shows are not shown again below it
            if piece.kind == "html":
                sanitized = render.sanitize_html(piece.text, cid_url=cid_url)
                blocked += sanitized.remote_images_blocked
                fragments.append(sanitized.html)
            elif piece.kind == "text":
                fragments.append(render.text_to_html(piece.text))
            else:
                fragments.append(None)
        out = []
        for piece, fragment in zip(pieces, fragments, strict=True):
            if fragment is None:
                cid = piece.offer.unless_shown_as if piece.offer else ""
                if cid and cid in used:
                    continue
                url = self.image_url(self.parts[piece.number], budget)
                if url is None:
                    continue  # over the inline budget: it is among the attachments
                name = html.escape(piece.offer.filename if piece.offer else "", quote=True)
                fragment = f'<p><img src="{url}" alt="{name}"></p>'
            out.append(f"<div>{fragment}</div>")
        document = render.wrap_for_viewer("".join(out))  # images are data: URLs: no origin to allow
        return Body(document=document, remote_images_blocked=blocked), used

    def attachments(self, layout: Layout, used: set[str]) -> tuple[AttachmentView, ...]:
        views = []
        for offer in layout.offers:
            if offer.unless_shown_as and offer.unless_shown_as in used:
                continue
            content_type = render.safe_content_type(offer.content_type)  # the charset goes on the response
            views.append(
                AttachmentView(
                    index=offer.index,
                    filename=render.safe_filename(offer.filename),
                    content_type=content_type,
                    size=offer.size,
                    inline=self.do_not_forward or render.is_inline_viewable(content_type),
                )
            )
        return tuple(views)

    def notes(self, layout: Layout) -> tuple[PartNote, ...]:
        return tuple(PartNote(note.kind, note.text, note.offer.index if note.offer else None) for note in layout.notes)

    def nested(self, layout: Layout) -> NestedMessageView:
        headers = layout.headers
        assert headers is not None
        body, used = self.body(layout)
        body_url = None
        if body.document is not None:
            body_url = f"/api/messages/{self.message_id}/body?nested={len(self.documents)}"
            self.documents.append(body.document)
        sender = field_text(headers, "from")
        return NestedMessageView(
            subject=field_text(headers, "subject"),
            from_=sender,
            from_name=display_name(sender),
            to=_addresses(field_text(headers, "to")),
            cc=_addresses(field_text(headers, "cc")),
            date=field_text(headers, "date"),
            body_url=body_url,
            text=body.text,
            body_too_large=layout.body_too_large,
            remote_images_blocked=body.remote_images_blocked,
            attachments=self.attachments(layout, used),
            notes=self.notes(layout),
            nested=tuple(self.nested(child) for child in layout.nested),
        )


def _plain_alternative(opened: OpenMessage, layout: Layout) -> str | None:
    """The plain-text alternative the HTML body replaced, as `text` beside the HTML (for a reply's quote)."""
    for number in layout.replaced:
        part = opened.envelope.index.parts[number]
        if part.content_type.lower() == "text/plain":
            try:
                return decode_text(_reader(opened)(part, MAX_BODY_BYTES), part.charset).text
            except ValueError:
                return None
    return None


def display(opened: OpenMessage) -> Displayed:
    """Lay the message out and render it: what the app shows of it, and every file it offers."""
    header = opened.envelope.header
    layout = layout_of(opened)
    renderer = _Renderer(opened, header.id, header.policy.template == "do-not-forward")
    body, used = renderer.body(layout)
    if body.document is not None and body.text is None:
        body = msgspec.structs.replace(body, text=_plain_alternative(opened, layout))
    nested = tuple(renderer.nested(child) for child in layout.nested)
    top = layout.headers
    subject = field_text(top, "subject") if top is not None else ""
    return Displayed(
        body=body,
        attachments=renderer.attachments(layout, used),
        notes=renderer.notes(layout),
        nested=nested,
        documents=tuple(renderer.documents),
        body_too_large=layout.body_too_large,
        subject=subject or opened.envelope.index.subject,
        from_name=display_name(field_text(top, "from")) if top is not None else "",
    )


def offered_file(opened: OpenMessage, index: int) -> tuple[Offer, Iterator[bytes]] | None:
    """The offered file numbered `index` (as in the view's attachment lists) and its bytes; None when no
    file of the message has that number."""
    offer = find_offer(opened, index)
    return None if offer is None else (offer, offer_bytes(opened, offer))


def find_offer(opened: OpenMessage, index: int) -> Offer | None:
    """The offered file numbered `index`, from the message's layout (which decodes its text and TNEF parts)."""
    for layout in layout_of(opened).walk():
        for offer in layout.offers:
            if offer.index == index:
                return offer
    return None


def offer_bytes(opened: OpenMessage, offer: Offer) -> Iterator[bytes]:
    """The bytes of one offered file: a part decoded, an attached message's original bytes, a file
    decoded from a uuencoded block or read out of a TNEF."""
    envelope = opened.envelope
    source = offer.source
    if isinstance(source, LeafBytes):
        part = envelope.index.parts[source.number]
        return decode_stream(envelope.read_range(part.start, part.end), part.transfer_encoding)
    if isinstance(source, RawRange):
        return iter(envelope.read_range(source.start, source.end))
    part = envelope.index.parts[source.number]
    if isinstance(source, UuBlock):
        raw = decode_all(envelope.read_range(part.start, part.end), part.transfer_encoding, limit=MAX_BODY_BYTES)
        files = find_uuencoded(decode_text(raw, part.charset).text)
        return iter([files[source.block].data])
    assert isinstance(source, TnefEntry)
    raw = decode_all(envelope.read_range(part.start, part.end), part.transfer_encoding, limit=MAX_TNEF_BYTES)
    content = read_tnef(raw)
    assert content is not None
    return iter([content.files[source.entry].data])
