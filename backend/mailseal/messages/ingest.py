"""Ingest: a sealed envelope arrives from a recipient (shared file, upload, forwarded mail).

The envelope must be one this server sealed, byte for byte: its header MAC must equal the one recorded
at seal time. The message then appears in the inbox of the person's addresses that are its parties.

Recognising an envelope needs only its signed header (at most 64 KiB): an upload is first looked at
cheaply (a raw envelope, or the armor block near the top of a `message.html`, decoding only the header),
and only when that does not recognise it is the whole file parsed, in the job pool, off the event loop.
"""

from __future__ import annotations

import hmac
import io
import time
from collections.abc import Sequence

import msgspec

from mailseal import format as fmt
from mailseal.errors import DamagedEnvelope, MailsealError, NotARecipient
from mailseal.jobs import JobPool
from mailseal.keys import Identity, SealRecord
from mailseal.keys.policy import decide
from mailseal.mail.extract import ARMOR_BEGIN, ARMOR_END, dearmor, find_envelopes
from mailseal.messages.deps import MessageDeps

# Where `message.html` puts its armor block: after a page head of a few KiB.
ARMOR_SEARCH_BYTES = 256 * 1024
# Armor text enough for the largest signed header (64 KiB as base64, with line breaks and markup).
_ARMOR_WINDOWS = (8 * 1024, 256 * 1024)
_MAGIC = b"mailseal/v"
# Magic, length, the largest header (64 KiB) and its MAC fit in this.
SIGNED_HEADER_BYTES = 65 * 1024
# Whole parses for people not signed in may take at most this part of the job pool, so that a flood of
# anonymous uploads leaves room for signed-in uploads and first opens.
ANONYMOUS_SHARE = 0.5


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


def envelope_head(data: bytes) -> bytes | None:
    """The start of the envelope in a raw envelope or a `message.html` (enough for its signed header),
    with work bounded whatever the file's size; None when it is not that simple (then parse it whole)."""
    if data.startswith(_MAGIC):
        return data
    begin = data.find(ARMOR_BEGIN, 0, ARMOR_SEARCH_BYTES)
    if begin < 0:
        return None
    start = begin + len(ARMOR_BEGIN)
    for window in _ARMOR_WINDOWS:
        block = data[start : start + window]
        end = block.find(ARMOR_END)
        whole = end >= 0 or len(block) < window
        if end >= 0:
            block = block[:end]
        elif not whole:
            block = block[: block.rfind(b"\n") + 1]  # whole lines only, so no base64 group is cut
        head = dearmor(block)
        if head is not None and _has_signed_header(head):
            return head
        if whole:
            return None
    return None


def _has_signed_header(head: bytes) -> bool:
    try:
        fmt.header_fingerprint(io.BytesIO(head))
    except MailsealError:
        return False
    return True


def first_envelope_head(data: bytes) -> bytes:
    """A job for the pool: parse a whole file (a mail, a page) for its first envelope. Answers with the
    envelope's start only, which is all recognition needs, so the pipe carries kilobytes back."""
    envelope = find_envelopes(data)[0]
    return envelope[:SIGNED_HEADER_BYTES]


async def recognise_upload(deps: MessageDeps, jobs: JobPool, data: bytes, *, signed_in: bool) -> SealRecord:
    """The seal record of the first envelope in an uploaded file: looked at cheaply first, then parsed
    whole in the job pool (which bounds how many, how long and how large). Nothing is decrypted."""
    head = envelope_head(data)
    if head is not None:
        try:
            return await recognise_envelope(deps, head)
        except MailsealError:
            pass  # e.g. a first armor block that is damaged: the whole parse decides
    if signed_in:
        head = await jobs.run(first_envelope_head, data, name="upload")
    else:
        head = await jobs.run(first_envelope_head, data, name="anonymous upload", share=ANONYMOUS_SHARE)
    return await recognise_envelope(deps, head)


async def ingest_envelope(deps: MessageDeps, envelope: bytes, identity: Identity, *, via: str) -> Ingested:
    """Add a sealed envelope to the inbox of `identity`'s addresses that may open it."""
    return await ingest_record(deps, await recognise_envelope(deps, envelope), identity, via=via)


async def ingest_record(deps: MessageDeps, record: SealRecord, identity: Identity, *, via: str) -> Ingested:
    """Add a recognised message to the inbox of `identity`'s addresses that may open it."""
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
