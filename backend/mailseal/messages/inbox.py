"""Inboxes: which messages each verified address holds, read state, and the listing with summaries.

The listing comes in pages, newest first, each from the position where the last one ended (see
`inbox_cursor`): a page reads `limit` rows from an index and unwraps at most `limit` summaries that the
memory cache does not hold, whatever the size of the inbox. The counts are kept by the storage room.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Sequence

import msgspec

from mailseal.errors import BadInboxLimit, MailsealError
from mailseal.keys import Identity, SealRecord
from mailseal.mail.addresses import display_name
from mailseal.messages.deps import MessageDeps
from mailseal.messages.open import open_envelope
from mailseal.storage import InboxCounts, InboxPosition, InboxRow

DEFAULT_PAGE = 50
MAX_PAGE = 200


class InboxItem(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    thread_id: str
    from_: str = msgspec.field(name="from")
    from_name: str = ""
    to: tuple[str, ...] = ()
    subject: str = ""
    date: str = ""
    template: str = ""
    rights: tuple[str, ...] = ()
    expires_at: int | None = None
    unread: bool = True
    via: str = "seal"
    state: str = "ok"
    thread_count: int = 1


class Summary(msgspec.Struct, frozen=True):
    subject: str
    from_: str
    date: str


class SummaryCache:
    """Decrypted summaries kept in memory only (never on disk), so a listing does not unwrap each time."""

    def __init__(self, size: int = 2000) -> None:
        self._items: OrderedDict[str, Summary] = OrderedDict()
        self._size = size

    def get(self, message_id: str) -> Summary | None:
        item = self._items.get(message_id)
        if item is not None:
            self._items.move_to_end(message_id)
        return item

    def put(self, message_id: str, summary: Summary) -> None:
        self._items[message_id] = summary
        self._items.move_to_end(message_id)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def forget(self, message_id: str) -> None:
        self._items.pop(message_id, None)


class InboxPage(msgspec.Struct, frozen=True):
    """One page of the listing; `next_position` is None on the last page."""

    items: list[InboxItem]
    next_position: InboxPosition | None
    counts: InboxCounts


async def list_inbox(
    deps: MessageDeps, identity: Identity, cache: SummaryCache, *, limit: int = DEFAULT_PAGE,
    before: InboxPosition | None = None,
) -> InboxPage:
    """A page of the inbox of every verified address of `identity`: up to `limit` messages from just after
    `before` (or the newest), newest first, regrouped by thread within the page (the thread of the newest
    message first). Each item says how many messages of its thread the person holds."""
    if not 1 <= limit <= MAX_PAGE:
        raise BadInboxLimit(f"limit must be between 1 and {MAX_PAGE}")
    if not identity.addresses:
        return InboxPage(items=[], next_position=None, counts=InboxCounts(messages=0, unread=0))
    envelopes = deps.store.envelopes
    rows = await envelopes.inbox(identity.addresses, limit=limit + 1, before=before)
    following = rows[limit - 1].position if len(rows) > limit else None
    rows = rows[:limit]
    sizes = await envelopes.thread_sizes([row.thread_id for row in rows], identity.addresses)
    decided = await deps.keys.check_listed([row.message_id for row in rows], identity)
    listed = [row for row in group_by_thread(rows) if row.message_id in decided]  # a row has a seal (always)
    # The summaries not in memory are unwrapped together: each is decided and audited alone, and their
    # audit rows may then share their commits where the engine groups them.
    items = list(await asyncio.gather(*(
        _item(deps, identity, cache, row, *decided[row.message_id], sizes.get(row.thread_id, 1)) for row in listed
    )))
    return InboxPage(items=items, next_position=following, counts=await envelopes.counts(identity.addresses))


async def _item(
    deps: MessageDeps, identity: Identity, cache: SummaryCache, row: InboxRow, record: SealRecord,
    refusal: MailsealError | None, thread_count: int,
) -> InboxItem:
    message_id = row.message_id
    state = "ok" if refusal is None else refusal.code
    summary = cache.get(message_id) if refusal is None else None
    if refusal is not None:
        cache.forget(message_id)
    elif summary is None:
        try:
            summary = await _summary(deps, message_id, identity)
            cache.put(message_id, summary)
        except MailsealError as failure:  # refused at the unwrap (expired meanwhile): listed as such
            state = failure.code
    return InboxItem(
        id=message_id,
        thread_id=row.thread_id,
        from_=record.sender,
        from_name=summary.from_ if summary else "",
        to=record.recipients,
        subject=summary.subject if summary else "",
        date=summary.date if summary else "",
        template=record.template,
        rights=record.rights,
        expires_at=record.expires_at,
        unread=row.unread,
        via=row.via,
        state=state,
        thread_count=max(thread_count, 1),
    )


def group_by_thread(rows: Sequence[InboxRow]) -> list[InboxRow]:
    """Rows (newest first) regrouped so that each thread's rows follow its newest one, in order."""
    threads: dict[str, list[InboxRow]] = {}
    for row in rows:
        threads.setdefault(row.thread_id, []).append(row)
    return [row for group in threads.values() for row in group]


async def summary_of(deps: MessageDeps, message_id: str, identity: Identity, cache: SummaryCache) -> Summary:
    """A message's summary from the memory cache, else from its index (an unwrap, audited as "list")."""
    summary = cache.get(message_id)
    if summary is None:
        summary = await _summary(deps, message_id, identity)
        cache.put(message_id, summary)
    return summary


async def _summary(deps: MessageDeps, message_id: str, identity: Identity) -> Summary:
    async with open_envelope(deps, message_id, identity, purpose="list") as opened:
        index = opened.envelope.index
        return Summary(subject=index.subject, from_=display_name(index.from_), date=index.date)


async def mark_read(deps: MessageDeps, message_id: str, addresses: Sequence[str]) -> None:
    """Mark the message read for each address, in one write transaction."""
    await deps.store.envelopes.mark_read(message_id, addresses, at=int(time.time()))
