"""Session ids and device ids: how they are made, checked and hashed; a stored session as the room hands it out.

A session id is 32 random bytes (URL-safe base64) handed to the browser once; the store keeps only its
SHA-256. Each session belongs to exactly one device, and ending a session deletes its device, which
takes the session, its addresses, and the rows other rooms keep per device (push subscriptions) with it.
The rows themselves are the store's (`store.sessions`, `store.devices`).
"""

from __future__ import annotations

import hashlib
import re
import secrets

from mailseal.identity.models import Device, Session
from mailseal.storage import DeviceRow, SessionRow

__all__ = ["SessionRow", "device_of", "hash_session_id", "new_device_id", "new_session_id", "session_of"]

SESSION_ID_BYTES = 32
MAX_SESSION_ID_LENGTH = 128
MAX_DEVICE_ID_LENGTH = 64
_URLSAFE_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_SESSION_ID_LENGTH}}}")


def new_session_id() -> str:
    return secrets.token_urlsafe(SESSION_ID_BYTES)


def new_device_id() -> str:
    return secrets.token_hex(16)


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


def plausible_session_id(session_id: str) -> bool:
    """Cheap shape check, so that junk cookies never reach the database."""
    return _URLSAFE_ID.fullmatch(session_id) is not None


def plausible_device_id(device_id: str) -> bool:
    return 0 < len(device_id) <= MAX_DEVICE_ID_LENGTH and device_id.isascii() and device_id.isalnum()


def session_of(row: SessionRow, addresses: tuple[str, ...]) -> Session | None:
    """The session with its addresses; None if it holds none (it was just ended)."""
    if not addresses:
        return None
    return Session(
        id_hash=row.id_hash,
        device_id=row.device_id,
        addresses=addresses,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
    )


def device_of(row: DeviceRow) -> Device:
    return Device(id=row.id, name=row.name, created_at=row.created_at, last_seen_at=row.last_seen_at,
                  current=row.current)
