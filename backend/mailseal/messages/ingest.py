"""Ingest: a sealed envelope arrives from a recipient (shared file, upload, forwarded mail).

The envelope must be one this server sealed, byte for byte: its header MAC must equal the one recorded
at seal time. The message then appears in the inbox of the person's addresses that are its parties.
"""

from __future__ import annotations

import hmac
import io
import time
from collections.abc import Sequence

import msgspec

from mailseal import format as fmt
from mailseal.errors import DamagedEnvelope, NotARecipient
from mailseal.keys import Identity, SealRecord
from mailseal.keys.policy import decide
from mailseal.messages.deps import MessageDeps


class Ingested(msgspec.Struct, frozen=True):
    message_id: str
    added: bool


async def recognise_envelope(deps: MessageDeps, envelope: bytes) -> SealRecord:
    """The seal record of an envelope sealed here, byte for byte (header and MAC as recorded); raises
    `UnknownKey` or `DamagedEnvelope` otherwise. No key is unwrapped and nothing is decrypted."""
    header = fmt.read_header(io.BytesIO(envelope))
    record = await deps.keys.record(header.id)
    if not hmac.compare_digest(fmt.header_fingerprint(io.BytesIO(envelope)), record.header_fingerprint):
        raise DamagedEnvelope()
    return record


async def ingest_envelope(deps: MessageDeps, envelope: bytes, identity: Identity, *, via: str) -> Ingested:
    """Add a sealed envelope to the inbox of `identity`'s addresses that may open it."""
    record = await recognise_envelope(deps, envelope)
    message_id = record.message_id
    decide(record, identity, time.time())
    parties = set((record.sender, *record.recipients))
    mine = [a.lower() for a in identity.addresses if a.lower() in parties]
    if not mine:
        raise NotARecipient()
    added = await _add(deps, message_id, mine, via=via)
    if added:
        await deps.notifier.message_arrived(mine, message_id, "message")
    return Ingested(message_id=message_id, added=added)


async def _add(deps: MessageDeps, message_id: str, addresses: Sequence[str], *, via: str) -> bool:
    before = await deps.store.envelopes.held_by(message_id, addresses)
    await deps.store.envelopes.add_to_inboxes(message_id, addresses, via=via, at=int(time.time()))
    return before < len(addresses)
