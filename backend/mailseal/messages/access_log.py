"""The access log: what the audit trail records about a person's messages, shown to the people it is about.

A recipient reads, for a message of theirs, the rows about their own addresses (delivered, opened and from
which of their devices, replied, forwarded, refused), the rows about the message itself (sent, revoked,
expired) and, without any name, the refused tries of people who are not parties. The sender of a message
reads every party's rows, without device names. Nobody reads another recipient's rows of a message they
did not send, and an audit row's actor (which can hold a person's other addresses) is never shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec

from mailseal.errors import InputError, MailsealError, NotYours, UnknownKey
from mailseal.keys import Identity, SealRecord
from mailseal.messages.deps import MessageDeps
from mailseal.messages.inbox import SummaryCache, summary_of
from mailseal.messages.revoke import SENDER_ACTOR
from mailseal.storage import AccessRow, Delivery

# Audit actions as the log names them; rows of other actions are not about a message's readers.
KINDS = {
    "seal": "sent",
    "open": "opened",
    "attachment": "opened-attachment",
    "list": "listed",
    "compose": "reply-started",
    "reply": "replied",
    "reply-all": "replied-all",
    "forward": "forwarded",
    "refuse": "refused",
    "revoke": "revoked",
    "expire": "expired",
}
SOMEONE_ELSE_REFUSED = "refused-someone-else"
PAGE_LIMIT = 50
_CURSOR = re.compile(r"(\d{1,12})\.([a-z2-7]{26})")


class AccessEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One thing recorded about a message. `address` is the party it is about ("" for the message itself
    or someone who is not a party); `device` names the device, on the person's own rows only."""

    kind: str
    at: int
    address: str = ""
    device: str = ""
    this_device: bool = False
    device_signed_out: bool = False
    outcome: str = ""
    by: str = ""
    via: str = ""


class MessageLog(msgspec.Struct, frozen=True, kw_only=True):
    """A message's access log as one person may read it (`role`: recipient or sender). `recipients` are
    all of them for the sender, the asker's own addresses among them for a recipient."""

    message_id: str
    role: str
    sender: str
    recipients: tuple[str, ...]
    created_at: int
    state: str
    subject: str
    events: list[AccessEvent]


class LogPage(msgspec.Struct, frozen=True, kw_only=True):
    messages: list[MessageLog]
    next: str = ""


class RecipientOpens(msgspec.Struct, frozen=True, kw_only=True):
    address: str
    delivered_at: int | None = None
    first_opened_at: int | None = None
    last_opened_at: int | None = None
    opens: int = 0


class SentMessage(msgspec.Struct, frozen=True, kw_only=True):
    message_id: str
    subject: str
    created_at: int
    state: str
    template: str
    recipients: list[RecipientOpens]


class SentPage(msgspec.Struct, frozen=True, kw_only=True):
    messages: list[SentMessage]
    next: str = ""


def parse_cursor(text: str | None) -> tuple[int, str] | None:
    """A page cursor (`<time>.<message id>`, as `next` gave it), or None for the first page."""
    if not text:
        return None
    found = _CURSOR.fullmatch(text)
    if found is None:
        raise InputError("Not a page of this list")
    return int(found[1]), found[2]


def state_of(record: SealRecord, now: float) -> str:
    if record.revoked_at is not None:
        return "revoked"
    if record.destroyed or (record.expires_at is not None and now >= record.expires_at):
        return "expired"
    return "ok"


async def message_log(
    deps: MessageDeps, summaries: SummaryCache, message_id: str, identity: Identity
) -> MessageLog:
    """One message's log: the sender's view for its sender, a recipient's own view for a recipient;
    `NotYours` for anyone else and for an id that names no message."""
    try:
        record = await deps.keys.record(message_id)
    except UnknownKey:
        raise NotYours() from None
    mine = _lowered(identity.addresses)
    if record.sender in mine:
        rows = await deps.store.access_log.rows_of(message_id)
        deliveries = await deps.store.access_log.deliveries([message_id], record.recipients)
        events = _events(rows, deliveries, identity, own=(record.sender,))
        return await _log(deps, summaries, record, identity, "sender", record.recipients, events)
    own = tuple(a for a in record.recipients if a in mine)
    if not own:
        raise NotYours()
    rows = await deps.store.access_log.rows_about([message_id], own)
    deliveries = await deps.store.access_log.deliveries([message_id], own)
    return await _log(deps, summaries, record, identity, "recipient", own, _events(rows, deliveries, identity, own=own))


