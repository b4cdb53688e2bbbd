"""The three primitives of the format, as thin wrappers over pyca/cryptography.

Every tag failure becomes `DamagedEnvelope`, so no caller can leak which check failed.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mailseal.errors import DamagedEnvelope

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
MAC_SIZE = 32


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int = KEY_SIZE) -> bytes:
    """RFC 5869 HKDF with SHA-256."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """RFC 2104 HMAC with SHA-256."""
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(message)
    return mac.finalize()


def hmac_sha256_verify(key: bytes, message: bytes, tag: bytes) -> None:
    """Check an HMAC-SHA256 tag in constant time; raises `DamagedEnvelope`."""
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(message)
    try:
        mac.verify(tag)
    except InvalidSignature:
        raise DamagedEnvelope() from None


class Aead:
    """AES-256-GCM under one key (12-byte nonces, 16-byte tags)."""

    def __init__(self, key: bytes) -> None:
        self._aesgcm = AESGCM(key)

    def seal(self, nonce: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
        return self._aesgcm.encrypt(nonce, plaintext, aad)

    def open(self, nonce: bytes, ciphertext: bytes, aad: bytes = b"") -> bytes:
        """Decrypt and authenticate; raises `DamagedEnvelope` on any failure."""
        try:
            return self._aesgcm.decrypt(nonce, ciphertext, aad)
        except (InvalidTag, ValueError):
            raise DamagedEnvelope() from None
