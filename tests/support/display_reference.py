"""An independent reading of what a mail holds, for the display fidelity test: Python's `email` parser
walks every leaf and the rule of docs/display.md says, for each, whether the reader must see it
(`shown`), be able to save it (`offered`), or may see it replaced by another alternative (`replaced`).
None of Mailseal's own display code is used here."""

from __future__ import annotations

import email.message
import email.parser
import email.policy
import html
import re
from dataclasses import dataclass, field

BODY_TYPES = ("text/plain", "text/html")
SHOWN_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp")
MAX_DEPTH = 20
_TAG = re.compile(r"<[^>]*>")
_HIDDEN = re.compile(r"<(style|script|head|title)\b.*?(?:</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_WORD = re.compile(r"[A-Za-z0-9]{5,}")


@dataclass
class Expected:
    kind: str  # "shown", "offered", "image" (shown in place, or offered), "replaced", "nested"
    content_type: str
    data: bytes
    filename: str = ""
    words: tuple[str, ...] = ()
    subject: str = ""


@dataclass
class Reference:
    leaves: list[Expected] = field(default_factory=list)


def words_of(text: str, *, is_html: bool) -> tuple[str, ...]:
    """A few plain words of a text, to look for on screen (markup and hidden blocks taken out)."""
    if is_html:
        text = html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", text)))
    return tuple(_WORD.findall(text)[:3])


def _viewable(part: email.message.Message) -> bool:
    if part.is_multipart():
        return part.get_content_type() != "multipart/encrypted" and any(
            _viewable(child) for child in part.get_payload() if isinstance(child, email.message.Message))
    return part.get_content_type() in BODY_TYPES and part.get_content_disposition() != "attachment"


def _payload(part: email.message.Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _text(part: email.message.Message) -> str:
    charset = part.get_content_charset() or "utf-8"
    try:
        return _payload(part).decode(charset, "replace")
    except LookupError:
        return _payload(part).decode("utf-8", "replace")


def _subject(message: email.message.Message) -> str:
    try:
        return " ".join(str(message.get("subject", "")).split())
    except Exception:
        return ""


def _filename(part: email.message.Message) -> str:
    try:
        return str(part.get_filename() or "")
    except Exception:
        return ""


def read_reference(raw: bytes) -> Reference:
    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(raw)
    reference = Reference()
    _walk(message, reference, 0, "show", encrypted=False)
    return reference


def _walk(part: email.message.Message, reference: Reference, depth: int, mode: str, *, encrypted: bool) -> None:
    kind = part.get_content_type()
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    if depth < MAX_DEPTH and part.is_multipart():
        children = [c for c in part.get_payload() if isinstance(c, email.message.Message)]
        if kind in ("message/rfc822", "message/global") and cte in ("", "7bit", "8bit", "binary"):
            reference.leaves.append(Expected("nested", kind, b"", subject=_subject(children[0]) if children else ""))
            for child in children:
                _walk(child, reference, depth + 1, "show", encrypted=False)
            return
        if kind.startswith("message/"):  # delivery-status, external-body...: a leaf, offered as its text
            words = words_of(part.as_string().split("\n\n", 1)[-1], is_html=False)
            reference.leaves.append(Expected("offered-text", kind, b"", words=words))
            return
        else:
            chosen = None
            if kind == "multipart/alternative" and mode == "show":
                viewable = [i for i, child in enumerate(children) if _viewable(child)]
                chosen = viewable[-1] if viewable else None
            encrypted = encrypted or kind == "multipart/encrypted"
            for i, child in enumerate(children):
                child_mode = mode
                if chosen is not None and i != chosen:
                    child_mode = "alternative"
                if kind == "multipart/signed" and i > 0:
                    child_mode = "offer"
                _walk(child, reference, depth + 1, child_mode, encrypted=encrypted)
            return
    disposition = part.get_content_disposition()
    if kind == "text/rfc822-headers" and disposition != "attachment" and mode == "show" and not encrypted:
        reference.leaves.append(Expected("shown", kind, _payload(part), words=words_of(_text(part), is_html=False)))
        return
    if kind in BODY_TYPES and disposition != "attachment" and not encrypted and mode != "offer":
        if mode == "alternative":
            reference.leaves.append(Expected("replaced", kind, b""))
            return
        words = words_of(_text(part), is_html=kind == "text/html")
        reference.leaves.append(Expected("shown", kind, _payload(part), _filename(part), words))
        return
    if kind in SHOWN_IMAGES and disposition != "attachment" and mode == "show" and not encrypted:
        reference.leaves.append(Expected("image", kind, _payload(part), _filename(part)))
        return
    data = _payload(part) if not part.is_multipart() else b""
    reference.leaves.append(Expected("offered", kind, data, _filename(part)))
