"""The `passphrase` key ring: the file ring's keys, sealed under a key derived from a passphrase.

The file is JSON with a version marker and every KDF parameter, so a later version can raise the cost
and still read older files:

    {"format": "mailseal-key-ring", "version": 1,
     "kdf": {"name": "argon2id", "memory_kib": 65536, "iterations": 3, "lanes": 4, "salt": <16 bytes>},
     "cipher": "aes-256-gcm", "nonce": <12 bytes>, "sealed": <the plain ring file, encrypted>}

    ring key = Argon2id(passphrase, salt, memory_kib, iterations, lanes) → 32 bytes
    sealed   = AES-256-GCM(ring key, nonce, plain ring, aad = LABEL ‖ 0x00 ‖ the header without "sealed")

Argon2id (RFC 9106) is memory-hard against GPUs and ASICs; the cost is RFC 9106's second recommended
choice (64 MiB, 3 passes, 4 lanes), about half a second here, paid once at start and at each rotation.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from mailseal.errors import ConfigError, WrongPassphrase
from mailseal.keys.file_ring import (
    FileKeyRing,
    OrganisationKey,
    decode_keys,
    encode_keys,
    read_private_file,
)
from mailseal.keys.ring import KeyStoreKind

FORMAT = "mailseal-key-ring"
FORMAT_VERSION = 1
LABEL = b"mailseal.org/v1/key-ring-passphrase"
CIPHER = "aes-256-gcm"
SALT_SIZE = 16
NONCE_SIZE = 12

# What a file may ask for: enough to read files from a costlier future, not enough to exhaust the host.
MAX_MEMORY_KIB = 4 * 1024 * 1024
MAX_ITERATIONS = 64
MAX_LANES = 64


class KdfParams(msgspec.Struct, frozen=True):
    salt: bytes
    name: str = "argon2id"
    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    def derive(self, passphrase: bytes) -> bytes:
        return Argon2id(salt=self.salt, length=32, iterations=self.iterations, lanes=self.lanes,
                        memory_cost=self.memory_kib).derive(passphrase)

    def problem(self) -> str | None:
        if self.name != "argon2id":
            return f"unknown KDF {self.name!r}"
        if len(self.salt) < 8 or not 1 <= self.lanes <= MAX_LANES or not 1 <= self.iterations <= MAX_ITERATIONS:
            return "KDF parameters out of range"
        if not 8 * self.lanes <= self.memory_kib <= MAX_MEMORY_KIB:
            return "KDF memory out of range"
        return None


class _Header(msgspec.Struct, frozen=True):
    format: str
    version: int
    kdf: KdfParams
    cipher: str
    nonce: bytes


class _SealedRing(_Header, frozen=True):
    sealed: bytes = b""


def _aad(header: _Header) -> bytes:
    return LABEL + b"\x00" + msgspec.json.encode(header)


def seal_ring(plain: bytes, passphrase: bytes, kdf: KdfParams | None = None) -> bytes:
    """The passphrase-protected ring file for `plain` (the plain ring file's bytes)."""
    kdf = kdf or KdfParams(salt=os.urandom(SALT_SIZE))
    header = _Header(format=FORMAT, version=FORMAT_VERSION, kdf=kdf, cipher=CIPHER, nonce=os.urandom(NONCE_SIZE))
    sealed = AESGCM(kdf.derive(passphrase)).encrypt(header.nonce, plain, _aad(header))
    ring = _SealedRing(header.format, header.version, header.kdf, header.cipher, header.nonce, sealed)
    return msgspec.json.format(msgspec.json.encode(ring), indent=2)


def open_ring(data: bytes, passphrase: bytes, path: Path) -> bytes:
    """The plain ring file inside `data`; `WrongPassphrase` when it does not authenticate."""
    try:
        ring = msgspec.json.decode(data, type=_SealedRing)
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{path} is not a passphrase-protected key ring") from exc
    if ring.format != FORMAT or ring.version != FORMAT_VERSION or ring.cipher != CIPHER:
        raise ConfigError(f"{path}: unsupported key ring format or version")
    if problem := ring.kdf.problem():
        raise ConfigError(f"{path}: {problem}")
    header = _Header(ring.format, ring.version, ring.kdf, ring.cipher, ring.nonce)
    try:
        return AESGCM(ring.kdf.derive(passphrase)).decrypt(ring.nonce, ring.sealed, _aad(header))
    except (InvalidTag, ValueError):
        raise WrongPassphrase(
            f"the key ring at {path} does not open with this passphrase (a wrong passphrase, or the file was changed)"
        ) from None


class PassphraseKeyRing(FileKeyRing):
    """The file ring's keys in memory; on disk only sealed under the passphrase."""

    kind: KeyStoreKind = "passphrase"

    def __init__(self, path: Path, keys: list[OrganisationKey], passphrase: bytes) -> None:
        super().__init__(path, keys)
        self._passphrase = passphrase

    @classmethod
    def open(cls, path: Path, passphrase: bytes) -> PassphraseKeyRing:
        return cls(path, decode_keys(open_ring(read_private_file(path), passphrase, path), path), passphrase)

    @classmethod
    def create(cls, path: Path, passphrase: bytes, keys: list[OrganisationKey] | None = None) -> PassphraseKeyRing:
        """A new ring at `path`: the given keys (a move from the file ring), else one new key."""
        ring = cls(path, list(keys or []), passphrase)
        if keys:
            ring._save()
        else:
            ring.rotate()
        return ring

    def _encode(self) -> bytes:
        return seal_ring(encode_keys(self._keys), self._passphrase)
