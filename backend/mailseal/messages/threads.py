"""Threads: the messages of one conversation that a person may open, oldest first.

A thread is the `thread_id` every sealed answer copies from the message it answers. Membership of a
thread says nothing about who may read its messages: each one is decided alone, and the messages an
identity may not open are left out without a trace.
"""

from __future__ import annotations

import msgspec

from mailseal.errors import MailsealError, NotFound
from mailseal.keys import Identity
from mailseal.messages.deps import MessageDeps
from mailseal.messages.inbox import SummaryCache, summary_of

MAX_THREAD_MESSAGES = 200


class ThreadMessage(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    from_: str = msgspec.field(name="from")
    from_name: str = ""
    date: str = ""
    subject: str = ""
    in_reply_to: str | None = None


class Thread(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    messages: tuple[ThreadMessage, ...]


async def thread_of(deps: MessageDeps, message_id: str, identity: Identity, cache: SummaryCache) -> Thread:
    """The thread of `message_id` (which the identity must be allowed to open), oldest first."""
    thread_id = await deps.store.envelopes.thread_id(message_id)
    if thread_id is None:
        raise NotFound("No such message")
    await deps.keys.check(message_id, identity)
    entries = await deps.store.envelopes.thread(thread_id, limit=MAX_THREAD_MESSAGES)
    messages = []
    for item in entries:
        try:
            record = await deps.keys.check(item.message_id, identity)
            summary = await summary_of(deps, item.message_id, identity, cache)
        except MailsealError:
            continue
        messages.append(
            ThreadMessage(id=item.message_id, from_=record.sender, from_name=summary.from_, date=summary.date,
                          subject=summary.subject, in_reply_to=item.in_reply_to)
        )
    shown = {message.id for message in messages}
    return Thread(id=thread_id, messages=tuple(
        message if message.in_reply_to in shown else msgspec.structs.replace(message, in_reply_to=None)
        for message in messages
    ))
