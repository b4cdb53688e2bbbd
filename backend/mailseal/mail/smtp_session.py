"""What both listeners read from an aiosmtpd session: the client's address and the envelope sender."""

from __future__ import annotations

import ipaddress
from typing import Any, Final

from aiosmtpd.smtp import Envelope, Session

from mailseal.errors import InputError
from mailseal.mail import smtp_status as status
from mailseal.mail.addresses import normalise_address

NULL_SENDER: Final = "<>"  # how aiosmtpd hands us `MAIL FROM:<>` (a bounce); kept non-empty so RCPT may follow

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_of(peer: Any) -> IpAddress | None:
    """The IP address of a `peername` tuple (an IPv4-mapped IPv6 address as IPv4), or None."""
    host = peer[0] if isinstance(peer, tuple) and peer else peer
    try:
        address = ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def peer_address(session: Session) -> IpAddress | None:
    return address_of(session.peer)


def is_loopback(peer: Any) -> bool:
    address = address_of(peer)
    return address is not None and address.is_loopback


def sender_of(envelope: Envelope) -> str:
    """The envelope sender, '' for the null sender."""
    sender = envelope.mail_from or ""
    return "" if sender == NULL_SENDER else sender


def accept_sender(envelope: Envelope, address: str, mail_options: list[str]) -> str:
    """MAIL FROM for both listeners: a sane address or the null sender; the reply status to send."""
    if address != NULL_SENDER:
        try:
            normalise_address(address)
        except InputError:
            return status.BAD_SENDER
    envelope.mail_from = address
    envelope.mail_options.extend(mail_options)
    return status.SENDER_OK
