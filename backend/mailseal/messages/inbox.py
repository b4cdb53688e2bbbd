"""Inboxes: which messages each verified address holds, read state, and the listing with summaries."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence

import aiosqlite
import msgspec

from mailseal.errors import MailsealError
from mailseal.keys import Identity
from mailseal.mail.addresses import display_name
from mailseal.messages.deps import MessageDeps
from mailseal.messages.open import open_envelope


async def add_to_inboxes(
    conn: aiosqlite.Connection, message_id: str, addresses: Sequence[str], *, via: str, at: float | None = None
) -> None:
    """Add a message to each address's inbox (idempotent), inside the caller's transaction."""
    when = int(time.time() if at is None else at)
    for address in addresses:
        await conn.execute(
            "INSERT OR IGNORE INTO inbox (address, message_id, added_at, via) VALUES (?, ?, ?, ?)",
            (address.lower(), message_id, when, via),
        )


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


async def list_inbox(
    deps: MessageDeps, identity: Identity, cache: SummaryCache, *, limit: int = 200
) -> list[InboxItem]:
    """The inbox of every verified address of `identity`, one row per message, grouped by thread: the
    thread with the newest message first, and newest first within a thread."""
    if not identity.addresses:
        return []
    marks = ",".join("?" for _ in identity.addresses)
    rows = await deps.db.fetch_all(
        f"SELECT i.message_id, MAX(i.added_at) AS added_at, MIN(i.via) AS via,"
        f" MAX(i.read_at IS NULL) AS unread, e.thread_id"
        f" FROM inbox i JOIN envelopes e ON e.message_id = i.message_id"
        f" WHERE i.address IN ({marks}) GROUP BY i.message_id"
        f" ORDER BY added_at DESC, MAX(i.rowid) DESC LIMIT ?",  # rowid: arrival order within one second
        (*[a.lower() for a in identity.addresses], limit),
    )
    items = []
    for row in group_by_thread(rows):
        message_id = row["message_id"]
        record = await deps.keys.record(message_id)
        state = "ok"
        summary = cache.get(message_id)
        try:
            await deps.keys.check(message_id, identity)
            if summary is None:
                summary = await _summary(deps, message_id, identity)
                cache.put(message_id, summary)
        except MailsealError as refusal:
            state = refusal.code
            cache.forget(message_id)
            summary = None
        items.append(
            InboxItem(
                id=message_id,
                thread_id=row["thread_id"],
                from_=record.sender,
                from_name=summary.from_ if summary else "",
                to=record.recipients,
                subject=summary.subject if summary else "",
                date=summary.date if summary else "",
                template=record.template,
                rights=record.rights,
                expires_at=record.expires_at,
                unread=bool(row["unread"]),
                via=row["via"],
                state=state,
            )
        )
    return items


def group_by_thread(rows: Sequence[aiosqlite.Row]) -> list[aiosqlite.Row]:
    """Rows (newest first) regrouped so that each thread's rows follow its newest one, in order."""
    threads: dict[str, list[aiosqlite.Row]] = {}
    for row in rows:
        threads.setdefault(row["thread_id"], []).append(row)
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


def unread_clause(addresses: Sequence[str]) -> tuple[str, list[str]]:
    """SQL that is true when `inbox.message_id` is unread for any of `addresses` (lowered), and its params."""
    lowered = list(dict.fromkeys(a.lower() for a in addresses)) or [""]
    marks = ",".join("?" for _ in lowered)
    return (
        f"EXISTS (SELECT 1 FROM inbox WHERE inbox.message_id = ? AND address IN ({marks}) AND read_at IS NULL)",
        lowered,
    )


async def mark_read(deps: MessageDeps, message_id: str, addresses: Sequence[str]) -> None:
    """Mark the message read for each address, in one write transaction."""
    async with deps.db.write() as conn:
        for address in dict.fromkeys(a.lower() for a in addresses):
            await conn.execute(
                "UPDATE inbox SET read_at = ? WHERE address = ? AND message_id = ? AND read_at IS NULL",
                (int(time.time()), address, message_id),
            )
