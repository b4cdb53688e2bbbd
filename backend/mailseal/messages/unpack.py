"""Finding one offered file for download, with the heavy part in the job pool.

To know which file has a given number the message is laid out, and that decodes its text parts (to find
uuencoded files, up to 5 MiB each) and its TNEF parts (up to 32 MiB, parsed by tnefparse); a file found
inside one of them is then decoded whole. On the event loop's threads that holds the GIL for as long as
it takes, so every request waits: it runs in a worker of the job pool instead, which receives the
envelope and the content key through its pipe (as a first open's rendering does) and answers with the
file's place, and its bytes when it lives inside a part. A file that is a part of its own is streamed
from the envelope here, chunk by chunk, as before. A message with nothing to unpack (no TNEF part, no
large text part) is laid out on a thread: that reads only small text.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from typing import BinaryIO, Final

import msgspec

from mailseal import format as fmt
from mailseal.jobs import JobPool
from mailseal.keys import ContentKey
from mailseal.messages.display_layout import Offer, TnefEntry, UuBlock
from mailseal.messages.display_model import find_offer, offer_bytes, offered_file
from mailseal.messages.open import OpenMessage
from mailseal.messages.tnef import is_tnef

SMALL_TEXT_BYTES: Final = 64 * 1024
"""A text part up to this size (encoded) is searched for uuencoded files in the blink of an eye."""
MAX_ENVELOPE_TO_POOL: Final = 96 * 1024 * 1024
"""A larger envelope is not copied whole into a worker (its layout is found on a thread, as before)."""


class Located(msgspec.Struct, frozen=True):
    """The file found: where it comes from, and its bytes when it was unpacked from inside a part."""

    offer: Offer
    data: bytes | None = None


def needs_unpacking(index: fmt.MessageIndex) -> bool:
    """Whether laying out the message decodes more than small text: a TNEF part, or a large text part."""
    return any(
        is_tnef(part.content_type, part.filename)
        or (part.content_type.lower().startswith("text/") and part.end - part.start > SMALL_TEXT_BYTES)
        for part in index.parts
    )


def locate(envelope: bytes, key: ContentKey, index: int) -> Located | None:
    """A job for the pool: open the envelope (its MAC is verified again here), lay it out, find file
    `index`, and unpack it when it lives inside a part (a uuencoded block, a TNEF entry)."""
    source = io.BytesIO(envelope)
    opened = OpenMessage(key=key, envelope=fmt.open_envelope(source, key.key), file=source)
    offer = find_offer(opened, index)
    if offer is None:
        return None
    if isinstance(offer.source, UuBlock | TnefEntry):
        return Located(offer, b"".join(offer_bytes(opened, offer)))
    return Located(offer)


async def offered_file_off_loop(
    jobs: JobPool, opened: OpenMessage, index: int
) -> tuple[Offer, Iterator[bytes]] | None:
    """The offered file numbered `index` and its bytes (see the module); None when there is no such file."""
    envelope = opened.envelope
    if not needs_unpacking(envelope.index) or envelope.header.payload_size > MAX_ENVELOPE_TO_POOL:
        return await asyncio.to_thread(offered_file, opened, index)
    whole = await asyncio.to_thread(_whole, opened.file)
    located = await jobs.run(locate, whole, opened.key, index, name="unpack")
    del whole
    if located is None:
        return None
    if located.data is not None:
        return located.offer, iter([located.data])
    return located.offer, offer_bytes(opened, located.offer)


def _whole(handle: BinaryIO) -> bytes:
    """The envelope whose header and MAC were just verified, from the same open handle."""
    handle.seek(0)
    return handle.read()
