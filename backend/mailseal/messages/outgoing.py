"""The outgoing flow behind the relay: rules decide; a matching mail is sealed and wrapped, the rest passes on.

Sealed: one sealed message for the visible recipients (To and Cc) and one for each hidden (Bcc)
recipient, because the recipients are readable in a sealed header and must not reveal a Bcc (nor does
the sealed mail: `protect` seals it without its Bcc fields); then one wrapper mail per recipient, each
carrying `message.html`. Not sealed: the original bytes pass on
unchanged except for this hop's `Received` field. Either way the mails go through the one durable
transport, and `submit` returns only once every one of them is queued, so the relay's `250` is true.

Rules that never loaded raise `RulesError` (the relay answers 451): nothing leaves unsealed by mistake.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import io
import logging
import time
from collections.abc import Callable, Sequence
from email.message import Message

import msgspec

from mailseal import format as fmt
from mailseal.config import Settings
from mailseal.errors import InputError
from mailseal.mail import SNIFF_BYTES, not_email
from mailseal.mail.addresses import display_name, normalise_address, parse_address_list
from mailseal.mail.branding import Branding
from mailseal.mail.compose import compose_wrapper_mail
from mailseal.mail.headers import display_text
from mailseal.mail.message_page import message_page_head
from mailseal.mail.outbox import OutgoingMail, Transport
from mailseal.mail.relay import Submission
from mailseal.messages.deps import MessageDeps
from mailseal.messages.protect import protect
from mailseal.rules import Decision, RuleSet, RulesFile, Template, evaluate, facts_from_message
from mailseal.templates import policy_from_template

log = logging.getLogger("mailseal.messages.outgoing")

_HEADERS = email.parser.BytesHeaderParser(policy=email.policy.compat32)


class OutgoingSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What the flow needs from the settings."""

    org_name: str
    org_domains: tuple[str, ...]
    mail_from: str
    base_url: str
    inbound_domain: str = ""
    mail_languages: tuple[str, ...] = ("en",)

    @classmethod
    def of(cls, settings: Settings) -> OutgoingSettings:
        return cls(
            org_name=settings.org_name,
            org_domains=settings.org_domains,
            mail_from=settings.mail_from,
            base_url=settings.base_url,
            inbound_domain=settings.inbound_domain,
            mail_languages=settings.mail_languages,
        )

    @property
    def message_id_domain(self) -> str:
        domain = self.mail_from.rpartition("@")[2]
        return domain or "localhost"


class OutgoingResult(msgspec.Struct, frozen=True, kw_only=True):
    """What happened to one submitted mail (ids and counts only)."""

    sealed: bool
    message_ids: tuple[str, ...] = ()
    mails: int = 0
    decided_by: str | None = None


def decide(
    rules: RuleSet, raw: bytes, *, mail_from: str, recipients: Sequence[str], org_domains: Sequence[str]
) -> Decision:
    """The rules' decision for one mail (also what `mailseal rules test` prints)."""
    facts = facts_from_message(raw, envelope_from=mail_from, envelope_to=recipients)
    return evaluate(rules, facts, org_domains=org_domains)


def envelope_from_headers(raw: bytes) -> tuple[str, tuple[str, ...]]:
    """The sender (From) and recipients (To, Cc, Bcc) read from the headers, for a mail with no envelope."""
    headers = _header_block(raw)
    senders = parse_address_list(_raw_header(headers, "From"))
    recipients: list[str] = []
    for name in ("To", "Cc", "Bcc"):
        for address in parse_address_list(_raw_header(headers, name)):
            if address not in recipients:
                recipients.append(address)
    return (senders[0] if senders else ""), tuple(recipients)


