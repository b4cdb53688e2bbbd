"""Reading a message for display: decided and audited every time, rendered once and kept sealed.

Each open looks up the message and its read state, makes the policy decision and unwraps the content key (audited, in
`keys`). The rendered view then comes from the sealed view cache when it holds one for this message;
otherwise the envelope is authenticated, only the parts shown are decrypted and the HTML is sanitized,
in a worker process of the job pool (the envelope and the content key cross its pipe, never a disk),
and the result is sealed into the cache.
"""

from __future__ import annotations

import asyncio
import hmac
import io

from mailseal import format as fmt
from mailseal.errors import DamagedEnvelope, MailsealError, NotFound
from mailseal.jobs import JobPool
from mailseal.keys import ContentKey, Identity
from mailseal.messages.deps import MessageDeps
from mailseal.messages.display import RenderedMessage, render_message
from mailseal.messages.inbox import mark_read
from mailseal.messages.open import OpenMessage, unlock
from mailseal.messages.view_cache import SealedViewCache


async def _thread_and_unread(deps: MessageDeps, message_id: str, identity: Identity) -> tuple[str, bool]:
    found = await deps.store.envelopes.thread_and_unread(message_id, identity.addresses)
    if found is None:
        raise NotFound("No such message")
    return found.thread_id, found.unread


async def read_message(
    deps: MessageDeps,
    views: SealedViewCache,
    jobs: JobPool,
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
        envelope = await asyncio.to_thread(_stored_envelope, deps, message_id)
        rendered = await jobs.run(render_envelope, envelope, key, record.header_fingerprint, thread_id, name="render")
        views.put(key, record.header_fingerprint, rendered)
    if unread:
        await mark_read(deps, message_id, identity.addresses)
    return rendered


def _stored_envelope(deps: MessageDeps, message_id: str) -> bytes:
    with deps.blobs.open(message_id) as handle:
        return handle.read()


def render_envelope(
    envelope: bytes, key: ContentKey, header_fingerprint: bytes, thread_id: str
) -> RenderedMessage:
    """A job for the pool: check the envelope is the one sealed here, verify its MAC, decrypt the parts
    shown, sanitize. Everything it needs comes in its arguments; it touches no file and no database."""
    source = io.BytesIO(envelope)
    if not hmac.compare_digest(fmt.header_fingerprint(source), header_fingerprint):
        raise DamagedEnvelope()
    source.seek(0)
    opened = OpenMessage(key=key, envelope=fmt.open_envelope(source, key.key), file=source)
    return render_message(opened, thread_id=thread_id)
