"""One Mailseal instance on disk: the data folder, its database, key ring, secrets and blob store.

Both the `mailseal` command and the server open the data folder through here, so the layout lives in
one place:

    <data>/mailseal.sqlite    the database (WAL)
    <data>/keys/ring.json     organisation keys (0600; folder 0700), or ring-passphrase.json (sealed
                              under a passphrase), or ring-pkcs11.json (names the token holding them)
    <data>/keys/secret        the server secret for HMACs of passcodes and tokens (0600)
    <data>/blobs/             sealed envelopes (ciphertext only), unless `blob_url` names another store
    <data>/staging/           envelopes being written before their upload to a remote blob store
    <data>/outbox/            the Maildir outbox (when no SMTP server is configured)
    <data>/rules.toml         mail flow rules
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from mailseal.config import Settings
from mailseal.errors import ConfigError
from mailseal.keys import KeyRing, KeyService, open_key_ring
from mailseal.messages import MessageDeps
from mailseal.storage import Database, open_database
from mailseal.storage.blobs import BlobStore, FolderBlobStore, open_blob_store


class DataFolder:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def database(self) -> Path:
        return self.root / "mailseal.sqlite"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def ring(self) -> Path:
        return self.keys / "ring.json"

    @property
    def secret(self) -> Path:
        return self.keys / "secret"

    @property
    def blobs(self) -> Path:
        return self.root / "blobs"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def rules(self) -> Path:
        return self.root / "rules.toml"


def load_or_create_secret(path: Path) -> bytes:
    """The server secret: 32 random bytes, created once with mode 0600."""
    if path.exists():
        data = path.read_bytes()
        if len(data) != 32:
            raise ConfigError(f"{path} is damaged (expected 32 bytes)")
        return data
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(value)
        handle.flush()
        os.fsync(handle.fileno())
    return value


@dataclass
class Instance:
    settings: Settings
    folder: DataFolder
    db: Database
    ring: KeyRing
    keys: KeyService
    blobs: BlobStore
    secret: bytes
    messages: MessageDeps
    created_keys: bool = False

    @classmethod
    async def open(cls, settings: Settings, *, create_keys: bool = True) -> Instance:
        folder = DataFolder(settings.data_path)
        folder.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        ring, created = open_key_ring(settings, folder.keys, create=create_keys)
        secret = load_or_create_secret(folder.secret)
        db = await open_database(folder.database)
        keys = KeyService(db, ring)
        blobs = (
            open_blob_store(settings.blob_url, staging=folder.root / "staging")
            if settings.blob_url
            else FolderBlobStore(folder.blobs)
        )
        deps = MessageDeps(
            db=db, keys=keys, blobs=blobs, issuer=settings.base_url, max_message_bytes=settings.max_message_bytes
        )
        return cls(settings, folder, db, ring, keys, blobs, secret, deps, created)

    async def close(self) -> None:
        await self.db.close()
        self.ring.close()


def derive_secret(secret: bytes, label: bytes) -> bytes:
    """A purpose-specific key from the server secret (HKDF-SHA256 with a named label)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)