class OutgoingFlow:
    """Submit outgoing mail: decide, then seal and wrap, or pass on; everything through `transport`."""

    def __init__(
        self,
        deps: MessageDeps,
        rules: RulesFile,
        transport: Transport,
        settings: OutgoingSettings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.deps = deps
        self.rules = rules
        self.transport = transport
        self.settings = settings
        self._clock = clock

    async def submit(self, submission: Submission) -> OutgoingResult:
        refusal = not_email(submission.data[:SNIFF_BYTES])  # an Outlook .msg or a .zip: refused in one line
        if refusal is not None:
            raise refusal
        rules = self.rules.current()
        decision = await asyncio.to_thread(
            decide,
            rules,
            submission.data,
            mail_from=submission.mail_from,
            recipients=submission.recipients,
            org_domains=self.settings.org_domains,
        )
        if decision.template is None:
            await self.transport.deliver(
                OutgoingMail(
                    mail_from=submission.mail_from,
                    recipients=submission.recipients,
                    message=submission.trace + submission.data,
                )
            )
            log.info("relay: mail passed on unsealed to %d recipient(s)", len(submission.recipients))
            return OutgoingResult(sealed=False, mails=1, decided_by=decision.decided_by)
        return await self._seal(submission, decision.template, decision.decided_by)

    async def _seal(self, submission: Submission, template: Template, decided_by: str | None) -> OutgoingResult:
        headers = await asyncio.to_thread(_header_block, submission.data)
        sender = _sender(headers, submission.mail_from)
        sender_display = display_name(_raw_header(headers, "From")) or sender
        subject = display_text(_raw_header(headers, "Subject") or "", limit=300)
        policy = policy_from_template(template, now=self._clock())
        actor = f"relay:{submission.login or submission.client}"
        groups = _recipient_groups(headers, submission.recipients)
        branding = branding_for(template, self.settings)  # before sealing: a bad one refuses early
        sealed = []
        for group in groups:
            result = await protect(
                self.deps, io.BytesIO(submission.data), sender=sender, recipients=group, policy=policy, actor=actor
            )
            sealed.append((result.message_id, group))
        mails = 0
        for message_id, group in sealed:
            mails += await send_wrappers(
                self.deps, self.transport, self.settings, message_id=message_id, recipients=group,
                branding=branding, template_name=template.name, sender=sender, sender_display=sender_display,
                subject=subject, expires_at=policy.expires_at,
            )
        ids = tuple(message_id for message_id, _ in sealed)
        log.info(
            "relay: sealed %s with template %r (rule %r); %d wrapper mail(s) queued",
            ",".join(ids), template.name, decided_by, mails,
        )
        return OutgoingResult(sealed=True, message_ids=ids, mails=mails, decided_by=decided_by)


async def send_wrappers(
    deps: MessageDeps,
    transport: Transport,
    settings: OutgoingSettings,
    *,
    message_id: str,
    recipients: Sequence[str],
    branding: Branding,
    template_name: str,
    sender: str,
    sender_display: str,
    subject: str,
    expires_at: int | None,
) -> int:
    """One wrapper mail per recipient of a sealed message, each carrying it as `message.html`; returns how
    many were queued (the relay's sealed mails and the replies sealed in the app both go out this way)."""
    view_url = f"{settings.base_url}/m/{message_id}"
    message_html = await asyncio.to_thread(
        armor_message, deps, message_id, view_url=view_url, org_name=settings.org_name, sender=sender,
        subject_hint=subject if branding.show_subject else None, languages=branding.languages,
    )
    mails = 0
    for recipient in recipients:
        wrapper = await asyncio.to_thread(
            compose_wrapper_mail,
            branding=branding,
            mail_from=settings.mail_from,
            sender_display=sender_display,
            recipient=recipient,
            subject=subject,
            view_url=view_url,
            expires_at=expires_at,
            template=template_name,
            message_html=message_html,
            forward_hint_domain=settings.inbound_domain or None,
            message_id_domain=settings.message_id_domain,
        )
        await transport.deliver(OutgoingMail(mail_from=settings.mail_from, recipients=(recipient,), message=wrapper))
        mails += 1
    return mails


def armor_message(
    deps: MessageDeps, message_id: str, *, view_url: str, org_name: str, sender: str, subject_hint: str | None,
    languages: tuple[str, ...] = ("en",),
) -> bytes:
    """The stored envelope as `message.html` (blocking: call it in a thread)."""
    out = io.BytesIO()
    head = message_page_head(languages=languages, view_url=view_url, org_name=org_name, sender=sender,
                             subject_hint=subject_hint or None)
    with deps.blobs.open(message_id) as envelope:
        fmt.armor(envelope, out, head=head)
    return out.getvalue()


def branding_for(template: Template, settings: OutgoingSettings) -> Branding:
    """The wrapper's look under a template: the template's logo, colour, words and languages (else the
    organisation's), the org's name."""
    org_name = settings.org_name
    colour = template.colour
    if len(colour) == 4:  # #rgb, as the rules file allows
        colour = "#" + "".join(char * 2 for char in colour[1:])
    branding = Branding(
        org_name=org_name,
        logo_url=template.logo_url,
        intro=template.intro,
        disclaimer=template.disclaimer,
        show_subject=template.show_subject,
        languages=template.languages or settings.mail_languages,
    )
    return msgspec.structs.replace(branding, colour=colour.lower()) if colour else branding


def _header_block(raw: bytes) -> Message:
    return _HEADERS.parsebytes(raw)


def _raw_header(headers: Message, name: str) -> str | None:
    try:
        values = headers.get_all(name) or []
        return ", ".join(str(value) for value in values) if values else None
    except Exception:  # a broken header is as good as none here
        return None


def _sender(headers: Message, mail_from: str) -> str:
    """Who may open the message as its sender: the From address, else the envelope sender."""
    from_header = parse_address_list(_raw_header(headers, "From"))
    if from_header:
        return from_header[0]
    try:
        return normalise_address(mail_from)
    except InputError:
        raise InputError("The mail has no usable sender address") from None


def _recipient_groups(headers: Message, recipients: Sequence[str]) -> list[tuple[str, ...]]:
    """The visible recipients together, each hidden (Bcc) recipient on its own."""
    visible = set(parse_address_list(_raw_header(headers, "To")) + parse_address_list(_raw_header(headers, "Cc")))
    every: dict[str, None] = {}
    for address in recipients:
        every.setdefault(normalise_address(address), None)
    shown = tuple(address for address in every if address in visible)
    hidden = [(address,) for address in every if address not in visible]
    return ([shown] if shown else []) + hidden
