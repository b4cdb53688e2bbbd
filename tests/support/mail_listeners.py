"""The relay and the inbound listener on loopback in the test's own loop, and a small SMTP client.

`mail_stack` builds the services of a data folder (key ring, database, Maildir outbox) through the
composition root, writes an optional rules file, and starts both listeners on free ports, wired exactly
as `mailseal serve` wires them.
`smtp_send` runs one SMTP transaction with aiosmtplib and returns every reply instead of raising.
"""

from __future__ import annotations

import email
import email.message
import email.policy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosmtplib

from mailseal.api.app import default_manifest, default_pwa_dir
from mailseal.composition import Instance, Services, build_services
from mailseal.config import Settings
from mailseal.mail.listeners import MailListeners
from mailseal.mail.outbox import MaildirOutbox, OutgoingMail
from mailseal.messages.forward_addresses import ForwardAddresses
from mailseal.server import mail_listeners
from support.engines import storage_settings
from support.secrets import remember

HOST = "127.0.0.1"
INBOUND_DOMAIN = "in.mailseal.test"
PUBLIC_URL = "https://mailseal.test"

SEAL_SECURE = """
version = 1

[[rule]]
name = "Secure subject"
priority = 10
conditions = { subject_contains = ["[secure]"] }
action = { seal = "encrypt-only" }
"""

SEAL_EVERYTHING = """
version = 1

[[rule]]
name = "Everything"
priority = 10
action = { seal = "encrypt-only" }
"""


@dataclass
class Reply:
    code: int
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 300


@dataclass
class Transaction:
    ehlo: str = ""
    mail: Reply | None = None
    rcpts: list[Reply] = field(default_factory=list)
    data: Reply | None = None

    @property
    def accepted(self) -> bool:
        return self.data is not None and self.data.ok

    @property
    def final(self) -> Reply:
        """The reply that decided the transaction (the first refusal, else the DATA reply)."""
        for reply in (self.mail, *self.rcpts, self.data):
            if reply is not None and not reply.ok:
                return reply
        assert self.data is not None
        return self.data


@dataclass
class MailStack:
    settings: Settings
    services: Services
    outbox: MaildirOutbox
    listeners: MailListeners

    @property
    def instance(self) -> Instance:
        return self.services.instance

    @property
    def forward(self) -> ForwardAddresses:
        return self.services.forward

    @property
    def relay_port(self) -> int:
        return self.listeners.relay.port

    @property
    def inbound_port(self) -> int:
        return self.listeners.inbound.port

    def mails(self) -> list[OutgoingMail]:
        return [self.outbox.read_mail(entry.key) for entry in self.outbox.list()]

    def write_rules(self, text: str) -> None:
        self.instance.folder.rules.write_text(text, encoding="utf-8")


def stack_settings(data: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data": str(data),
        "public_url": PUBLIC_URL,
        "org_name": "Contoso",
        "org_domains": ("example.org",),
        "mail_from": "no-reply@example.org",
        "inbound_domain": INBOUND_DOMAIN,
        "relay_port": 0,
        "inbound_port": 0,
    }
    values.update(storage_settings(overrides))
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def mail_stack(data: Path, *, rules: str | None = None, **overrides: Any) -> AsyncIterator[MailStack]:
    settings = stack_settings(data, **overrides)
    services = await build_services(settings, pwa_dir=default_pwa_dir(), manifest=default_manifest())
    await services.start()
    if rules is not None:
        services.instance.folder.rules.write_text(rules, encoding="utf-8")
    listeners = mail_listeners(settings, services)
    try:
        await listeners.start()
        yield MailStack(settings, services, MaildirOutbox(services.instance.folder.outbox), listeners)
    finally:
        await listeners.stop()
        await services.close()


def _reply(response: Any) -> Reply:
    return Reply(int(response.code), str(response.message))


