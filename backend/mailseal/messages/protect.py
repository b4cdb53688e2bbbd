"""Protect: seal a message for its recipients and store the envelope; nothing half-written on failure."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import BinaryIO

import msgspec

from mailseal import format as fmt
from mailseal import metrics
from mailseal.errors import InputError, TooLarge
from mailseal.keys.service import NewSeal, normalise_recipients
from mailseal.mail import SNIFF_BYTES, not_email, without_bcc_stream
from mailseal.messages.deps import MessageDeps
from mailseal.storage.blobs import off_loop


class Sealed(msgspec.Struct, frozen=True):
    message_id: str
    header: fmt.Header
    envelope_size: int


def _source_size(source: BinaryIO) -> int:
    source.seek(0, 2)
    size = source.tell()
    source.seek(0)
    return size


async def protect(
    deps: MessageDeps,
    source: BinaryIO,
    *,
    sender: str,
    recipients: Sequence[str],
    policy: fmt.Policy,
    actor: str,
    thread_id: str | None = None,
    in_reply_to: str | None = None,
    via: str = "seal",
    before_commit: Callable[[BinaryIO, str], None] | None = None,
) -> Sealed:
    """Seal `source` (a seekable RFC 5322 message) and store it; recipients find it in their inbox.

    What is sealed is the message minus its Bcc fields: a sealed copy never shows a Bcc recipient.
    `before_commit(envelope, message_id)` runs once the envelope is sealed but nothing is stored, audited
    or in an inbox yet (the CLI writes its output there): if it raises, nothing is kept."""
    size = _source_size(source)
    if size > deps.max_message_bytes:
        raise TooLarge(f"The message is larger than {deps.max_message_bytes // (1024 * 1024)} MiB")
    refusal = not_email(source.read(SNIFF_BYTES))  # an Outlook .msg or a .zip would be sealed as garbage
    source.seek(0)
    if refusal is not None:
        raise refusal
    parties = normalise_recipients(recipients)
    if not parties:
        raise InputError("A protected message needs at least one recipient")
    source = await asyncio.to_thread(without_bcc_stream, source)
    message_id_bytes = fmt.new_message_id()
    content_key = fmt.new_content_key()
    key_id = deps.keys.current_key_id
    created = int(time.time())
    message_id = fmt.message_id_text(message_id_bytes)
    with deps.blobs.staging() as (staged, staged_path):
        # Sealing is CPU-bound (about 100 MiB/s): off the event loop, so the server keeps answering.
        header = await asyncio.to_thread(
            fmt.seal,
            source,
            staged,
            content_key=content_key,
            message_id=message_id_bytes,
            issuer=deps.issuer,
            sender=sender.strip().lower(),
            recipients=parties,
            policy=policy,
            key_id=key_id,
            created=created,
        )
        staged.flush()
        envelope_size = staged.tell()
        staged.seek(0)
        header_fingerprint = fmt.header_fingerprint(staged)
        if before_commit is not None:
            staged.seek(0)
            await asyncio.to_thread(before_commit, staged, message_id)
        seal = NewSeal(
            message_id=message_id,
            issuer=deps.issuer,
            sender=header.sender,
            recipients=parties,
            template=policy.template,
            rights=tuple(policy.rights),
            created_at=created,
            expires_at=policy.expires_at,
            header_fingerprint=header_fingerprint,
        )
        # The envelope is stored before the transaction that makes it known, and removed if that fails:
        # an upload to a remote store then never holds the database's write lock.
        try:
            await off_loop(deps.blobs, deps.blobs.commit, staged_path, message_id)
            async with deps.store.transaction() as tx:
                await deps.keys.register(tx, seal, content_key, key_id=key_id, actor=actor)
                await tx.envelopes.add(
                    message_id, size=envelope_size, stored_at=created, thread_id=thread_id or message_id,
                    in_reply_to=in_reply_to,
                )
                await tx.envelopes.add_to_inboxes(message_id, parties, via=via, at=created)
        except BaseException:
            await off_loop(deps.blobs, deps.blobs.delete, message_id)
            raise
    metrics.sealed()
    await deps.notifier.message_arrived(parties, message_id, "reply" if in_reply_to else "message")
    return Sealed(message_id=message_id, header=header, envelope_size=envelope_size)

