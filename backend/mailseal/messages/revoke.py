"""Revoking a message, for the admin API and for its sender in the app: one path, one audit row.

The content key is destroyed (every copy dies) and the memory caches forget the message at once.
"""

from __future__ import annotations

from mailseal.errors import NotTheSender, UnknownKey
from mailseal.keys import Identity, KeyService, SealRecord
from mailseal.messages.inbox import SummaryCache
from mailseal.messages.view_cache import SealedViewCache

SENDER_ACTOR = "sender:"


async def revoke_message(
    keys: KeyService, summaries: SummaryCache, views: SealedViewCache, message_id: str, *, actor: str
) -> SealRecord:
    """Destroy the message's content key (audited as a revoke by `actor`) and drop what memory holds of it."""
    record = await keys.revoke(message_id, actor=actor)
    summaries.forget(record.message_id)
    views.discard(record.message_id)
    return record


async def revoke_as_sender(
    keys: KeyService, summaries: SummaryCache, views: SealedViewCache, message_id: str, identity: Identity
) -> SealRecord:
    """Revoke a message its sender signed in to the app with: audited as `sender:<address>`. Anyone else,
    and an id that names no message, get the same `NotTheSender`."""
    try:
        record = await keys.record(message_id)
    except UnknownKey:
        raise NotTheSender() from None
    if record.sender not in {a.lower() for a in identity.addresses}:
        raise NotTheSender()
    return await revoke_message(keys, summaries, views, message_id, actor=SENDER_ACTOR + record.sender)
