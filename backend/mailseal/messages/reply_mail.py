"""The new message inside a sealed reply or forward: an RFC 5322 message built with `EmailMessage`.

Nothing a person or an original message supplied reaches a header unchecked. The subject is decoded
first (encoded words, three levels deep) and then cleaned (`mail.headers.display_text`: line breaks,
U+2028/2029, NUL and other controls gone, any left-over `=?` made inert), because Python 3.11.7 folds
a decoded CR/LF straight into the output (CVE-2024-6923). Addresses are normalised ASCII; message ids
must match a strict msg-id pattern or are dropped; file names go through `render.safe_filename`. The
composed bytes are parsed back and must show exactly the headers, subject, recipients and file names we
meant, else the mail is refused: a header that should not be there never gets sealed.
"""

from __future__ import annotations

import email.errors
import email.parser
import email.policy
import html
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Final

import msgspec

from mailseal import render
from mailseal.errors import InputError, TooLarge
from mailseal.mail.addresses import normalise_address
from mailseal.mail.headers import display_text

MAX_SUBJECT_CHARS: Final = 300
MAX_BODY_CHARS: Final = 1_000_000
MAX_REFERENCES: Final = 20
REPLY_PREFIX: Final = "Re:"
FORWARD_PREFIX: Final = "Fwd:"
FORWARD_SEPARATOR: Final = "---------- Forwarded message ----------"

_POLICY = email.policy.SMTP
# Prefixes that already say "reply" (English, German, Scandinavian, Dutch), with counters like "Re[2]:".
_REPLY_PREFIXES = re.compile(r"^(?:(?:re|aw|sv|antw)\s*(?:\[\d{1,4}\])?\s*[:\uff1a]\s*)+", re.IGNORECASE)
_FORWARD_PREFIXES = re.compile(r"^(?:(?:fwd?|wg|vs)\s*(?:\[\d{1,4}\])?\s*[:\uff1a]\s*)+", re.IGNORECASE)
# RFC 5322 msg-id, restricted to dot-atom text on both sides: no spaces, quotes, controls or non-ASCII.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_MSG_ID = re.compile(rf"<{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*>")
_MAX_MSG_ID = 250
_SPACE = re.compile(r"\s+")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


class NewFile(msgspec.Struct, frozen=True):
    """A file to attach: the name as given (cleaned when composed), its declared type, its bytes."""

    filename: str
    content_type: str
    data: bytes


class ForwardedOriginal(msgspec.Struct, frozen=True, kw_only=True):
    """What a forward carries of the original: its summary lines, bodies and attachments."""

    from_: str = ""
    date: str = ""
    subject: str = ""
    to: str = ""
    cc: str = ""
    text: str | None = None
    html: str | None = None
    files: tuple[NewFile, ...] = ()


class Threading(msgspec.Struct, frozen=True):
    """`In-Reply-To` and `References` for a message that answers another one."""

    in_reply_to: str | None
    references: tuple[str, ...]


def clean_subject(original: str) -> str:
    """The original subject as one safe line of text (decoded, no controls, no live encoded words)."""
    return display_text(original or "", limit=MAX_SUBJECT_CHARS - len(REPLY_PREFIX) - 1)


def reply_subject(original: str) -> str:
    """`Re: <original>`, with the original's own reply prefixes folded into one."""
    rest = _REPLY_PREFIXES.sub("", clean_subject(original)).strip()
    return f"{REPLY_PREFIX} {rest}" if rest else REPLY_PREFIX


def forward_subject(original: str) -> str:
    """`Fwd: <original>`, with the original's own forward prefixes folded into one."""
    rest = _FORWARD_PREFIXES.sub("", clean_subject(original)).strip()
    return f"{FORWARD_PREFIX} {rest}" if rest else FORWARD_PREFIX


def message_id_or_none(value: str) -> str | None:
    """A single well-formed msg-id (`<left@right>`), else None."""
    value = value.strip()
    return value if len(value) <= _MAX_MSG_ID and _MSG_ID.fullmatch(value) else None


def threading_for(message_id_header: str, references: str, *, fallback_id: str) -> Threading:
    """RFC 5322 §3.6.4: In-Reply-To is the parent's id; References its References plus its id.

    `fallback_id` stands in for a parent without a usable Message-ID, so the thread still holds together.
    Ids that are not well formed are dropped rather than repaired.
    """
    parent = message_id_or_none(message_id_header) or fallback_id
    earlier = [found for token in references.split() if (found := message_id_or_none(token))]
    chain = [ref for ref in dict.fromkeys(earlier) if ref != parent]
    if len(chain) > MAX_REFERENCES - 1:  # keep the thread's first id and the latest ones
        chain = [chain[0], *chain[-(MAX_REFERENCES - 2) :]]
    return Threading(in_reply_to=parent, references=(*chain, parent))


def mailseal_message_id(message_id: str, domain: str) -> str:
    """A msg-id for a sealed message that carries none: stable, made from its Mailseal id."""
    return f"<{message_id.lower()}@{_checked_domain(domain)}>"


