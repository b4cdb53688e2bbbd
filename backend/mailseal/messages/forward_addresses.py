"""Personal forward addresses: `<token>@<inbound domain>`, one per person, for mail forwarded to Mailseal.

A person is the set of verified addresses of a session: they share one token, made the first time it
is asked for (at sign-in, through `GET /api/me`). A new address verified later joins the token of the
session's other addresses. `regenerate` gives the person a new token; the old address stops working at
once (unknown addresses are refused at RCPT).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Final

from mailseal.errors import InputError
from mailseal.mail.addresses import normalise_address
from mailseal.storage import Store, Transaction

# Lower-case letters and digits without the look-alikes 0/o and 1/l: easy to read out and type.
TOKEN_ALPHABET: Final = "abcdefghijkmnpqrstuvwxyz23456789"  # noqa: S105 - an alphabet
TOKEN_LENGTH: Final = 16  # 80 bits
_TOKEN: Final = re.compile(f"[{TOKEN_ALPHABET}]{{{TOKEN_LENGTH}}}")


def new_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


class ForwardAddresses:
    """The store of forward addresses: token -> the verified addresses of its owner."""

    def __init__(self, store: Store, domain: str, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.domain = normalise_address(f"postmaster@{domain}").rpartition("@")[2]
        self._clock = clock

    def address_of(self, token: str) -> str:
        return f"{token}@{self.domain}"

    def token_of(self, address: str) -> str | None:
        """The token of a forward address of ours, or None for any other address."""
        try:
            local, _, domain = normalise_address(address).rpartition("@")
        except InputError:
            return None
        return local if domain == self.domain and _TOKEN.fullmatch(local) else None

    async def address_for(self, addresses: Sequence[str]) -> str | None:
        """The forward address of the person with these verified addresses, made on first use."""
        wanted = _normalised(addresses)
        if not wanted:
            return None
        linked = await self.store.forward_addresses.tokens_of(wanted)
        if len(linked) == len(wanted):
            return self.address_of(linked[wanted[0]])
        async with self.store.transaction() as tx:
            token = await self._link(tx, wanted)
        return self.address_of(token)

    async def regenerate(self, addresses: Sequence[str]) -> str:
        """A new forward address for the person; the old one is refused from now on."""
        wanted = _normalised(addresses)
        if not wanted:
            raise InputError("A forward address needs a verified address")
        token = new_token()
        async with self.store.transaction() as tx:
            old = await self._link(tx, wanted)
            await tx.forward_addresses.replace_token(old, token, at=int(self._clock()))
        return self.address_of(token)

    async def owners(self, address: str) -> tuple[str, ...] | None:
        """The verified addresses behind a forward address, or None when it is not one of ours."""
        token = self.token_of(address)
        if token is None:
            return None
        return await self.store.forward_addresses.owners(token) or None

    async def accepts(self, address: str) -> bool:
        return await self.owners(address) is not None

    async def _link(self, tx: Transaction, wanted: Sequence[str]) -> str:
        """Inside a unit of work: the person's token (made if none), with every wanted address linked to it."""
        await tx.forward_addresses.serialize()
        linked = await tx.forward_addresses.tokens_of(wanted)
        now = int(self._clock())
        token = next((linked[address] for address in wanted if address in linked), None)
        if token is None:
            token = new_token()
            await tx.forward_addresses.add_token(token, at=now)
        for address in wanted:
            if address not in linked:
                await tx.forward_addresses.add_owner(address, token, at=now)
        return token


def _normalised(addresses: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for address in addresses:
        try:
            seen.setdefault(normalise_address(address), None)
        except InputError:
            continue
    return list(seen)
