"""The display rule (docs/display.md): which parts of a message are shown, which are offered, and the
one-line notes, for the message and for each message attached to it.

Walks the tree from `display_tree`. Every leaf ends up shown, offered, or (a text alternative that
another alternative replaces) accounted for; the fidelity test checks this over the shared corpora.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message

from mailseal import format as fmt
from mailseal.messages.charsets import decode_text, field_text, filename_of
from mailseal.messages.display_tree import Leaf, MessageTree, Multipart, Nested, Node
from mailseal.messages.tnef import is_tnef, read_tnef
from mailseal.messages.uuencode import find_uuencoded, without_blocks

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_TNEF_BYTES = 32 * 1024 * 1024
SHOWN_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
OCTET = "application/octet-stream"
BODY_TYPES = frozenset({"text/plain", "text/html"})
KNOWN_TOP_TYPES = frozenset({"text", "image", "audio", "video", "application", "font", "model", "message"})
# Machine-readable reports that are text to a person: a bounce (RFC 3464), a read receipt (RFC 8098), an
# abuse report (RFC 5965), the header fields of a returned mail (RFC 6522).
REPORT_TYPES = frozenset(
    {
        "message/delivery-status",
        "message/disposition-notification",
        "message/feedback-report",
        "text/rfc822-headers",
        "message/global-delivery-status",
        "message/global-headers",
    }
)
SMIME_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
RPMSG_TYPES = frozenset({"application/x-microsoft-rpmsg-message", "application/vnd.ms-rpmsg"})

# Where an offered file's bytes come from.


@dataclass(frozen=True)
class LeafBytes:
    number: int


@dataclass(frozen=True)
class RawRange:
    """The original bytes of an attached message, as `<subject>.eml`."""

    start: int
    end: int


@dataclass(frozen=True)
class UuBlock:
    number: int
    block: int


@dataclass(frozen=True)
class TnefEntry:
    number: int
    entry: int


Source = LeafBytes | RawRange | UuBlock | TnefEntry


@dataclass
class Offer:
    source: Source
    filename: str
    content_type: str
    size: int
    charset: str = ""
    # An image of `multipart/related`: not offered when the HTML shows it by this Content-ID.
    unless_shown_as: str = ""
    index: int = -1


@dataclass
class Piece:
    """One shown part of a body, in order: text, HTML (decoded already) or an image (read when shown)."""

    kind: str  # "text", "html" or "image"
    number: int
    text: str = ""
    content_type: str = ""
    offer: Offer | None = None  # the same image, offered: shown only if the inline budget allows
    # Outlook's rich body from a winmail.dat: Outlook sends the same text as a plain part beside it, so
    # it is shown only when the message has no other text (winmail.dat itself is always offered).
    from_tnef: bool = False


@dataclass
class Note:
    kind: str
    text: str
    offer: Offer | None = None


@dataclass
class Layout:
    """One message, the top one or an attached one."""

    headers: Message | None
    pieces: list[Piece] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    nested: list[Layout] = field(default_factory=list)
    body_too_large: bool = False
    replaced: list[int] = field(default_factory=list)  # text alternatives another alternative replaces

    def walk(self) -> list[Layout]:
        """This message and every message attached to it, depth first, in order."""
        found = [self]
        for child in self.nested:
            found += child.walk()
        return found


ReadPart = Callable[[fmt.Part, int], bytes]  # a leaf's decoded bytes, refusing more than the limit


def _extension(content_type: str) -> str:
    return mimetypes.guess_extension(content_type, strict=False) or ".bin"


def _name(leaf: Leaf) -> str:
    return filename_of(leaf.headers) or leaf.part.filename


def _param(message: Message, name: str) -> str:
    try:
        value = message.get_param(name)
    except Exception:
        return ""
    return value if isinstance(value, str) else ""


def _estimated_size(part: fmt.Part) -> int:
    length = part.end - part.start
    return length * 57 // 78 if part.transfer_encoding.lower() == "base64" else length


def _is_viewable(node: Node) -> bool:
    """Whether the viewer can show this alternative: a text body, or a container holding one."""
    if isinstance(node, Leaf):
        part = node.part
        return (
            part.content_type.lower() in BODY_TYPES
            and part.disposition.lower() != "attachment"
            and part.end - part.start <= MAX_BODY_BYTES
        )
    if isinstance(node, Multipart):
        return node.subtype != "encrypted" and any(_is_viewable(child) for child in node.children)
    return False


class _Walker:
    def __init__(self, tree: MessageTree, index: fmt.MessageIndex, read: ReadPart) -> None:
        self.tree = tree
        self.index = index
        self.read = read
        self.last = len(index.parts) - 1

    def offer_leaf(
        self, layout: Layout, leaf: Leaf, *, name: str = "", charset: str = "", content_type: str = ""
    ) -> Offer:
        kind = content_type or leaf.part.content_type.lower()
        stem = "image" if kind.startswith("image/") else f"part-{leaf.number + 1}"  # as phones name photos
        name = name or _name(leaf) or f"{stem}{_extension(kind)}"
        offer = Offer(LeafBytes(leaf.number), name, kind, _estimated_size(leaf.part), charset=charset)
        layout.offers.append(offer)
        return offer

    def node(self, layout: Layout, node: Node, mode: str) -> None:
        """`mode`: "show", or "offer" (encrypted content), or "alternative" (an alternative not shown)."""
        if isinstance(node, Nested):
            self.nested(layout, node)
        elif isinstance(node, Multipart):
            self.multipart(layout, node, mode)
        else:
            self.leaf(layout, node, mode)

    def nested(self, layout: Layout, node: Nested) -> None:
        child = Layout(headers=node.headers)
        subject = field_text(node.headers, "subject")
        if node.start is not None and node.end is not None:
            name = _name_of_part(node.part_headers) or f"{subject or 'message'}.eml"
            if not name.lower().endswith(".eml"):
                name += ".eml"
            layout.offers.append(Offer(RawRange(node.start, node.end), name, "message/rfc822", node.end - node.start))
        self.node(child, node.body, "show")
        layout.nested.append(child)

    def multipart(self, layout: Layout, node: Multipart, mode: str) -> None:
        children = node.children
        if node.subtype == "alternative" and mode == "show":
            viewable = [i for i, child in enumerate(children) if _is_viewable(child)]
            chosen = viewable[-1] if viewable else None
            for i, child in enumerate(children):
                self.node(layout, child, "show" if chosen is None or i == chosen else "alternative")
            return
        if node.subtype == "related" and mode == "show":
            root = _related_root(node)
            for i, child in enumerate(children):
                if i != root and isinstance(child, Leaf) and self._related_image(layout, child):
                    continue
                self.node(layout, child, "show")
            return
        if node.subtype == "signed" and mode == "show":
            protocol = _param(node.headers, "protocol").lower()
            how = "OpenPGP" if "pgp" in protocol else "S/MIME" if "pkcs7" in protocol else "a digital signature"
            layout.notes.append(
                Note("signed", f"Signed with {how}. Mailseal shows the content but did not check the signature.")
            )
            for i, child in enumerate(children):
                self.node(layout, child, "show" if i == 0 else "offer")
            return
        if node.subtype == "encrypted":
            layout.notes.append(
                Note(
                    "encrypted-pgp",
                    "This part is encrypted with OpenPGP for a key Mailseal does not hold. "
                    "Open it with the recipient's OpenPGP key (for example in Thunderbird).",
                )
            )
            mode = "offer"
        for child in children:
            self.node(layout, child, mode)

    def _related_image(self, layout: Layout, leaf: Leaf) -> bool:
        part = leaf.part
        if (
            part.content_type.lower() in SHOWN_IMAGE_TYPES
            and part.content_id
            and part.disposition.lower() != "attachment"
        ):
            offer = self.offer_leaf(layout, leaf)
            offer.unless_shown_as = part.content_id.strip("<> ").lower()
            return True
        return False

    def leaf(self, layout: Layout, leaf: Leaf, mode: str) -> None:
        part = leaf.part
        kind = part.content_type.lower()
        disposition = part.disposition.lower()
        if self.tree.catch_all and leaf.number == self.last:
            offer = self.offer_leaf(layout, leaf, name="rest-of-message.eml", content_type="message/rfc822")
            layout.notes.append(
                Note(
                    "more-parts",
                    f"This message has more than {self.last} parts, more than "
                    "Mailseal shows. The rest of it is offered as one file.",
                    offer,
                )
            )
            return
        if kind in BODY_TYPES and disposition != "attachment" and mode != "offer":
            if part.end - part.start > MAX_BODY_BYTES:  # its encoded length bounds the decoded one
                self.too_large(layout, leaf, kind)
                return
            if mode == "alternative":
                layout.replaced.append(leaf.number)
                return
            self.body_text(layout, leaf, kind)
            return
        if kind in REPORT_TYPES and disposition != "attachment" and mode == "show":
            self.body_text(layout, leaf, "text/plain")  # a bounce's status lines: shown as text (as Thunderbird)
            return
        if is_tnef(kind, _name(leaf)):
            self.tnef(layout, leaf, mode)
            return
        if kind in SHOWN_IMAGE_TYPES and disposition != "attachment" and mode == "show":
            offer = self.offer_leaf(layout, leaf)
            offer.unless_shown_as = part.content_id.strip("<> ").lower()  # the HTML may show it already
            layout.pieces.append(Piece("image", leaf.number, content_type=kind, offer=offer))
            return
        if kind in BODY_TYPES or kind.startswith("text/"):
            self.text_file(layout, leaf)
            return
        offer = self.offer_leaf(
            layout, leaf, content_type="message/rfc822" if kind in ("message/rfc822", "message/global") else ""
        )
        note = _note_for(leaf, kind)
        if note is not None:
            layout.notes.append(Note(note[0], note[1], offer))

    def text_file(self, layout: Layout, leaf: Leaf) -> None:
        """A text attachment: offered with the charset it is really in."""
        charset = ""
        if leaf.part.end - leaf.part.start <= MAX_BODY_BYTES:
            try:
                charset = decode_text(self.read(leaf.part, MAX_BODY_BYTES), leaf.part.charset).charset
            except ValueError:
                charset = ""
        self.offer_leaf(layout, leaf, charset=charset)

    def body_text(self, layout: Layout, leaf: Leaf, kind: str) -> None:
        name = _name(leaf)
        try:
            raw = self.read(leaf.part, MAX_BODY_BYTES)
        except ValueError:
            self.too_large(layout, leaf, kind)
            return
        decoded = decode_text(raw, leaf.part.charset)
        text = decoded.text
        if kind == "text/plain":
            files = find_uuencoded(text)
            for block, file in enumerate(files):
                layout.offers.append(
                    Offer(
                        UuBlock(leaf.number, block),
                        file.name,
                        mimetypes.guess_type(file.name, strict=False)[0] or "application/octet-stream",
                        len(file.data),
                    )
                )
            text = without_blocks(text, files) if files else text
            if "-----BEGIN PGP MESSAGE-----" in text:
                layout.notes.append(
                    Note(
                        "encrypted-pgp",
                        "Part of this text is encrypted with OpenPGP for a key "
                        "Mailseal does not hold. Open it with the recipient's OpenPGP key.",
                    )
                )
        layout.pieces.append(Piece("html" if kind == "text/html" else "text", leaf.number, text=text))
        if name:
            self.offer_leaf(layout, leaf, charset=decoded.charset)

    def too_large(self, layout: Layout, leaf: Leaf, kind: str) -> None:
        """A body too large to show on screen: offered as a file instead, so nothing is out of reach."""
        layout.body_too_large = True
        fallback = "message.html" if kind == "text/html" else "message.txt"
        self.offer_leaf(layout, leaf, name=_name(leaf) or fallback, content_type=OCTET if kind == "text/html" else "")

    def tnef(self, layout: Layout, leaf: Leaf, mode: str) -> None:
        winmail = self.offer_leaf(layout, leaf, name=_name(leaf) or "winmail.dat", content_type="application/ms-tnef")
        content = None
        if leaf.part.end - leaf.part.start <= MAX_TNEF_BYTES * 2:
            try:
                content = read_tnef(self.read(leaf.part, MAX_TNEF_BYTES))
            except ValueError:
                content = None
        if content is None:
            layout.notes.append(
                Note(
                    "tnef",
                    "Outlook's rich-format part (winmail.dat) could not be read; it is offered as it is.",
                    winmail,
                )
            )
            return
        if mode == "show":
            if content.html is not None:
                layout.pieces.append(Piece("html", leaf.number, text=content.html, from_tnef=True))
            elif content.text is not None:
                layout.pieces.append(Piece("text", leaf.number, text=content.text, from_tnef=True))
        for entry, file in enumerate(content.files):
            kind = mimetypes.guess_type(file.name, strict=False)[0] or "application/octet-stream"
            layout.offers.append(
                Offer(TnefEntry(leaf.number, entry), file.name or f"attachment-{entry + 1}", kind, len(file.data))
            )
        layout.notes.append(
            Note(
                "tnef",
                "Sent by Outlook in its rich format (winmail.dat): the files inside it are offered one by one.",
                winmail,
            )
        )


def _name_of_part(headers: Message) -> str:
    return filename_of(headers)


def _related_root(node: Multipart) -> int:
    start = _param(node.headers, "start").strip("<> ").lower()
    if start:
        for i, child in enumerate(node.children):
            if isinstance(child, Leaf) and child.part.content_id.strip("<> ").lower() == start:
                return i
    return 0


def _note_for(leaf: Leaf, kind: str) -> tuple[str, str] | None:
    """The one-line note an offered part gets when it is not an ordinary file."""
    headers = leaf.headers
    if kind == "message/external-body":
        access = _param(headers, "access-type") or "unknown"
        where = _param(headers, "url") or _param(headers, "name") or _param(headers, "site")
        text = f"The content of this part is not in the mail: it is stored elsewhere (access type {access}"
        return "external-body", text + (f", {where[:200]})." if where else ").")
    if kind == "message/partial":
        number, total = _param(headers, "number"), _param(headers, "total")
        of = f" ({number} of {total})" if number and total else f" ({number})" if number else ""
        return "partial", f"One piece{of} of a message that was split into several mails; offered as it is."
    if kind in SMIME_TYPES or _name(leaf).lower().endswith(".p7m"):
        if "signed-data" in _param(headers, "smime-type").lower():
            return "signed", "Signed with S/MIME in a form Mailseal cannot show; offered as it is (smime.p7m)."
        return "encrypted-smime", (
            "This part is encrypted with S/MIME for a key Mailseal does not hold. "
            "Open it in the mail app that has the recipient's certificate."
        )
    if kind in RPMSG_TYPES or _name(leaf).lower().endswith(".rpmsg"):
        return "encrypted-microsoft", (
            "This part is protected with Microsoft 365 Message Encryption; "
            "it opens only in Outlook or Microsoft's encryption portal."
        )
    if kind.startswith("multipart/"):
        return (
            "broken-multipart",
            "This part says it holds several parts, but its boundary is missing; offered as it is.",
        )
    if kind in ("message/rfc822", "message/global"):
        return "attached-message", "An attached message that could not be shown here; offered as a file."
    if kind.split("/", 1)[0] not in KNOWN_TOP_TYPES:
        return "unknown-type", f"A part of a type Mailseal does not know ({kind[:80]}); offered as it is."
    return None


def lay_out(tree: MessageTree, index: fmt.MessageIndex, read: ReadPart) -> Layout:
    """The whole message laid out, with every offered file numbered: a leaf keeps its part number; files
    found inside leaves (attached messages, uuencoded and TNEF files) follow the parts, in order."""
    top = Layout(headers=tree.headers)
    walker = _Walker(tree, index, read)
    walker.node(top, tree.root, "show")
    if tree.flat and len(index.parts) > 1:
        top.notes.append(
            Note(
                "flat",
                "Mailseal could not read how this message's parts are arranged; "
                "each part is shown or offered in the order it comes.",
            )
        )
    for layout in top.walk():
        tnef = [p for p in layout.pieces if p.from_tnef]
        if tnef and any(p.kind != "image" and not p.from_tnef and p.text.strip() for p in layout.pieces):
            layout.pieces = [p for p in layout.pieces if not p.from_tnef]
    extra = len(index.parts)
    for layout in top.walk():
        for offer in layout.offers:
            if isinstance(offer.source, LeafBytes):
                offer.index = offer.source.number
            else:
                offer.index = extra
                extra += 1
    return top
