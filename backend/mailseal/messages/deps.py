"""What the message flows need, wired once by the instance (CLI or server)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from mailseal.keys import KeyService
from mailseal.storage import Store
from mailseal.storage.blobs import BlobStore


class Notifier(Protocol):
    """Told when a message enters inboxes (the push room implements it). Must never block."""

    async def message_arrived(self, addresses: Sequence[str], message_id: str, kind: str) -> None: ...


class NoNotifier:
    async def message_arrived(self, addresses: Sequence[str], message_id: str, kind: str) -> None:
        return None


@dataclass(frozen=True)
class MessageDeps:
    store: Store
    keys: KeyService
    blobs: BlobStore
    issuer: str
    max_message_bytes: int
    notifier: Notifier = field(default_factory=NoNotifier)
