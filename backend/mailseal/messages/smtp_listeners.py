"""The two SMTP listeners wired to their flows: the relay to `OutgoingFlow`, the inbound one to `ForwardedMail`."""

from __future__ import annotations

from typing import Final

from mailseal.config import Settings
from mailseal.mail.inbound import InboundHandler
from mailseal.mail.listeners import MailListeners, SmtpListener, tls_context_from_files
from mailseal.mail.outbox import Transport
from mailseal.mail.relay import RelayAccess, RelayHandler
from mailseal.mail.relay_users import RelayUsers
from mailseal.mail.smtp_limits import SessionLimits
from mailseal.messages.deps import MessageDeps
from mailseal.messages.forward_addresses import ForwardAddresses
from mailseal.messages.forwarded import ForwardedMail
from mailseal.messages.outgoing import OutgoingFlow, OutgoingSettings
from mailseal.rules import RulesFile

MiB: Final = 1024 * 1024
# A forwarded mail carries message.html in base64 (the envelope grows by 4/3, twice): room for that,
# within what `find_envelopes` reads.
MAX_INBOUND_BYTES: Final = 64 * MiB


def inbound_size_limit(settings: Settings) -> int:
    return min(2 * settings.max_message_bytes + MiB, MAX_INBOUND_BYTES)


def build_listeners(
    settings: Settings,
    *,
    deps: MessageDeps,
    rules: RulesFile,
    transport: Transport,
    forward: ForwardAddresses,
) -> MailListeners:
    users = RelayUsers.load(settings.relay_users_file) if settings.relay_users_file else None
    outgoing = OutgoingFlow(deps, rules, transport, OutgoingSettings.of(settings))
    relay = RelayHandler(
        outgoing.submit,
        RelayAccess(settings.relay_networks, users),
        hostname=settings.mail_from.rpartition("@")[2] or "localhost",
    )
    forwarded = ForwardedMail(deps, forward, max_bytes=inbound_size_limit(settings))
    inbound = InboundHandler(forwarded.accepts, forwarded.receive, domain=settings.inbound_domain)
    limits = SessionLimits(max_client_connections=settings.smtp_client_connections)
    return MailListeners(
        relay=SmtpListener(
            relay,
            name="relay",
            host=settings.relay_host,
            port=settings.relay_port,
            hostname=relay.hostname,
            data_size_limit=settings.max_message_bytes,
            tls_context=tls_context_from_files(settings.relay_tls_cert_file, settings.relay_tls_key_file),
            authenticator=relay.authenticate if relay.access.users is not None else None,
            plain_auth_on_loopback=True,
            limits=limits,
        ),
        inbound=SmtpListener(
            inbound,
            name="inbound",
            host=settings.inbound_host,
            port=settings.inbound_port,
            hostname=inbound.domain,
            data_size_limit=inbound_size_limit(settings),
            limits=limits,
        ),
    )
