"""The derivation labels of format v1 and the one function that uses them (spec section 4)."""

from __future__ import annotations

from mailseal.format.primitives import KEY_SIZE, hkdf_sha256

HEADER_LABEL = b"mailseal.org/v1/header"
INDEX_LABEL = b"mailseal.org/v1/index"
PAYLOAD_LABEL = b"mailseal.org/v1/payload"


def derive_key(content_key: bytes, message_id: bytes, label: bytes) -> bytes:
    """HKDF-SHA256(ikm = content key, salt = message id, info = label), 32 bytes."""
    return hkdf_sha256(content_key, message_id, label, KEY_SIZE)
