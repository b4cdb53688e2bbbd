"""DKIM signatures (RFC 6376, dkimpy) on every mail Mailseal sends, when the settings name a key.

`DkimTransport` wraps the outbound transport, so wrapper mails, passcode mails and mail the relay passes
on are all signed the same way before they are queued: `d=` is the organisation's domain, so the mails
pass DMARC when their From is in it. The key is RSA in PEM (rsa-sha256, what every receiver checks;
dkimpy's Ed25519 needs PyNaCl, which we do not ship). The key file is read once at startup; signing
runs in a thread (the body hash of a large mail is CPU work).
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Final

import dkim

from mailseal.config import Settings
from mailseal.errors import ConfigError
from mailseal.mail.outbox import OutgoingMail, Transport

log = logging.getLogger("mailseal.mail.dkim")

# What dkimpy raises for a key or a message it cannot use (it also lets TypeError and ValueError through).
UNSIGNABLE: Final = (dkim.DKIMException, ValueError, TypeError)
# The fields we sign (RFC 6376 section 5.4.1); From is required, the rest are signed when present.
SIGNED_FIELDS: Final = (
    b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"reply-to", b"in-reply-to", b"references",
    b"mime-version", b"content-type", b"content-transfer-encoding", b"x-mailseal",
)
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_DNS_NAME: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


class DkimSigner:
    """Signs RFC 5322 messages with one key for one domain and selector."""

    def __init__(self, *, selector: str, domain: str, private_key: bytes) -> None:
        if not _DNS_NAME.fullmatch(selector) or not _DNS_NAME.fullmatch(domain):
            raise ConfigError("dkim_selector and dkim_domain must be DNS names")
        self.selector = selector
        self.domain = domain.lower()
        self._key = private_key
        try:
            self.sign(b"From: check@example.org\r\nSubject: key check\r\n\r\nkey check\r\n")
        except UNSIGNABLE as exc:
            raise ConfigError("the DKIM key cannot sign (it must be an RSA private key in PEM)") from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> DkimSigner | None:
        """The signer the settings ask for, or None when no DKIM key is configured."""
        values = (settings.dkim_selector, settings.dkim_domain, settings.dkim_key_file)
        if not any(values):
            return None
        if not all(values):
            raise ConfigError("dkim_selector, dkim_domain and dkim_key_file go together")
        try:
            key = Path(settings.dkim_key_file).read_bytes()
        except OSError as exc:
            raise ConfigError("dkim_key_file cannot be read") from exc
        return cls(selector=settings.dkim_selector, domain=settings.dkim_domain, private_key=key)

    def sign(self, message: bytes) -> bytes:
        """The message with a `DKIM-Signature` field in front (rsa-sha256, relaxed/relaxed).

        Raises one of `UNSIGNABLE` for a message dkimpy cannot read.
        """
        signature = dkim.sign(
            message,
            self.selector.encode("ascii"),
            self.domain.encode("ascii"),
            self._key,
            canonicalize=(b"relaxed", b"relaxed"),
            signature_algorithm=b"rsa-sha256",
            include_headers=list(SIGNED_FIELDS),
            linesep=b"\r\n",
        )
        return bytes(signature) + message


class DkimTransport:
    """A `Transport` that signs each mail, then hands it to the transport it wraps."""

    def __init__(self, inner: Transport, signer: DkimSigner) -> None:
        self.inner = inner
        self.signer = signer

    async def start(self) -> None:
        await self.inner.start()

    async def stop(self) -> None:
        await self.inner.stop()

    async def deliver(self, mail: OutgoingMail) -> None:
        try:
            signed = await asyncio.to_thread(self.signer.sign, mail.message)
        except UNSIGNABLE as error:
            # Only mail passed on from the relay can be this broken; it still goes, unsigned.
            log.warning("mail not DKIM-signed: dkimpy cannot read it (%s)", type(error).__name__)
            signed = mail.message
        await self.inner.deliver(OutgoingMail(mail_from=mail.mail_from, recipients=mail.recipients, message=signed))


def with_dkim(transport: Transport, settings: Settings) -> Transport:
    """`transport`, signing with the configured DKIM key when there is one."""
    signer = DkimSigner.from_settings(settings)
    return transport if signer is None else DkimTransport(transport, signer)
