"""The organisation's relay: an aiosmtpd handler that takes outgoing mail from allowed senders only.

Never an open relay: RCPT is refused (554 5.7.1) unless the client's address is in `relay_networks` or
the session authenticated with SMTP AUTH. AUTH is offered only when relay users are configured, and
only over TLS or from loopback. The handler parses nothing: after the size, recipient and header
bounds it hands the bytes to the outgoing flow (`submit`) and answers with a named status; `250` comes
only once `submit` returned, that is once every resulting mail is durably queued.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from email.utils import format_datetime
from typing import Any, Protocol

import msgspec
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from mailseal.errors import ConfigError, InputError, MailsealError
from mailseal.mail import smtp_status as status
from mailseal.mail.addresses import normalise_address
from mailseal.mail.header_limits import DEFAULT_LIMITS, HeaderLimits, header_refusal
from mailseal.mail.relay_users import RelayUsers
from mailseal.mail.smtp_log import log_failure
from mailseal.mail.smtp_session import accept_sender, peer_address, sender_of

log = logging.getLogger("mailseal.mail.relay")

MAX_RECIPIENTS = 100
_HELO_UNSAFE = re.compile(r"[^A-Za-z0-9.\-:\[\]_]")

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Submission(msgspec.Struct, frozen=True, kw_only=True):
    """One mail as the relay accepted it: the SMTP envelope, the bytes, and this hop's trace field."""

    mail_from: str
    recipients: tuple[str, ...]
    data: bytes
    trace: bytes
    client: str
    login: str = ""


class Submitted(Protocol):
    @property
    def sealed(self) -> bool: ...


Submit = Callable[[Submission], Awaitable[Submitted]]


def parse_networks(networks: Sequence[str]) -> tuple[IpNetwork, ...]:
    parsed = []
    for text in networks:
        try:
            parsed.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError as exc:
            raise ConfigError(f"relay_networks: {text!r} is not a network (like 10.0.0.0/8)") from exc
    return tuple(parsed)


class RelayAccess:
    """Who may relay: clients in the allowed networks, and authenticated users."""

    def __init__(self, networks: Sequence[str], users: RelayUsers | None = None) -> None:
        self.networks = parse_networks(networks)
        self.users = users if users is not None and len(users) else None

    def network_allows(self, session: Session) -> bool:
        address = peer_address(session)
        return address is not None and any(address in network for network in self.networks)

    def may_authenticate(self, session: Session) -> bool:
        """AUTH is offered only with users configured, and only over TLS or from loopback."""
        if self.users is None:
            return False
        address = peer_address(session)
        return session.ssl is not None or (address is not None and address.is_loopback)

    def allows(self, session: Session) -> bool:
        return self.network_allows(session) or bool(session.authenticated)


class RelayHandler:
    """aiosmtpd hooks for the relay; every answer is a constant from `smtp_status`."""

    def __init__(
        self,
        submit: Submit,
        access: RelayAccess,
        *,
        hostname: str,
        max_recipients: int = MAX_RECIPIENTS,
        header_limits: HeaderLimits = DEFAULT_LIMITS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._submit = submit
        self.access = access
        self.hostname = hostname
        self.max_recipients = max_recipients
        self.header_limits = header_limits
        self._clock = clock

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if self.access.may_authenticate(session):
            return responses
        return [line for line in responses if not line[4:].upper().startswith("AUTH")]

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        return accept_sender(envelope, address, mail_options)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if not self.access.allows(session):
            log.warning("relay refused for a client outside relay_networks (not authenticated)")
            return status.RELAY_DENIED
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return status.TOO_MANY_RECIPIENTS
        try:
            normalised = normalise_address(address)
        except InputError:
            return status.BAD_ADDRESS
        if normalised not in (normalise_address(known) for known in envelope.rcpt_tos):
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        return status.RECIPIENT_OK

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if not envelope.rcpt_tos or not self.access.allows(session):
            return status.RELAY_DENIED
        data = envelope.original_content or b""
        refusal = header_refusal(data, self.header_limits)
        if refusal is not None:
            return refusal
        login = session.auth_data if isinstance(session.auth_data, str) else ""
        submission = Submission(
            mail_from=sender_of(envelope),
            recipients=tuple(envelope.rcpt_tos),
            data=data,
            trace=self.received_field(session),
            client=str(peer_address(session) or "unknown"),
            login=login,
        )
        try:
            outcome = await self._submit(submission)
        except MailsealError as error:
            reply = status.status_for(error)
            log.warning("relay: mail refused (%s): %s", error.code, reply[:3])
            return reply
        except Exception as error:
            log_failure(log, "relay submission", error)
            return status.TEMPORARY_FAILURE
        return status.SEALED if outcome.sealed else status.QUEUED

    async def handle_exception(self, error: Exception) -> str:
        log_failure(log, "relay session", error)
        return status.TEMPORARY_FAILURE

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """aiosmtpd's `authenticator`: LOGIN and PLAIN against the relay users file."""
        users = self.access.users
        if users is None or not self.access.may_authenticate(session) or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        try:
            login = auth_data.login.decode("utf-8")
        except UnicodeDecodeError:
            return AuthResult(success=False, handled=False)
        if users.check(login, auth_data.password):
            return AuthResult(success=True, auth_data=login)
        log.warning("relay: failed AUTH attempt")
        return AuthResult(success=False, handled=False)

    def received_field(self, session: Session) -> bytes:
        """This hop's `Received` field (RFC 5321 section 4.4), with RFC 3848 protocol names."""
        helo = _HELO_UNSAFE.sub("", session.host_name or "")[:255] or "unknown"
        client = peer_address(session)
        protocol = "ESMTP" if session.extended_smtp else "SMTP"
        if session.ssl is not None:
            protocol += "S"
        if session.authenticated:
            protocol += "A"
        when = format_datetime(datetime.fromtimestamp(self._clock()).astimezone())
        line = f"Received: from {helo} ([{client or 'unknown'}])\r\n\tby {self.hostname} (Mailseal relay)"
        return f"{line} with {protocol};\r\n\t{when}\r\n".encode("ascii", "replace")
