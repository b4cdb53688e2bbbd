"""A software passkey authenticator for API tests: makes the same bytes a browser and a platform
authenticator would (attestation "none", ES256), with knobs for what tests need to break."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftPasskey:
    """One credential: its key, id, user handle and counter."""

    def __init__(self, *, backup_eligible: bool = True, counter_step: int = 1) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(16)
        self.user_handle = b""
        self.sign_count = 0
        self.counter_step = counter_step
        self.backup_eligible = backup_eligible

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _flags(self, uv: bool) -> int:
        flags = UP | (UV if uv else 0)
        return flags | (BE | BS if self.backup_eligible else 0)

    def create(self, options: dict[str, Any], *, origin: str, rp_id: str | None = None,
               uv: bool = True) -> dict[str, Any]:
        """The JSON of `navigator.credentials.create()` for these options."""
        self.user_handle = unb64url(options["user"]["id"])
        client_data = json.dumps({"type": "webauthn.create", "challenge": options["challenge"], "origin": origin,
                                  "crossOrigin": False}).encode()
        rp_hash = hashlib.sha256((rp_id or options["rp"]["id"]).encode()).digest()
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key()
        auth_data = rp_hash + bytes([self._flags(uv) | AT]) + struct.pack(">I", self.sign_count) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": self.id, "rawId": self.id, "type": "public-key", "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
            "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation),
                         "transports": ["internal"]},
        }

    def get(self, options: dict[str, Any], *, origin: str, rp_id: str | None = None, uv: bool = True,
            sign_count: int | None = None) -> dict[str, Any]:
        """The JSON of `navigator.credentials.get()` for these options."""
        self.sign_count = self.sign_count + self.counter_step if sign_count is None else sign_count
        client_data = json.dumps({"type": "webauthn.get", "challenge": options["challenge"], "origin": origin,
                                  "crossOrigin": False}).encode()
        rp_hash = hashlib.sha256((rp_id or options["rpId"]).encode()).digest()
        auth_data = rp_hash + bytes([self._flags(uv)]) + struct.pack(">I", self.sign_count)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": self.id, "rawId": self.id, "type": "public-key", "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
            "response": {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                         "signature": b64url(signature), "userHandle": b64url(self.user_handle)},
        }
