"""What the identity room hands out: sessions, devices, grants, and the passcode sender it calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

import msgspec


class PasscodeSender(Protocol):
    """Composes and queues the passcode mail (the mail room), in `language` (a tag of `languages`).
    Called after our transaction commits."""

    async def __call__(self, address: str, code: str, reference: str, expires_minutes: int, language: str) -> None:
        ...


@dataclass(frozen=True)
class CodeRequested:
    """The answer to a code request, and `send`: queue the mail (or do nothing, when the address's limit
    held it back). Call `send` after answering, so both cases answer after the same work. `code_length`
    is the digits of the codes mailed for the address now (8, or 16 while it is guarded)."""

    reference: str
    code_length: int
    send: Callable[[], Awaitable[None]] = field(repr=False)


class Session(msgspec.Struct, frozen=True, kw_only=True):
    """A signed-in browser. `id_hash` is the SHA-256 of the session id; the raw id is never kept."""

    id_hash: str
    device_id: str
    addresses: tuple[str, ...]
    created_at: int
    last_seen_at: int
    expires_at: int


class SessionGrant(msgspec.Struct, frozen=True, kw_only=True):
    """A successful sign-in: the new raw session id (for the cookie, once) and the session."""

    session_id: str
    session: Session

    def __repr__(self) -> str:
        # The raw id must not reach a log through a stray repr.
        return f"SessionGrant(session_id=<redacted>, session={self.session!r})"


class Device(msgspec.Struct, frozen=True, kw_only=True):
    """One of the person's signed-in devices; `current` marks the one asking."""

    id: str
    name: str
    created_at: int
    last_seen_at: int
    current: bool = False
