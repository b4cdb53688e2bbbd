"""Find sealed envelopes in what a recipient hands us: a raw envelope, a `message.html`, or a whole mail.

A mail may carry the `message.html` attachment anywhere: attached, inside a forwarded message/rfc822
(nested), re-attached by an inline forward, in base64 or quoted-printable, with the armor re-wrapped or
HTML-escaped by a mail client. We walk the MIME tree (each part decoded first, so a quoted-printable
soft break never reaches the armor), and decode each armor block with a tolerant base64 reader.

Bounded: input size, bytes decoded in all, nesting depth and number of parts. Malformed mail never
raises anything but `MalformedMail`, `TooLarge` or `NoEnvelope` (`ForeignMail` when another system
protected it, `NotEmail` when it is no mail at all, see `foreign`).
"""

from __future__ import annotations

import base64
import binascii
import email.message
import email.parser
import email.policy
import html
import quopri
import re

from mailseal.errors import MalformedMail, NoEnvelope, TooLarge
from mailseal.mail.foreign import refuse_foreign_or_not_email

MiB = 1024 * 1024
ENVELOPE_MAGIC = b"mailseal/v1\n"
ARMOR_BEGIN = b"-----BEGIN MAILSEAL MESSAGE-----"
ARMOR_END = b"-----END MAILSEAL MESSAGE-----"
# Any version, so a newer envelope reaches the format room and gets "unsupported version", not "none".
_MAGIC = re.compile(rb"mailseal/v[0-9]{1,4}\n")
_HEADER_LINE = re.compile(rb"(?:From [^\r\n]*\r?\n)?[\x21-\x39\x3b-\x7e]{1,200}:")
_CONTENT_TYPE_LINE = re.compile(rb"(?im)^content-type[ \t]*:")
_TAG = re.compile(r"<[^>]*>")
_QUOTE_PREFIX = re.compile(r"^[\s>]+")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")
_URL_SAFE = str.maketrans("-_", "+/")
_MAIL_TYPES = frozenset({"message/rfc822", "message/global", "application/x-eml", "application/eml"})


def find_envelopes(
    data: bytes,
    *,
    max_depth: int = 10,
    max_parts: int = 500,
    max_bytes: int = 64 * MiB,
) -> list[bytes]:
    """Every envelope in `data`, as binary, each once, in order; `NoEnvelope` when there is none."""
    if len(data) > max_bytes:
        raise TooLarge("The file is too large")
    scan = _Scan(max_depth=max_depth, max_parts=max_parts, budget=4 * max_bytes)
    try:
        scan.blob(data, depth=0, is_mail=None)
    except MalformedMail:
        refuse_foreign_or_not_email(data)
        raise
    except (NoEnvelope, TooLarge):
        raise
    except RecursionError as exc:
        raise TooLarge("The mail is nested too deeply") from exc
    except Exception as exc:  # a parser surprise on hostile input is "cannot read", never a crash
        raise MalformedMail() from exc
    if scan.found:
        return scan.found
    if scan.damaged:
        raise MalformedMail("The protected message in this file is damaged")
    refuse_foreign_or_not_email(data)  # say what it is, when we can tell (docs/display.md)
    raise NoEnvelope()


def dearmor(block: bytes) -> bytes | None:
    """The envelope inside one armor block (text between the markers), or None if it is not one."""
    text = html.unescape(_TAG.sub("\n", block.decode("latin-1")))
    kept = []
    for line in text.splitlines():
        line = _QUOTE_PREFIX.sub("", line).strip()
        # Armor header lines ("Name: value") carry no base64; a line may start with "-" (URL-safe base64).
        if not line or ":" in line:
            continue
        kept.append(line)
    envelope = _loose_base64("".join(kept))
    return envelope if envelope is not None and _MAGIC.match(envelope) else None


class _Scan:
    """One walk over an input, with its limits and what it found."""

    def __init__(self, *, max_depth: int, max_parts: int, budget: int) -> None:
        self.max_depth = max_depth
        self.max_parts = max_parts
        self.budget = budget
        self.parts = 0
        self.found: list[bytes] = []
        self.damaged = False
        self._seen: set[bytes] = set()

    def blob(self, data: bytes, *, depth: int, is_mail: bool | None) -> None:
        """Bytes of unknown kind: an envelope, a mail, or text that may hold armor."""
        if depth > self.max_depth:
            raise TooLarge("The mail is nested too deeply")
        self.budget -= len(data)
        if self.budget < 0:
            raise TooLarge("The mail is too large once decoded")
        if _MAGIC.match(data):
            self._add(data)
        elif is_mail or (is_mail is None and _HEADER_LINE.match(data)):
            self.mail(data, depth=depth)
        else:
            self.armor(data)

    def mail(self, data: bytes, *, depth: int) -> None:
        if len(_CONTENT_TYPE_LINE.findall(data)) > 2 * self.max_parts:
            raise TooLarge("The mail has too many parts")
        message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(data)
        self.part(message, depth=depth)

    def part(self, part: email.message.Message, *, depth: int) -> None:
        self.parts += 1
        if self.parts > self.max_parts:
            raise TooLarge("The mail has too many parts")
        if depth > self.max_depth:
            raise TooLarge("The mail is nested too deeply")
        content_type = part.get_content_type()
        encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        payload = part.get_payload()
        if isinstance(payload, list):
            if content_type.startswith("message/") and encoding in {"base64", "quoted-printable"}:
                # Not allowed by RFC 2046, but sent: the parser read encoded text as a message.
                children = [child for child in payload if isinstance(child, email.message.Message)]
                self._encoded_message(children, encoding, depth=depth)
                return
            for child in payload:
                if isinstance(child, email.message.Message):
                    self.part(child, depth=depth + 1)
            return
        body = part.get_payload(decode=True)
        if not isinstance(body, bytes) or not body:
            return
        is_mail: bool | None = False
        if content_type in _MAIL_TYPES or _filename(part).lower().endswith(".eml"):
            is_mail = True
        elif content_type == "application/octet-stream":
            is_mail = None
        self.blob(body, depth=depth + 1, is_mail=is_mail)

    def armor(self, data: bytes) -> None:
        start = 0
        while (begin := data.find(ARMOR_BEGIN, start)) >= 0:
            end = data.find(ARMOR_END, begin + len(ARMOR_BEGIN))
            if end < 0:
                self.damaged = True
                return
            envelope = dearmor(data[begin + len(ARMOR_BEGIN) : end])
            if envelope is None:
                self.damaged = True
            else:
                self._add(envelope)
            start = end + len(ARMOR_END)

    def _encoded_message(self, payload: list[email.message.Message], encoding: str, *, depth: int) -> None:
        raw = b"".join(child.as_bytes(policy=email.policy.compat32.clone(max_line_length=0))
                       for child in payload)
        decoded = _loose_base64(raw.decode("latin-1")) if encoding == "base64" else quopri.decodestring(raw)
        if decoded:
            self.blob(decoded, depth=depth + 1, is_mail=True)

    def _add(self, envelope: bytes) -> None:
        if envelope not in self._seen:
            self._seen.add(envelope)
            self.found.append(envelope)


def _loose_base64(text: str) -> bytes | None:
    """Base64 as mail clients leave it: any line breaks and spaces, URL-safe letters, padding lost."""
    chars = _NOT_BASE64.sub("", text.translate(_URL_SAFE))
    if len(chars) % 4 == 1:
        return None
    try:
        return base64.b64decode(chars + "=" * (-len(chars) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _filename(part: email.message.Message) -> str:
    try:
        return str(part.get_filename() or "")
    except (LookupError, UnicodeError, ValueError):
        return ""
