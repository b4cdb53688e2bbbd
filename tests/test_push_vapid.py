"""VAPID keys on disk and the tokens signed with them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mailseal.errors import ConfigError
from mailseal.push import PushConfig, load_or_create_vapid, validate_contact
from mailseal.push.vapid import TOKEN_LIFETIME_SECONDS, AuthorizationCache
from support.push_service import VapidError, b64d, verify_vapid

NOW = 1_800_000_000


def test_key_is_created_private_and_reloaded(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    first = load_or_create_vapid(keys_dir)
    path = keys_dir / "vapid.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys_dir.stat().st_mode) == 0o700
    again = load_or_create_vapid(keys_dir)
    assert again.application_server_key == first.application_server_key
    raw = b64d(first.application_server_key)
    assert len(raw) == 65 and raw[0] == 0x04
    assert "=" not in first.application_server_key and "+" not in first.application_server_key
    assert list(keys_dir.iterdir()) == [path]


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_or_create_vapid(tmp_path)
    os.chmod(tmp_path / "vapid.pem", 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_or_create_vapid(tmp_path)


def test_damaged_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "vapid.pem"
    path.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    os.chmod(path, 0o600)
    with pytest.raises(ConfigError):
        load_or_create_vapid(tmp_path)


def test_token_claims(tmp_path: Path) -> None:
    keys = load_or_create_vapid(tmp_path)
    header = keys.authorization("https://fcm.googleapis.com", "mailto:admin@example.org", now=NOW)
    claims = verify_vapid(
        header, audience="https://fcm.googleapis.com", expected_key=keys.application_server_key, now=NOW
    )
    assert claims == {
        "aud": "https://fcm.googleapis.com",
        "sub": "mailto:admin@example.org",
        "exp": NOW + TOKEN_LIFETIME_SECONDS,
    }
    assert TOKEN_LIFETIME_SECONDS < 24 * 3600
    with pytest.raises(VapidError):
        verify_vapid(header, audience="https://web.push.apple.com", expected_key=None, now=NOW)
    with pytest.raises(VapidError):
        verify_vapid(header, audience="https://fcm.googleapis.com", expected_key=None, now=NOW + TOKEN_LIFETIME_SECONDS)
    other = load_or_create_vapid(tmp_path / "other")
    with pytest.raises(VapidError):
        verify_vapid(header, audience="https://fcm.googleapis.com", expected_key=other.application_server_key, now=NOW)


def test_token_is_reused_per_origin_for_half_its_lifetime(tmp_path: Path) -> None:
    keys = load_or_create_vapid(tmp_path)
    cache = AuthorizationCache(keys, "mailto:admin@example.org")
    fcm, apple = "https://fcm.googleapis.com", "https://web.push.apple.com"
    half = TOKEN_LIFETIME_SECONDS // 2
    first = cache.header(fcm, NOW)
    assert cache.header(fcm, NOW + half - 1) == first
    # Still valid, with half its lifetime left, at its last reuse.
    verify_vapid(first, audience=fcm, expected_key=keys.application_server_key, now=NOW + half - 1)
    other = cache.header(apple, NOW + 10)
    assert verify_vapid(other, audience=apple, expected_key=keys.application_server_key, now=NOW + 10)["aud"] == apple
    renewed = cache.header(fcm, NOW + half)
    assert renewed != first
    claims = verify_vapid(renewed, audience=fcm, expected_key=keys.application_server_key, now=NOW + half)
    assert claims["exp"] == NOW + half + TOKEN_LIFETIME_SECONDS
    # A clock that went back gets a new token rather than one issued "in the future".
    assert cache.header(fcm, NOW) != renewed


@pytest.mark.parametrize(
    "contact",
    [
        "mailto:admin@example.org",
        "mailto:push+ops@mail.example.co.uk",
        "https://example.org",
        "https://example.org/contact",
    ],
)
def test_good_contacts(contact: str) -> None:
    assert validate_contact(contact) == contact


@pytest.mark.parametrize(
    "contact",
    [
        "admin@example.org",
        "mailto:admin@localhost",
        "mailto:admin@push.localhost",
        "mailto:relay@herdr.local",
        "mailto:security@gateway.invalid",
        "mailto:a@b.test",
        "mailto:admin@127.0.0.1",
        "mailto:admin@[::1]",
        "mailto:admin",
        "mailto:@example.org",
        "mailto:a b@example.org",
        "https://localhost",
        "https://localhost:8443/x",
        "https://10.0.0.1",
        "http://example.org",
        "https://exa mple.org",
        "",
    ],
)
def test_bad_contacts_are_refused(contact: str) -> None:
    with pytest.raises(ConfigError):
        validate_contact(contact)


def test_localhost_contact_only_when_allowed() -> None:
    assert validate_contact("mailto:admin@localhost", allow_local=True) == "mailto:admin@localhost"


async def test_service_refuses_a_localhost_contact_at_start(tmp_path: Path) -> None:
    from mailseal.push import PushService
    from support.store import sqlite_store

    db = await sqlite_store(tmp_path / "db.sqlite3")
    try:
        with pytest.raises(ConfigError):
            PushService(
                db,
                load_or_create_vapid(tmp_path / "k"),
                PushConfig(contact="mailto:me@localhost", public_url="https://x.example"),
            )
        with pytest.raises(ConfigError, match="public_url"):
            PushService(
                db,
                load_or_create_vapid(tmp_path / "k"),
                PushConfig(contact="mailto:me@example.org", public_url="https://x.example/" + "p" * 1000),
            )
    finally:
        await db.close()


def test_config_from_settings() -> None:
    from mailseal.config import Settings

    settings = Settings(
        push_contact="mailto:ops@example.org",
        public_url="https://mail.example.org/",
        push_services=("push.example.net",),
    )
    config = PushConfig.from_settings(settings)
    assert config.contact == "mailto:ops@example.org"
    assert config.public_url == "https://mail.example.org"
    assert config.services == ("push.example.net",)
    assert not config.allow_loopback and not config.allow_local_contact