async def smtp_send(
    port: int,
    data: bytes,
    *,
    mail_from: str = "alice@example.org",
    recipients: Sequence[str] = ("bob@partner.example",),
    login: tuple[str, str] | None = None,
    tls_context: Any = None,
    timeout: float = 60,
) -> Transaction:
    """One transaction; stops at the first refusal (MAIL), or after all RCPTs when none was accepted."""
    client = aiosmtplib.SMTP(hostname=HOST, port=port, timeout=timeout, start_tls=False)
    await client.connect()
    result = Transaction()
    try:
        ehlo = await client.ehlo()
        result.ehlo = ehlo.message
        if tls_context is not None:
            await client.starttls(tls_context=tls_context)
            result.ehlo = (await client.ehlo()).message
        if login is not None:
            await client.login(*login)
        try:
            result.mail = _reply(await client.mail(mail_from))
        except aiosmtplib.SMTPResponseException as refused:
            result.mail = Reply(refused.code, refused.message)
            return result
        for recipient in recipients:
            try:
                result.rcpts.append(_reply(await client.rcpt(recipient)))
            except aiosmtplib.SMTPResponseException as refused:
                result.rcpts.append(Reply(refused.code, refused.message))
        if not any(reply.ok for reply in result.rcpts):
            return result
        try:
            result.data = _reply(await client.data(data))
        except aiosmtplib.SMTPResponseException as refused:
            result.data = Reply(refused.code, refused.message)
        return result
    finally:
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()


async def smtp_alive(port: int) -> bool:
    """Whether the listener still greets and answers NOOP."""
    client = aiosmtplib.SMTP(hostname=HOST, port=port, timeout=10, start_tls=False)
    await client.connect()
    try:
        return (await client.noop()).code == 250
    finally:
        await client.quit()


def parse_mail(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def plain_mail(subject: str = "Lunch", body: str = "See you at noon.\r\n", *,
               sender: str = "Alice Example <alice@example.org>", to: str = "bob@partner.example",
               cc: str | None = None, extra: Sequence[tuple[str, str]] = ()) -> bytes:
    """A small mail written by hand with CRLF line ends, so its bytes are known exactly."""
    lines = [f"From: {sender}", f"To: {to}"]
    if cc:
        lines.append(f"Cc: {cc}")
    lines += [f"Subject: {subject}", "Date: Fri, 27 Nov 2026 09:00:00 +0000",
              "Message-ID: <m1@example.org>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    lines += [f"{name}: {value}" for name, value in extra]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")


def forward_as_attachment(wrapper: bytes, *, sender: str, to: str) -> bytes:
    """What "Forward as attachment" makes: a new mail with the wrapper inside as message/rfc822."""
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Fwd: protected message"
    message.set_content("Forwarded to Mailseal.\n")
    message.add_attachment(parse_mail(wrapper))
    return message.as_bytes()


def forward_inline(wrapper: bytes, *, sender: str, to: str) -> bytes:
    """What Gmail's inline forward makes: the notice quoted in the body, `message.html` attached again."""
    original = parse_mail(wrapper)
    text = original.get_body(preferencelist=("plain",))
    html = original.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    attachment = next(original.iter_attachments())
    quoted = "".join(f"> {line}\n" for line in text.get_content().splitlines())
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f"Fwd: {original['Subject']}"
    message.set_content(f"---------- Forwarded message ---------\nFrom: {original['From']}\n\n{quoted}")
    message.add_alternative(f"<div>---------- Forwarded message ---------</div><blockquote>{html.get_content()}"
                            "</blockquote>", subtype="html")
    message.add_attachment(attachment.get_content().encode("utf-8"), maintype="text", subtype="html",
                           filename="message.html")
    return message.as_bytes()


async def relay_and_take_wrapper(stack: MailStack, *, to: str = "bob@partner.example",
                                 subject: str = "[secure] Project Falcon") -> tuple[str, bytes]:
    """Submit a mail that the rules seal; return its message id and the wrapper mail sent to `to`."""
    before = {entry.key for entry in stack.outbox.list()}
    body = "Top secret: the board pack."
    remember(body)
    sent = await smtp_send(stack.relay_port, plain_mail(subject, body + "\r\n", to=to), recipients=[to])
    assert sent.data is not None and sent.data.code == 250, sent
    (key,) = [entry.key for entry in stack.outbox.list() if entry.key not in before]
    mail = stack.outbox.read_mail(key)
    records = await stack.instance.keys.list_records(limit=1)
    return records[0].message_id, mail.message
