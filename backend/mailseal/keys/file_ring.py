"""The `file` key ring: a JSON file (mode 0600, outside the database) of keys by id.

A key is 32 random bytes used only to wrap content keys (AES-256-GCM, see `wrap.py`), held in this
process's memory while it runs. `PassphraseKeyRing` keeps the same keys in a file sealed under a passphrase.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import msgspec

from mailseal.errors import ConfigError, UnknownKey
from mailseal.keys.ring import KeyStoreKind, new_key_id
from mailseal.keys.wrap import unwrap_content_key, wrap_content_key

RING_VERSION = 1


class OrganisationKey(msgspec.Struct, frozen=True):
    id: str
    created: int
    key: bytes


class RingFile(msgspec.Struct):
    version: int
    keys: list[OrganisationKey]


def encode_keys(keys: list[OrganisationKey]) -> bytes:
    """The plain ring file (bytes are base64 in JSON)."""
    return msgspec.json.format(msgspec.json.encode(RingFile(version=RING_VERSION, keys=keys)), indent=2)


def decode_keys(raw: bytes, path: Path) -> list[OrganisationKey]:
    try:
        ring = msgspec.json.decode(raw, type=RingFile)
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{path} is not a valid key ring") from exc
    if ring.version != RING_VERSION or not ring.keys:
        raise ConfigError(f"{path}: unsupported key ring version or empty ring")
    return ring.keys


class FileKeyRing:
    """Organisation keys, loaded from and saved to `path` atomically with mode 0600."""

    kind: KeyStoreKind = "file"

    def __init__(self, path: Path, keys: list[OrganisationKey]) -> None:
        self.path = path
        self._keys = keys

    @classmethod
    def load(cls, path: Path) -> FileKeyRing:
        return cls(path, decode_keys(read_private_file(path), path))

    @classmethod
    def load_or_create(cls, path: Path) -> tuple[FileKeyRing, bool]:
        """Load the ring, creating it with one key on first start. Returns (ring, created)."""
        if path.exists():
            return cls.load(path), False
        # Written aside, then linked into place: of several processes starting at once (the roles of one
        # installation), the first ring wins and the others load it rather than replace it.
        draft = cls(path.with_name(f"{path.name}.{os.getpid()}.new"), [])
        draft.rotate()
        try:
            os.link(draft.path, path)
        except FileExistsError:
            return cls.load(path), False
        finally:
            draft.path.unlink()
        return cls(path, draft.keys()), True

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def ids(self) -> list[str]:
        return [key.id for key in self._keys]

    def current_id(self) -> str:
        return self._keys[-1].id

    def rotate(self) -> str:
        """Add a new newest key and save; older keys stay for older messages."""
        created = int(time.time())
        key = OrganisationKey(id=new_key_id(len(self._keys) + 1, created), created=created,
                              key=secrets.token_bytes(32))
        self._keys.append(key)
        self._save()
        return key.id

    def wrap(self, content_key: bytes, *, message_id: str, key_id: str) -> bytes:
        return wrap_content_key(self._get(key_id), content_key, message_id=message_id, key_id=key_id)

    def unwrap(self, wrapped: bytes, *, message_id: str, key_id: str) -> bytes:
        return unwrap_content_key(self._get(key_id), wrapped, message_id=message_id, key_id=key_id)

    def close(self) -> None:
        """Nothing to let go: the keys live as long as the process."""

    def keys(self) -> list[OrganisationKey]:
        """The keys themselves, for a move to another file kind."""
        return list(self._keys)

    def _get(self, key_id: str) -> bytes:
        for key in self._keys:
            if key.id == key_id:
                return key.key
        raise UnknownKey()

    def _encode(self) -> bytes:
        return encode_keys(self._keys)

    def _save(self) -> None:
        write_private_file(self.path, self._encode())


def read_private_file(path: Path) -> bytes:
    """A key ring file, refused when others may read it."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"no key ring at {path}: run `mailseal keys init`") from exc
    if path.stat().st_mode & 0o077:
        raise ConfigError(f"{path} must not be readable by others (chmod 600)")
    return raw


def write_private_file(path: Path, data: bytes) -> None:
    """Write through a temporary file renamed into place, mode 0600 in a 0700 folder, synced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
