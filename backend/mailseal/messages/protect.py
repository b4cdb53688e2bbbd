"""Protect: seal a message for its recipients and store the envelope; nothing half-written on failure."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import BinaryIO

import msgspec

from mailseal import format as fmt
from mailseal.errors import InputError, TooLarge
from mailseal.keys.service import NewSeal, normalise_recipients
from mailseal.mail import SNIFF_BYTES, not_email, without_bcc_stream
from mailseal.messages.deps import MessageDeps
from mailseal.messages.inbox import add_to_inboxes


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
) -> Sealed:
    """Seal `source` (a seekable RFC 5322 message) and store it; recipients find it in their inbox.

    What is sealed is the message minus its Bcc fields: a sealed copy never shows a Bcc recipient."""
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
        async with deps.db.write() as conn:
            await deps.keys.register(conn, seal, content_key, key_id=key_id, actor=actor)
            await conn.execute(
                "INSERT INTO envelopes (message_id, size, stored_at, thread_id, in_reply_to) VALUES (?, ?, ?, ?, ?)",
                (message_id, envelope_size, created, thread_id or message_id, in_reply_to),
            )
            await add_to_inboxes(conn, message_id, parties, via=via, at=created)
            try:
                deps.blobs.commit(staged_path, message_id)
            except BaseException:
                deps.blobs.delete(message_id)
                raise
    await deps.notifier.message_arrived(parties, message_id, "reply" if in_reply_to else "message")
    return Sealed(message_id=message_id, header=header, envelope_size=envelope_size)

