"""Mail forwarded to a personal Mailseal address: find the sealed envelopes and add them to the inbox.

The envelopes are ingested as the forward address's owner (their verified addresses), so a person can
only ever add messages they may open anyway. A mail is accepted when at least one of its envelopes was
added (or was already there); otherwise the first refusal is raised for the SMTP reply.
"""

from __future__ import annotations

import asyncio
from typing import Final

from mailseal.errors import MailsealError, NotFound
from mailseal.keys import Identity
from mailseal.mail.extract import find_envelopes
from mailseal.mail.inbound import InboundMail
from mailseal.messages.deps import MessageDeps
from mailseal.messages.forward_addresses import ForwardAddresses
from mailseal.messages.ingest import Ingested, ingest_envelope

MAX_ENVELOPES_PER_MAIL: Final = 20
MAX_MIME_DEPTH: Final = 10
MAX_MIME_PARTS: Final = 500


class ForwardedMail:
    """The flow behind the inbound listener: `accepts` at RCPT, `receive` at DATA."""

    def __init__(self, deps: MessageDeps, addresses: ForwardAddresses, *, max_bytes: int) -> None:
        self.deps = deps
        self.addresses = addresses
        self.max_bytes = max_bytes

    async def accepts(self, address: str) -> bool:
        return await self.addresses.accepts(address)

    async def receive(self, mail: InboundMail) -> list[Ingested]:
        owners = await self.addresses.owners(mail.recipient)
        if owners is None:
            raise NotFound("No such Mailseal address")
        envelopes = await asyncio.to_thread(
            find_envelopes, mail.data, max_depth=MAX_MIME_DEPTH, max_parts=MAX_MIME_PARTS, max_bytes=self.max_bytes
        )
        identity = Identity(addresses=owners, actor="forward")
        ingested: list[Ingested] = []
        refusal: MailsealError | None = None
        for envelope in envelopes[:MAX_ENVELOPES_PER_MAIL]:
            try:
                ingested.append(await ingest_envelope(self.deps, envelope, identity, via="forward"))
            except MailsealError as error:
                refusal = refusal or error
        if not ingested:
            assert refusal is not None
            raise refusal
        return ingested
