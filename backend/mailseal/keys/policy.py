"""The policy decision: may this verified identity open this message now?

Decided from the key service's own record (written at seal time), never from the envelope, so a
tampered header cannot widen who may open a message.
"""

from __future__ import annotations

from typing import Protocol

import msgspec

from mailseal.errors import MessageExpired, MessageRevoked, NotARecipient


class Identity(msgspec.Struct, frozen=True):
    """Who asks: the addresses they have proven, how to name them in the audit trail, and the device
    they ask from (empty outside the app), recorded so a person's access log can say which device."""

    addresses: tuple[str, ...]
    actor: str = ""
    device_id: str = ""

    @property
    def audit_name(self) -> str:
        return self.actor or ",".join(self.addresses)


class Facts(Protocol):
    """What the decision reads of a seal record (a `SealRecord` is one)."""

    @property
    def sender(self) -> str: ...
    @property
    def recipients(self) -> tuple[str, ...]: ...
    @property
    def expires_at(self) -> int | None: ...
    @property
    def revoked_at(self) -> int | None: ...
    @property
    def destroyed(self) -> bool: ...


def party_address(facts: Facts, identity: Identity) -> str | None:
    """The first of `identity`'s addresses that is a party (sender or recipient) of the message, or None."""
    parties = (facts.sender, *facts.recipients)
    return next((a.lower() for a in identity.addresses if a.lower() in parties), None)


def decide(facts: Facts, identity: Identity, now: float) -> str:
    """Return the address through which `identity` may open the message, or raise why not.

    Order matters for honest answers: a revoked message says so even to a non-recipient who holds a copy.
    """
    if facts.revoked_at is not None:
        raise MessageRevoked()
    if facts.expires_at is not None and now >= facts.expires_at:
        raise MessageExpired()
    parties = (facts.sender, *facts.recipients)
    for address in identity.addresses:
        if address.lower() in parties:
            if facts.destroyed:
                raise MessageExpired()
            return address.lower()
    raise NotARecipient()
