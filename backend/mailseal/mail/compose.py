"""Compose Mailseal's own mails (the wrapper mail and the passcode mail) as RFC 5322 bytes with CRLF.

Built with `EmailMessage` under `policy.SMTP`, so headers are folded and a line break in a value
raises. Every value is cleaned first (`headers.header_text`), and every composed mail is parsed back
and checked: exactly the headers we set, with the values we meant. A mail that fails the check is
refused with `InputError`, so no Python quirk can smuggle a header into a mail we send.

The From header is written by `formataddr` and stored raw: Python's folder drops the quotes of a long
quoted display name (`"<a>\\"> b" <x@y>` comes out as a different address), so we do not let it fold.
"""

from __future__ import annotations

import email.errors
import email.parser
import email.policy
import re
import time
from datetime import UTC, datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from urllib.parse import urlsplit

from mailseal.errors import InputError
from mailseal.languages import DEFAULT_LANGUAGE
from mailseal.mail.addresses import normalise_address
from mailseal.mail.branding import Branding, embedded_logo
from mailseal.mail.headers import header_text
from mailseal.mail.language import words_of
from mailseal.mail.layout import (
    Frame,
    PasscodeContent,
    WrapperContent,
    body_text,
    passcode_html,
    passcode_text,
    wrapper_heading,
    wrapper_html,
    wrapper_text,
)

ATTACHMENT_NAME = "message.html"
MAILSEAL_HEADER = "X-Mailseal"
WRAPPER_KIND = "wrapper; v=1"
PASSCODE_KIND = "passcode; v=1"
MAX_MESSAGE_HTML = 64 * 1024 * 1024
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_URL_UNSAFE = re.compile(r"[\s\"'<>\\`\x00-\x1f\x7f-\x9f]")
# Headers we store raw (the From line) are written as they are; the rest are folded by the policy.
_POLICY = email.policy.SMTP.clone(refold_source="none")
_SPACE = re.compile(r"\s+")
_CODE = re.compile(r"[0-9]{6,16}")
_REFERENCE = re.compile(r"[A-Z0-9]{2,16}")


def compose_wrapper_mail(
    *,
    branding: Branding,
    mail_from: str,
    sender_display: str,
    recipient: str,
    subject: str | None,
    view_url: str,
    expires_at: int | None,
    template: str,
    message_html: bytes,
    forward_hint_domain: str | None,
    message_id_domain: str,
) -> bytes:
    """The mail a recipient gets: a branded notice, a "Read the message" button, `message.html` attached;
    in the branding's language, or in two (the first leads: subject, sender line, page language)."""
    said = words_of(branding.languages)
    first = said[0]
    sender = header_text(sender_display, limit=100) or first.text("someone")
    real_subject = header_text(subject or "", limit=300)
    heading = wrapper_heading(first, sender)
    shown_subject = real_subject if branding.show_subject else ""
    if len(message_html) > MAX_MESSAGE_HTML:
        raise InputError("The protected message is too large to send")
    hint = _checked_domain(forward_hint_domain) if forward_hint_domain else ""
    frame, logo = _frame(branding, message_id_domain)
    content = WrapperContent(
        sender=sender,
        subject=shown_subject,
        intro=body_text(branding.intro),
        template=header_text(template, limit=60),
        view_url=_checked_url(view_url),
        expires_at=expires_at,
        forward_hint_domain=hint,
    )
    msg = _message(
        mail_from=(header_text(first.text("wrapper_from", sender=sender, org=frame.org_name), limit=100),
                   _checked_address(mail_from)),
        recipient=_checked_address(recipient),
        subject=shown_subject or heading,
        kind=WRAPPER_KIND,
        message_id_domain=message_id_domain,
    )
    msg.set_content(wrapper_text(frame, content, said))
    msg.add_alternative(wrapper_html(frame, content, said), subtype="html")
    if logo is not None:
        _embed_logo(msg, logo)
    msg.add_attachment(
        message_html,
        maintype="text",
        subtype="html",
        filename=ATTACHMENT_NAME,
        params={"charset": "utf-8"},
    )
    return _render(msg)


