"""The organisation key ring: a JSON file (mode 0600, outside the database) of keys by id.

New seals use the newest key; older keys stay so that older messages still open. A key is 32 random
bytes used only to wrap content keys (AES-256-GCM, see `wrap.py`).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from pathlib import Path

import msgspec

from mailseal.errors import ConfigError, UnknownKey

RING_VERSION = 1


class OrganisationKey(msgspec.Struct, frozen=True):
    id: str
    created: int
    key: bytes


class _RingFile(msgspec.Struct):
    version: int
    keys: list[OrganisationKey]


class KeyRing:
    """Organisation keys, loaded from and saved to `path` atomically with mode 0600."""

    def __init__(self, path: Path, keys: list[OrganisationKey]) -> None:
        self.path = path
        self._keys = keys

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        try:
            raw = path.read_bytes()
        except FileNotFoundError as exc:
            raise ConfigError(f"no key ring at {path}: run `mailseal keys init`") from exc
        if path.stat().st_mode & 0o077:
            raise ConfigError(f"{path} must not be readable by others (chmod 600)")
        try:
            ring = msgspec.json.decode(raw, type=_RingFile)
        except msgspec.DecodeError as exc:
            raise ConfigError(f"{path} is not a valid key ring") from exc
        if ring.version != RING_VERSION or not ring.keys:
            raise ConfigError(f"{path}: unsupported key ring version or empty ring")
        return cls(path, ring.keys)

    @classmethod
    def load_or_create(cls, path: Path) -> tuple[KeyRing, bool]:
        """Load the ring, creating it with one key on first start. Returns (ring, created)."""
        if path.exists():
            return cls.load(path), False
        ring = cls(path, [])
        ring.rotate()
        return ring, True

    def rotate(self) -> OrganisationKey:
        """Add a new newest key and save; older keys stay for older messages."""
        created = int(time.time())
        key = OrganisationKey(
            id=f"k{len(self._keys) + 1}-{time.strftime('%Y%m%d', time.gmtime(created))}-{secrets.token_hex(3)}",
            created=created,
            key=secrets.token_bytes(32),
        )
        self._keys.append(key)
        self._save()
        return key

    def current(self) -> OrganisationKey:
        return self._keys[-1]

    def get(self, key_id: str) -> OrganisationKey:
        for key in self._keys:
            if key.id == key_id:
                return key
        raise UnknownKey()

    @property
    def ids(self) -> list[str]:
        return [key.id for key in self._keys]

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path.parent, 0o700)
        tmp = self.path.with_suffix(".tmp")
        payload = {
            "version": RING_VERSION,
            "keys": [
                {"id": k.id, "created": k.created, "key": base64.b64encode(k.key).decode()} for k in self._keys
            ],
        }
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