def check_body(body: str) -> str:
    if len(body) > MAX_BODY_CHARS:
        raise TooLarge(f"The text is longer than {MAX_BODY_CHARS:,} characters")
    return body


def forward_text(note: str, original: ForwardedOriginal) -> tuple[str, str | None]:
    """The text (and, when the original has one, HTML) body of a forward: the note, then the original."""
    lines = [("From", original.from_), ("Date", original.date), ("Subject", original.subject),
             ("To", original.to), ("Cc", original.cc)]
    summary = [f"{name}: {display_text(value, limit=1000)}" for name, value in lines if value.strip()]
    quoted = original.text if original.text is not None else "(The original message is in HTML.)"
    text = "\n".join([note.rstrip(), "", FORWARD_SEPARATOR, *summary, "", quoted]).lstrip("\n")
    if original.html is None:
        return text, None
    note_html = "<br>".join(html.escape(line) for line in note.rstrip().splitlines())
    head_html = "<br>".join(html.escape(line) for line in [FORWARD_SEPARATOR, *summary])
    return text, f"<div>{note_html}</div><br><div>{head_html}</div><br>{original.html}"


def compose_message(
    *,
    sender: str,
    recipients: Sequence[str],
    subject: str,
    text: str,
    html_body: str | None = None,
    files: Sequence[NewFile] = (),
    threading: Threading | None = None,
    message_id_domain: str,
    now: float | None = None,
) -> bytes:
    """The message as bytes with CRLF, once parsing it back shows exactly what we set."""
    if not recipients:
        raise InputError("A message needs at least one recipient")
    from_address = normalise_address(sender)
    to = [normalise_address(address) for address in recipients]
    if subject != display_text(subject, limit=MAX_SUBJECT_CHARS):
        raise InputError("The subject is not clean")
    msg = EmailMessage(policy=_POLICY)
    try:
        msg["From"] = Address(addr_spec=from_address)
        msg["To"] = [Address(addr_spec=address) for address in to]
        msg["Subject"] = subject
        msg["Date"] = format_datetime(datetime.fromtimestamp(time.time() if now is None else now, UTC))
        msg["Message-ID"] = make_msgid(domain=_checked_domain(message_id_domain))
        if threading is not None:
            for value in (threading.in_reply_to, *threading.references):
                if value is not None and message_id_or_none(value) != value:
                    raise InputError("A message id is not well formed")
            if threading.in_reply_to:
                msg["In-Reply-To"] = threading.in_reply_to
            if threading.references:
                msg["References"] = " ".join(threading.references)
    except (ValueError, email.errors.MessageError) as exc:
        raise InputError("A header value is not allowed") from exc
    # base64 keeps the text exactly as typed (bare CR, NUL, U+2028 and all) and every line short.
    msg.set_content(check_body(text).encode("utf-8", "replace"), maintype="text", subtype="plain",
                    cte="base64", params={"charset": "utf-8"})
    if html_body is not None:
        msg.add_alternative(html_body.encode("utf-8", "replace"), maintype="text", subtype="html",
                            cte="base64", params={"charset": "utf-8"})
    names = []
    for file in files:
        # Twice: a name that starts ". x" comes out " x" once, and a leading space does not survive a header.
        name = render.safe_filename(render.safe_filename(file.filename))
        maintype, subtype = _media_type(file.content_type)
        msg.add_attachment(file.data, maintype=maintype, subtype=subtype, filename=name)
        names.append(name)
    return _render(msg, subject=subject, recipients=to, filenames=names)


def _media_type(content_type: str) -> tuple[str, str]:
    essence = render.safe_content_type(content_type).partition(";")[0].strip()
    maintype, _, subtype = essence.partition("/")
    if maintype in ("", "multipart", "message") or not subtype:
        return "application", "octet-stream"
    return maintype, subtype


def _render(msg: EmailMessage, *, subject: str, recipients: list[str], filenames: list[str]) -> bytes:
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]  # the email package repeats it in parts it makes
    try:
        raw = msg.as_bytes(policy=_POLICY)
    except (ValueError, UnicodeError, email.errors.MessageError) as exc:
        raise InputError("The message could not be composed") from exc
    parsed = email.parser.BytesParser(policy=email.policy.default).parsebytes(raw)
    if [name.lower() for name in parsed.keys()] != [name.lower() for name in msg.keys()] or parsed.defects:
        raise InputError("The message could not be composed safely")
    # Python's parser may show a space between two encoded words that RFC 2047 says to ignore.
    if _SPACE.sub("", str(parsed["Subject"])) != _SPACE.sub("", subject):
        raise InputError("The message could not be composed safely")
    shown_to = [address.addr_spec for address in parsed["To"].addresses]
    if shown_to != recipients:
        raise InputError("The message could not be composed safely")
    if [part.get_filename() for part in parsed.iter_attachments()] != filenames:
        raise InputError("The message could not be composed safely")
    return raw


def _checked_domain(value: str) -> str:
    domain = value.strip().rstrip(".")
    if len(domain) > 253 or not _DOMAIN.fullmatch(domain):
        raise InputError("That is not a domain name")
    return domain.lower()
