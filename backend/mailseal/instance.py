"""One Mailseal instance on disk: the layout of the data folder, and the server secret.

The composition root (`mailseal.composition`) opens an installation through here, so the layout lives
in one place:

    <data>/mailseal.sqlite    the database (WAL), unless `database_url` names another
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
from pathlib import Path

from mailseal.errors import ConfigError


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


def derive_secret(secret: bytes, label: bytes) -> bytes:
    """A purpose-specific key from the server secret (HKDF-SHA256 with a named label)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)
