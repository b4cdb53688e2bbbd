"""The organisation key ring's one interface, whatever keeps the keys (`key_store`).

A ring holds organisation keys by id; new seals use the current (newest) key, older keys stay so that
older messages still open. A content key is wrapped and unwrapped *by the ring*, bound to its message
id and key id, so a key held in an HSM never has to leave it. The kinds:

    file        keys/ring.json, a 0600 JSON file (file_ring.py)
    passphrase  keys/ring-passphrase.json, the same keys sealed under a passphrase (passphrase_ring.py)
    pkcs11      keys on a PKCS#11 token; keys/ring-pkcs11.json only names the token (token_ring.py)
"""

from __future__ import annotations

import secrets
import time
from typing import Literal, Protocol, get_args

KeyStoreKind = Literal["file", "passphrase", "pkcs11"]
KEY_STORE_KINDS: tuple[KeyStoreKind, ...] = get_args(KeyStoreKind)


class KeyRing(Protocol):
    """What the key service needs from a key ring."""

    @property
    def kind(self) -> KeyStoreKind: ...

    @property
    def location(self) -> str:
        """Where the keys are, for people: a file or a token."""
        ...

    @property
    def ids(self) -> list[str]:
        """Every key id, oldest first; the last is the current one."""
        ...

    def current_id(self) -> str: ...

    def rotate(self) -> str:
        """Add a new current key and keep it; returns its id."""
        ...

    def wrap(self, content_key: bytes, *, message_id: str, key_id: str) -> bytes: ...

    def unwrap(self, wrapped: bytes, *, message_id: str, key_id: str) -> bytes:
        """The content key; `DamagedEnvelope` if it does not authenticate, `UnknownKey` for an unknown id."""
        ...

    def close(self) -> None: ...


def new_key_id(number: int, now: float | None = None) -> str:
    """`k<number>-<yyyymmdd>-<6 hex>`: readable, ordered, and distinct across rings and kinds."""
    day = time.strftime("%Y%m%d", time.gmtime(time.time() if now is None else now))
    return f"k{number}-{day}-{secrets.token_hex(3)}"


def key_number(key_id: str) -> int:
    """The order of a key id made by `new_key_id` (0 for anything else)."""
    head = key_id.split("-", 1)[0]
    return int(head[1:]) if head[:1] == "k" and head[1:].isdigit() else 0
