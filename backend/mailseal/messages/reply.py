"""Reply, reply all and forward: a sealed answer to a sealed message; there is no path to plain text.

The policy decides first: the identity must be allowed to open the original (`open_envelope`, which
audits), and the original's template must grant the right (`reply`, `reply-all`, `forward`). The
server computes who the answer goes to from the key service's record of the original, never from the
client or from the envelope: a reply goes to the sender (or, from the sender, to the recipients); a
reply to all goes to every other party; a forward to the one new address given. The answer is sealed
with the original's template, rights and expiry, joins the original's thread, lands in every party's
inbox, and each recipient gets a wrapper mail through the outbound transport.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import msgspec

from mailseal import format as fmt
from mailseal import render
from mailseal.errors import InputError, MailsealError, RightNotGranted, TooLarge
from mailseal.keys import Identity, SealRecord
from mailseal.keys.policy import decide
from mailseal.mail.addresses import normalise_address
from mailseal.mail.outbox import Transport
from mailseal.messages.charsets import decode_text
from mailseal.messages.deps import MessageDeps
from mailseal.messages.display import body_parts, too_large_to_show
from mailseal.messages.display_model import layout_of, offer_bytes
from mailseal.messages.open import OpenMessage, open_envelope
from mailseal.messages.outgoing import OutgoingSettings, branding_for, send_wrappers
from mailseal.messages.part_body import decode_all
from mailseal.messages.protect import protect
from mailseal.messages.reply_mail import (
    ForwardedOriginal,
    NewFile,
    Threading,
    compose_message,
    forward_subject,
    forward_text,
    mailseal_message_id,
    reply_subject,
    threading_for,
)
from mailseal.rules import BUILTIN_TEMPLATES, Template

log = logging.getLogger("mailseal.messages.reply")

MAX_FILES: Final = 10
Kind = Literal["reply", "reply-all", "forward"]


class Draft(msgspec.Struct, frozen=True):
    """What the person wrote: the text and the files they attached. Nothing else comes from the client."""

    body: str = ""
    files: tuple[NewFile, ...] = ()


class Sent(msgspec.Struct, frozen=True, rename="camel"):
    """The sealed answer: its id and thread, whom it went to, how many wrapper mails were queued."""

    id: str
    thread_id: str
    to: tuple[str, ...]
    subject: str
    mails: int


class Recipients(msgspec.Struct, frozen=True, rename="camel"):
    """Whom an answer would go to, for the composer to show before sending."""

    to: tuple[str, ...]
    subject: str
    max_files: int
    max_bytes: int
    template: str = ""
    rights: tuple[str, ...] = ()


@dataclass
class Delivery:
    """What sending needs beyond the flows' deps: the transport, the mail settings, the templates by name."""

    transport: Transport
    settings: OutgoingSettings
    max_upload_bytes: int
    templates: Callable[[str], Template | None] = BUILTIN_TEMPLATES.get


def check_files(files: Sequence[NewFile], max_bytes: int) -> None:
    """At most `MAX_FILES` files of at most `max_bytes` together."""
    if len(files) > MAX_FILES:
        raise InputError(f"At most {MAX_FILES} files can be attached")
    if sum(len(file.data) for file in files) > max_bytes:
        raise TooLarge(f"The attachments are larger than {max_bytes // (1024 * 1024)} MiB together")


def replier_of(record: SealRecord, identity: Identity) -> str:
    """The identity's address that answers: the sender's when it holds it, else its first recipient address."""
    mine = [address.lower() for address in identity.addresses]
    if record.sender in mine:
        return record.sender
    for address in mine:
        if address in record.recipients:
            return address
    raise InputError("None of your addresses is a party to this message")


def answer_recipients(record: SealRecord, identity: Identity, kind: Kind) -> tuple[str, ...]:
    """Whom a reply goes to: the sender, or from the sender its recipients; to all: every other party."""
    mine = {address.lower() for address in identity.addresses}
    if kind == "reply-all":
        chosen = [address for address in (record.sender, *record.recipients) if address not in mine]
    elif replier_of(record, identity) == record.sender:
        chosen = [address for address in record.recipients if address not in mine]
    else:
        chosen = [record.sender]
    if not chosen:
        raise InputError("There is nobody else in this conversation to answer")
    return tuple(dict.fromkeys(chosen))


async def preview(deps: MessageDeps, delivery: Delivery, message_id: str, identity: Identity, kind: Kind) -> Recipients:
    """Whom a reply or reply to all would go to, and its subject (opens the original's index, audited)."""
    record = await _authorise(deps, message_id, identity, kind)
    async with open_envelope(deps, message_id, identity, purpose="compose") as opened:
        original_subject = opened.envelope.index.subject
    to: tuple[str, ...] = ()
    if kind == "forward":
        subject = forward_subject(original_subject)
    else:
        to, subject = answer_recipients(record, identity, kind), reply_subject(original_subject)
    return Recipients(to=to, subject=subject, max_files=MAX_FILES, max_bytes=delivery.max_upload_bytes,
                      template=record.template, rights=record.rights)


async def send_reply(
    deps: MessageDeps, delivery: Delivery, message_id: str, identity: Identity, draft: Draft, *, reply_all: bool
) -> Sent:
    """Seal and send a reply (to all) to `message_id`, as `identity`."""
    kind: Kind = "reply-all" if reply_all else "reply"
    if not draft.body.strip() and not draft.files:
        raise InputError("Write a reply or attach a file")
    check_files(draft.files, delivery.max_upload_bytes)
    record = await _authorise(deps, message_id, identity, kind)
    async with open_envelope(deps, message_id, identity, purpose=kind) as opened:
        index = opened.envelope.index
        subject = reply_subject(index.subject)
        threading = _threading(opened, delivery.settings)
    replier, recipients = replier_of(record, identity), answer_recipients(record, identity, kind)
    raw = await asyncio.to_thread(
        compose_message, sender=replier, recipients=recipients, subject=subject, text=draft.body,
        files=draft.files, threading=threading, message_id_domain=delivery.settings.message_id_domain,
    )
    return await _seal_and_send(deps, delivery, record, raw, replier=replier, recipients=recipients,
                                subject=subject, via="reply")


