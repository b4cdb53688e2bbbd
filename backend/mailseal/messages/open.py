"""Open: policy decision and unwrap (in `keys`), then the envelope is authenticated and read.

The envelope file stays open for the life of the context so that attachments can be streamed from it
chunk by chunk, with bounded memory.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import BinaryIO

from mailseal import format as fmt
from mailseal.errors import DamagedEnvelope, NotFound
from mailseal.keys import ContentKey, Identity, SealRecord
from mailseal.messages.deps import MessageDeps
from mailseal.storage.blobs import off_loop


@dataclass
class OpenMessage:
    """An authenticated envelope and the key it was opened with, for the life of a request."""

    key: ContentKey
    envelope: fmt.OpenedEnvelope
    file: BinaryIO


async def unlock(
    deps: MessageDeps, message_id: str, identity: Identity, *, purpose: str = "open"
) -> tuple[ContentKey, SealRecord]:
    """Decide and unwrap (audited) from one read of the seal record. Raises on any refusal."""
    loaded = await deps.keys.load(message_id)
    if not await off_loop(deps.blobs, deps.blobs.exists, message_id):
        raise NotFound("The protected message is not stored here")
    key = await deps.keys.unwrap(message_id, identity, purpose=purpose, loaded=loaded)
    return key, loaded.record


def read_envelope(deps: MessageDeps, key: ContentKey, record: SealRecord) -> OpenMessage:
    """Open the stored envelope, check it is the one sealed here, verify its MAC, decrypt its index.

    Blocks on the blob store (see `off_loop`). The caller closes `file`."""
    handle = deps.blobs.open(key.message_id)
    try:
        if not hmac.compare_digest(fmt.header_fingerprint(handle), record.header_fingerprint):
            raise DamagedEnvelope()
        handle.seek(0)
        return OpenMessage(key=key, envelope=fmt.open_envelope(handle, key.key), file=handle)
    except BaseException:
        handle.close()
        raise


@asynccontextmanager
async def open_envelope(
    deps: MessageDeps, message_id: str, identity: Identity, *, purpose: str = "open"
) -> AsyncIterator[OpenMessage]:
    """Decide, unwrap (audited), verify the header MAC and decrypt the index. Raises on any refusal."""
    key, record = await unlock(deps, message_id, identity, purpose=purpose)
    opened = await off_loop(deps.blobs, read_envelope, deps, key, record)
    try:
        yield opened
    finally:
        opened.file.close()
