"""RFC 8291 / RFC 8188 known answers: the test service's decryption and our encryption path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mailseal.push import PAYLOAD_SIZE, build_payload
from mailseal.push.payload import BODY_SIZE, encrypt
from support.push_service import b64d, b64e, decrypt_rfc8291, derive_rfc8291


@pytest.fixture(scope="module")
def vector(corpora: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((corpora / "vectors" / "webpush_rfc8291_rfc8188.json").read_text())
    return data["rfc8291_section5"]


def _private(raw: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(b64d(raw), "big"), ec.SECP256R1())


def test_rfc8291_intermediates(vector: dict[str, Any]) -> None:
    inputs, expected = vector["inputs"], vector["intermediate"]
    keys = derive_rfc8291(
        _private(inputs["ua_private"]), b64d(inputs["as_public"]), b64d(inputs["auth_secret"]), b64d(inputs["salt"])
    )
    assert b64e(keys.ecdh_secret) == expected["ecdh_secret"]
    assert b64e(keys.prk_key) == expected["prk_key"]
    assert b64e(keys.key_info) == expected["key_info"]
    assert b64e(keys.ikm) == expected["ikm"]
    assert b64e(keys.prk) == expected["prk"]
    assert b64e(keys.cek) == expected["cek"]
    assert b64e(keys.nonce) == expected["nonce"]


def test_rfc8291_body_decrypts(vector: dict[str, Any]) -> None:
    inputs = vector["inputs"]
    body = b64d(vector["body"])
    assert len(body) == vector["body_length"]
    plaintext = decrypt_rfc8291(body, _private(inputs["ua_private"]), b64d(inputs["auth_secret"]))
    assert plaintext == inputs["plaintext_utf8"].encode()


def test_our_encryption_reproduces_the_rfc_body(vector: dict[str, Any]) -> None:
    """With the RFC's salt and sender key injected, `payload.encrypt` gives the RFC's exact body."""
    inputs = vector["inputs"]
    body = encrypt(
        inputs["plaintext_utf8"].encode(),
        b64d(inputs["ua_public"]),
        b64d(inputs["auth_secret"]),
        salt=b64d(inputs["salt"]),
        sender_key=_private(inputs["as_private"]),
    )
    assert b64e(body) == vector["body"]
    assert body[:86] == b64d(vector["intermediate"]["header"])


def test_tampered_body_does_not_decrypt(vector: dict[str, Any]) -> None:
    inputs = vector["inputs"]
    body = bytearray(b64d(vector["body"]))
    body[-1] ^= 1
    with pytest.raises(Exception, match="authenticate"):
        decrypt_rfc8291(bytes(body), _private(inputs["ua_private"]), b64d(inputs["auth_secret"]))


def test_fresh_encryption_round_trips_at_fixed_size() -> None:
    browser = ec.generate_private_key(ec.SECP256R1())
    public = browser.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = bytes(range(16))
    plaintext = build_payload("abc123", "message", "https://mail.example.org")
    first = encrypt(plaintext, public, auth)
    second = encrypt(plaintext, public, auth)
    assert first != second  # fresh salt and sender key every time
    assert len(first) == len(second) == BODY_SIZE
    assert decrypt_rfc8291(first, browser, auth) == plaintext
    assert len(plaintext) == PAYLOAD_SIZE