async def send_forward(
    deps: MessageDeps, delivery: Delivery, message_id: str, identity: Identity, draft: Draft, *, to: str
) -> Sent:
    """Seal the original, with a note, for one new address (where the template grants `forward`)."""
    check_files(draft.files, delivery.max_upload_bytes)
    address = normalise_address(to)
    record = await _authorise(deps, message_id, identity, "forward")
    async with open_envelope(deps, message_id, identity, purpose="forward") as opened:
        replier = replier_of(record, identity)
        if address == replier:
            raise InputError("Forward to someone else's address")
        subject = forward_subject(opened.envelope.index.subject)
        threading = _threading(opened, delivery.settings)
        original = await asyncio.to_thread(_forwarded_original, opened, deps.max_message_bytes)
    files = (*original.files, *draft.files)
    text, html_body = forward_text(draft.body, original)
    raw = await asyncio.to_thread(
        compose_message, sender=replier, recipients=(address,), subject=subject, text=text, html_body=html_body,
        files=files, threading=threading, message_id_domain=delivery.settings.message_id_domain,
    )
    return await _seal_and_send(deps, delivery, record, raw, replier=replier, recipients=(address,),
                                subject=subject, via="forwarded")


async def _authorise(deps: MessageDeps, message_id: str, identity: Identity, kind: Kind) -> SealRecord:
    """Refuse a right the template withholds; other refusals are left to `open_envelope`, which audits them.

    The order keeps answers honest: a revoked message says "revoked" before it says "not allowed".
    """
    record = await deps.keys.record(message_id)
    try:
        decide(record, identity, deps.keys.clock())
    except MailsealError:
        return record
    if kind not in record.rights:
        refusal = RightNotGranted(_RIGHT_WORDS[kind])
        await deps.store.audit.add(at=deps.keys.clock(), action="refuse", message_id=message_id,
                                   actor=identity.audit_name, outcome=refusal.code, detail=kind)
        raise refusal
    return record


_RIGHT_WORDS: Final = {
    "reply": "The sender's protection does not allow replies to this message",
    "reply-all": "The sender's protection does not allow replying to all; reply to the sender instead",
    "forward": "The sender's protection does not allow forwarding this message",
}


def _threading(opened: OpenMessage, settings: OutgoingSettings) -> Threading:
    index = opened.envelope.index
    fallback = mailseal_message_id(opened.envelope.header.id, settings.message_id_domain)
    return threading_for(index.message_id_header, index.references, fallback_id=fallback)


def _forwarded_original(opened: OpenMessage, limit: int) -> ForwardedOriginal:
    """The original's summary, bodies and attachments, decrypted in memory only (they are sealed again)."""
    envelope = opened.envelope
    index = envelope.index
    html_part, text_part = body_parts(index)
    # Every file the reader is offered (docs/display.md): an attached message travels whole, as .eml, and
    # the images the original shows inline go as files too, since their cid: references do not carry over.
    files = [
        NewFile(filename=render.safe_filename(offer.filename),
                content_type=render.safe_content_type(offer.content_type),
                data=b"".join(offer_bytes(opened, offer)))
        for offer in layout_of(opened).offers
    ]

    def text_of(part: fmt.Part | None) -> str | None:
        if part is None or too_large_to_show(part):
            return None  # too large to show: it is among the offered files above
        raw = decode_all(envelope.read_range(part.start, part.end), part.transfer_encoding, limit=limit)
        return decode_text(raw, part.charset).text

    return ForwardedOriginal(
        from_=index.from_, date=index.date, subject=index.subject, to=index.to, cc=index.cc,
        text=text_of(text_part), html=text_of(html_part), files=tuple(files),
    )


async def _seal_and_send(
    deps: MessageDeps,
    delivery: Delivery,
    original: SealRecord,
    raw: bytes,
    *,
    replier: str,
    recipients: tuple[str, ...],
    subject: str,
    via: str,
) -> Sent:
    thread_id = await deps.store.envelopes.thread_id(original.message_id) or original.message_id
    policy = fmt.Policy(template=original.template, rights=original.rights, expires_at=original.expires_at)
    sealed = await protect(
        deps, io.BytesIO(raw), sender=replier, recipients=recipients, policy=policy, actor=replier,
        thread_id=thread_id, in_reply_to=original.message_id, via=via,
    )
    async with deps.store.transaction() as tx:  # the replier's own copy, read: the conversation shows it
        now = int(time.time())
        await tx.envelopes.add_to_inboxes(sealed.message_id, [replier], via="sent", at=now)
        await tx.envelopes.mark_read(sealed.message_id, [replier], at=now)
    template = delivery.templates(original.template) or Template(name=original.template, rights=original.rights)
    mails = await send_wrappers(
        deps, delivery.transport, delivery.settings, message_id=sealed.message_id, recipients=recipients,
        branding=branding_for(template, delivery.settings), template_name=original.template,
        sender=replier, sender_display=replier, subject=subject, expires_at=original.expires_at,
    )
    log.info("%s: sealed %s in thread %s with template %r; %d wrapper mail(s) queued",
             via, sealed.message_id, thread_id, original.template, mails)
    return Sent(id=sealed.message_id, thread_id=thread_id, to=recipients, subject=subject, mails=mails)
