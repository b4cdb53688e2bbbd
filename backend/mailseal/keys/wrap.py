"""Wrapping a content key under an organisation key: AES-256-GCM bound to the message and key ids."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mailseal.errors import DamagedEnvelope

WRAP_LABEL = b"mailseal.org/v1/wrap"
NONCE_SIZE = 12


def wrap_aad(message_id: str, key_id: str) -> bytes:
    """The associated data of a wrapped content key, the same in every key store."""
    return WRAP_LABEL + b"\x00" + message_id.encode() + b"\x00" + key_id.encode()


def wrap_content_key(org_key: bytes, content_key: bytes, *, message_id: str, key_id: str) -> bytes:
    nonce = os.urandom(NONCE_SIZE)
    return nonce + AESGCM(org_key).encrypt(nonce, content_key, wrap_aad(message_id, key_id))


def unwrap_content_key(org_key: bytes, wrapped: bytes, *, message_id: str, key_id: str) -> bytes:
    try:
        return AESGCM(org_key).decrypt(wrapped[:NONCE_SIZE], wrapped[NONCE_SIZE:], wrap_aad(message_id, key_id))
    except (InvalidTag, ValueError) as exc:
        raise DamagedEnvelope() from exc