def compose_passcode_mail(
    *,
    branding: Branding,
    mail_from: str,
    recipient: str,
    code: str,
    reference: str,
    expires_minutes: int,
    message_id_domain: str,
    language: str = DEFAULT_LANGUAGE,
) -> bytes:
    """The one-time passcode mail: the code, the sign-in reference it belongs to, how long it lasts; in
    the language the person used when asking for it."""
    if not _CODE.fullmatch(code):
        raise InputError("A passcode is 6 to 16 digits")
    if not _REFERENCE.fullmatch(reference):
        raise InputError("A sign-in reference is 2 to 16 capital letters or digits")
    if not 1 <= expires_minutes <= 24 * 60:
        raise InputError("A passcode lasts between 1 minute and 1 day")
    said = words_of((language,))[0]
    frame, logo = _frame(branding, message_id_domain)
    content = PasscodeContent(code=code, reference=reference, expires_minutes=expires_minutes)
    msg = _message(
        mail_from=(frame.org_name, _checked_address(mail_from)),
        recipient=_checked_address(recipient),
        subject=said.text("passcode_subject"),
        kind=PASSCODE_KIND,
        message_id_domain=message_id_domain,
    )
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(passcode_text(frame, content, said))
    msg.add_alternative(passcode_html(frame, content, said), subtype="html")
    if logo is not None:
        _embed_logo(msg, logo)
    return _render(msg)


class _Logo:
    def __init__(self, media_type: str, data: bytes, cid: str) -> None:
        self.media_type = media_type
        self.data = data
        self.cid = cid


def _frame(branding: Branding, message_id_domain: str) -> tuple[Frame, _Logo | None]:
    logo = embedded_logo(branding.logo_url)
    embedded = None
    logo_src = branding.remote_logo
    if logo is not None:
        cid = make_msgid(idstring="logo", domain=_checked_domain(message_id_domain))
        embedded = _Logo(logo.media_type, logo.data, cid)
        logo_src = "cid:" + cid[1:-1]
    frame = Frame(
        org_name=header_text(branding.org_name, limit=100) or "Mailseal",
        colour=branding.colour,
        button_text_colour=branding.button_text_colour,
        logo_src=logo_src,
        disclaimer=body_text(branding.disclaimer),
    )
    return frame, embedded


def _message(*, mail_from: tuple[str, str], recipient: str, subject: str, kind: str,
             message_id_domain: str) -> EmailMessage:
    msg = EmailMessage(policy=_POLICY)
    try:
        msg.set_raw("From", _from_header(*mail_from))
        msg["To"] = Address(addr_spec=recipient)
        msg["Subject"] = subject
        msg["Date"] = format_datetime(datetime.fromtimestamp(time.time(), UTC))
        msg["Message-ID"] = make_msgid(domain=_checked_domain(message_id_domain))
        msg[MAILSEAL_HEADER] = kind
        # Ask Exchange and others not to send out-of-office replies to our no-reply sender.
        msg["X-Auto-Response-Suppress"] = "All"
    except (ValueError, email.errors.MessageError) as exc:
        raise InputError("A header value is not allowed") from exc
    return msg


def _from_header(name: str, address: str) -> str:
    """`Name <address>`: an ASCII name quoted where needed, any other name as encoded words of <= 75 chars."""
    if name.isascii():
        return formataddr((name, address))
    encoded = Header(name, "utf-8", header_name="From").encode(linesep="\r\n")
    return f"{encoded} <{address}>"


def _embed_logo(msg: EmailMessage, logo: _Logo) -> None:
    """Put the logo beside the HTML part as multipart/related, referenced by its Content-ID."""
    html_part = list(msg.iter_parts())[1]
    maintype, _, subtype = logo.media_type.partition("/")
    html_part.add_related(logo.data, maintype=maintype, subtype=subtype, cid=logo.cid,
                          filename=f"logo.{subtype}", disposition="inline")


def _render(msg: EmailMessage) -> bytes:
    """The mail as bytes, once parsing it back shows exactly the headers and values we set."""
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]  # the email package repeats it in parts made by add_alternative
    try:
        raw = msg.as_bytes(policy=_POLICY)
    except (ValueError, UnicodeError, email.errors.MessageError) as exc:
        raise InputError("The mail could not be composed") from exc
    parsed = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    intended = [name.lower() for name in msg.keys()]
    if [name.lower() for name in parsed.keys()] != intended or parsed.defects:
        raise InputError("The mail could not be composed safely")
    for name in ("Subject", "To", "From"):
        # Python's parser may show a space between two encoded words that RFC 2047 says to ignore.
        if _SPACE.sub("", str(parsed[name])) != _SPACE.sub("", str(msg[name])):
            raise InputError("The mail could not be composed safely")
    return raw


def _checked_address(value: str) -> str:
    """The address in matching form: ASCII only, so it needs no SMTPUTF8 and cannot break a header."""
    return normalise_address(value)


def _checked_domain(value: str) -> str:
    domain = value.strip().rstrip(".")
    if len(domain) > 253 or not _DOMAIN.fullmatch(domain):
        raise InputError("That is not a domain name")
    return domain.lower()


def _checked_url(url: str) -> str:
    if len(url) > 2000 or _URL_UNSAFE.search(url):
        raise InputError("The link is not valid")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise InputError("The link is not valid") from exc
    if parts.scheme not in {"https", "http"} or not parts.hostname or parts.username is not None:
        raise InputError("The link must be an http(s) address")
    return url
