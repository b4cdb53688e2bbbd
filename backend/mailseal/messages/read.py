"""Reading a message for display: decided and audited every time, rendered once and kept sealed.

Each open looks up the message and its read state, makes the policy decision and unwraps the content key (audited, in
`keys`). The rendered view then comes from the sealed view cache when it holds one for this message;
otherwise the envelope is authenticated, only the parts shown are decrypted and the HTML is sanitized,
in a worker thread, and the result is sealed into the cache.
"""

from __future__ import annotations

import asyncio

from mailseal.errors import MailsealError, NotFound
from mailseal.keys import ContentKey, Identity, SealRecord
from mailseal.messages.deps import MessageDeps
from mailseal.messages.display import RenderedMessage, render_message
from mailseal.messages.inbox import mark_read
from mailseal.messages.open import read_envelope, unlock
from mailseal.messages.view_cache import SealedViewCache


async def _thread_and_unread(deps: MessageDeps, message_id: str, identity: Identity) -> tuple[str, bool]:
    found = await deps.store.envelopes.thread_and_unread(message_id, identity.addresses)
    if found is None:
        raise NotFound("No such message")
    return found.thread_id, found.unread


async def read_message(
    deps: MessageDeps,
    views: SealedViewCache,
    message_id: str,
    identity: Identity,
    *,
    with_html: bool = True,
) -> RenderedMessage:
    """Decide, unwrap (audited), render or take the sealed rendering; marks the message read.

    `with_html=False` when only the view is sent: the HTML body is then not decrypted from the cache."""
    thread_id, unread = await _thread_and_unread(deps, message_id, identity)
    try:
        key, record = await unlock(deps, message_id, identity)
    except MailsealError:
        views.discard(message_id)
        raise
    rendered = views.get(key, record.header_fingerprint, with_html=with_html)
    if rendered is None:
        rendered = await asyncio.to_thread(_render, deps, key, record, thread_id)
        views.put(key, record.header_fingerprint, rendered)
    if unread:
        await mark_read(deps, message_id, identity.addresses)
    return rendered


def _render(deps: MessageDeps, key: ContentKey, record: SealRecord, thread_id: str) -> RenderedMessage:
    opened = read_envelope(deps, key, record)
    try:
        return render_message(opened, thread_id=thread_id)
    finally:
        opened.file.close()
