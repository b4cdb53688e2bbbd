"""What the rules look at in a mail: `MailFacts`, and how to read them from a raw message.

`facts_from_message` never raises on bad mail: a header, part or charset that cannot be read is skipped
or read as well as it can be, and when the parser itself fails the facts hold the envelope and size only.
Every field is bounded, so matching costs the same for a 30 MB message as for a 300 KB one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Final

import msgspec

log = logging.getLogger("mailseal.rules")

MAX_BODY_CHARS: Final = 256 * 1024
MAX_HEADER_CHARS: Final = 16 * 1024
MAX_HEADERS: Final = 500
MAX_ATTACHMENTS: Final = 500
MAX_PARTS: Final = 1000
MAX_NAME_CHARS: Final = 1024

_FOLD = re.compile(r"\r?\n[ \t]*")


class MailFacts(msgspec.Struct, frozen=True, kw_only=True):
    """The facts of one outgoing mail that rules test: envelope, top-level headers, bounded body text."""

    sender: str
    recipients: tuple[str, ...]
    subject: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body_text: str = ""
    attachment_names: tuple[str, ...] = ()
    size: int = 0

    def header_values(self, name: str) -> Iterator[str]:
        """Every value of one header (names compare case-insensitively)."""
        wanted = name.lower()
        return (value for key, value in self.headers if key.lower() == wanted)


def facts_from_message(
    raw: bytes,
    *,
    envelope_from: str,
    envelope_to: Sequence[str],
    max_body: int = MAX_BODY_CHARS,
) -> MailFacts:
    """Read the facts of a raw RFC 5322 message; the envelope (not the headers) names sender and recipients."""
    base = MailFacts(
        sender=_clean(envelope_from, MAX_NAME_CHARS),
        recipients=tuple(_clean(address, MAX_NAME_CHARS) for address in envelope_to),
        size=len(raw),
    )
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception:  # the parser is meant never to fail, but a bug must not stop the mail flow
        log.warning("could not parse a message for the rules; only its envelope and size are tested")
        return base
    headers = _headers(message)
    subject = next((value for name, value in headers if name.lower() == "subject"), "")
    texts, attachments = _walk(message, max(0, max_body))
    return msgspec.structs.replace(
        base,
        subject=subject,
        headers=headers,
        body_text="\n".join(texts)[: max(0, max_body)],
        attachment_names=attachments,
    )


def _clean(text: str, limit: int) -> str:
    """Bounded, and valid UTF-8 (lone surrogates from undecodable bytes become U+FFFD)."""
    return text[:limit].encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _headers(message: Message) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    try:
        for name, raw_value in message.raw_items():
            if len(out) >= MAX_HEADERS:
                break
            value = _header_text(message, name, raw_value)
            out.append((_clean(str(name), MAX_NAME_CHARS), _clean(value, MAX_HEADER_CHARS)))
    except Exception:
        log.warning("could not read every header of a message for the rules")
    return tuple(out)


def _header_text(message: Message, name: str, raw_value: object) -> str:
    """A header value decoded (RFC 2047) and unfolded; the raw text when decoding fails."""
    raw = str(raw_value)[: MAX_HEADER_CHARS * 4]
    try:
        return _FOLD.sub(" ", str(message.policy.header_fetch_parse(name, raw))).strip()
    except Exception:  # noqa: S110 - a malformed header falls back to a simpler reading below
        pass
    try:
        return _FOLD.sub(" ", str(make_header(decode_header(raw)))).strip()
    except Exception:
        return _FOLD.sub(" ", raw).strip()


def _walk(message: Message, max_body: int) -> tuple[list[str], tuple[str, ...]]:
    """Body texts (plain text preferred, HTML as text otherwise) and attachment names, bounded."""
    plain: list[str] = []
    html: list[str] = []
    names: list[str] = []
    budget = {"plain": max_body, "html": max_body}
    try:
        for count, part in enumerate(message.walk()):
            if count >= MAX_PARTS:
                break
            if part.is_multipart():
                continue
            name = _filename(part)
            if name is not None or _disposition(part) == "attachment":
                if name and len(names) < MAX_ATTACHMENTS:
                    names.append(_clean(name, MAX_NAME_CHARS))
                continue
            content_type = _content_type(part)
            if content_type == "text/plain" and budget["plain"] > 0:
                text = _text(part)[: budget["plain"]]
                budget["plain"] -= len(text)
                plain.append(text)
            elif content_type == "text/html" and budget["html"] > 0:
                text = html_to_text(_text(part)[: max_body * 4])[: budget["html"]]
                budget["html"] -= len(text)
                html.append(text)
    except Exception:  # RecursionError on absurd nesting, or a parser bug: keep what was read
        log.warning("could not walk every part of a message for the rules")
    return (plain or html), tuple(names)


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    return str(name).strip() if name else None


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:
        return "application/octet-stream"


def _text(part: Message) -> str:
    """A text part's content; undecodable bytes or an unknown charset give replacement characters."""
    if isinstance(part, EmailMessage):
        try:
            content = part.get_content()
            if isinstance(content, str):
                return _clean(content, len(content))
        except Exception:  # noqa: S110 - unknown charset or broken transfer encoding: decode by hand below
            pass
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return ""
    if not isinstance(payload, bytes):
        return ""
    charset = "utf-8"
    try:
        charset = part.get_content_charset() or "utf-8"
        return payload.decode(charset, "replace")
    except Exception:
        return payload.decode("utf-8", "replace")


class _HtmlText(HTMLParser):
    """Visible text of an HTML body, for `body_contains` on mail that has no plain-text part."""

    _SKIP: Final = frozenset({"script", "style", "head", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6"}:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        log.warning("could not read an HTML body for the rules")
    return "".join(parser.chunks)