async def person_log(
    deps: MessageDeps, summaries: SummaryCache, identity: Identity, *, before: str | None, limit: int
) -> LogPage:
    """A page of every message the person holds, newest first, each with the rows of their own addresses."""
    mine = _lowered(identity.addresses)
    held = await deps.store.access_log.held(mine, before=parse_cursor(before), limit=limit)
    ids = [h.message_id for h in held]
    rows = await deps.store.access_log.rows_about(ids, mine)
    deliveries = await deps.store.access_log.deliveries(ids, mine)
    logs = []
    for message_id in ids:
        try:
            record = await deps.keys.record(message_id)
        except UnknownKey:
            continue
        own = tuple(a for a in record.recipients if a in mine) or tuple(a for a in mine if a == record.sender)
        events = _events(
            [r for r in rows if r.message_id == message_id],
            [d for d in deliveries if d.message_id == message_id],
            identity, own=own,
        )
        logs.append(await _log(deps, summaries, record, identity, "recipient", own, events))
    last = held[-1] if len(held) == limit else None
    return LogPage(messages=logs, next=f"{last.added_at}.{last.message_id}" if last else "")


async def sent_messages(
    deps: MessageDeps, summaries: SummaryCache, identity: Identity, *, before: str | None, limit: int
) -> SentPage:
    """A page of the messages the person sent, newest first, with who opened each and when."""
    records = await deps.store.seals.sent_by(identity.addresses, before=parse_cursor(before), limit=limit)
    ids = [r.message_id for r in records]
    opens = {(o.message_id, o.address): o for o in await deps.store.access_log.opens(ids)}
    everyone = sorted({a for r in records for a in r.recipients})
    delivered = {(d.message_id, d.address): d.at for d in await deps.store.access_log.deliveries(ids, everyone)}
    now = deps.keys.clock()
    messages = []
    for record in records:
        readers = []
        for address in record.recipients:
            found = opens.get((record.message_id, address))
            readers.append(RecipientOpens(
                address=address,
                delivered_at=delivered.get((record.message_id, address)),
                first_opened_at=found.first_at if found else None,
                last_opened_at=found.last_at if found else None,
                opens=found.count if found else 0,
            ))
        messages.append(SentMessage(
            message_id=record.message_id, subject=await _subject(deps, summaries, record, identity, now),
            created_at=record.created_at, state=state_of(record, now), template=record.template, recipients=readers,
        ))
    last = records[-1] if len(records) == limit else None
    return SentPage(messages=messages, next=f"{last.created_at}.{last.message_id}" if last else "")


async def _log(
    deps: MessageDeps, summaries: SummaryCache, record: SealRecord, identity: Identity, role: str,
    recipients: tuple[str, ...], events: list[AccessEvent],
) -> MessageLog:
    now = deps.keys.clock()
    return MessageLog(
        message_id=record.message_id, role=role, sender=record.sender, recipients=recipients,
        created_at=record.created_at, state=state_of(record, now),
        subject=await _subject(deps, summaries, record, identity, now), events=events,
    )


async def _subject(
    deps: MessageDeps, summaries: SummaryCache, record: SealRecord, identity: Identity, now: float
) -> str:
    """The subject from the memory cache, or from the index (an unwrap, audited as "list") while the
    message can still be opened; a revoked or expired message has none, and asking is not audited."""
    if state_of(record, now) != "ok":
        return ""
    try:
        return (await summary_of(deps, record.message_id, identity, summaries)).subject
    except MailsealError:
        return ""


def _events(
    rows: Sequence[AccessRow], deliveries: Sequence[Delivery], identity: Identity, *, own: Sequence[str]
) -> list[AccessEvent]:
    """Rows and deliveries as events, oldest first. Device names only on the rows of `own` addresses."""
    # The seal comes first whatever its second (its row is written a moment after the inbox rows' time),
    # then by time, a delivery before the rows of the same second, rows in the order they were written.
    ranked: list[tuple[int, int, int, int, AccessEvent]] = []
    for row in rows:
        event = _event(row, identity, own)
        if event is not None:
            ranked.append((0 if event.kind == "sent" else 1, row.at, 1, row.id, event))
    for index, delivery in enumerate(deliveries):
        ranked.append((1, delivery.at, 0, index, AccessEvent(
            kind="delivered", at=delivery.at, address=delivery.address, via=delivery.via,
        )))
    return [event for *_, event in sorted(ranked, key=lambda r: r[:4])]


def _event(row: AccessRow, identity: Identity, own: Sequence[str]) -> AccessEvent | None:
    kind = KINDS.get(row.action)
    if kind is None:
        return None
    if row.address is None:
        if kind == "refused":
            return AccessEvent(kind=SOMEONE_ELSE_REFUSED, at=row.at, outcome=row.outcome)
        by = "expiry" if kind == "expired" else "sender" if row.actor.startswith(SENDER_ACTOR) else "organisation"
        return AccessEvent(kind=kind, at=row.at, by=by if kind in ("revoked", "expired") else "")
    device, signed_out = "", False
    if row.address in own and row.device_id:
        device, signed_out = row.device_name or "", row.device_name is None
    on_behalf = row.actor.startswith("admin-for:")
    return AccessEvent(
        kind=kind, at=row.at, address=row.address, device=device, device_signed_out=signed_out,
        this_device=bool(device) and row.device_id == identity.device_id,
        outcome=row.outcome if kind == "refused" else "", by="organisation" if on_behalf else "",
    )


def _lowered(addresses: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a.lower() for a in addresses))
