"""The passkey service on its own clock: challenges live 5 minutes, sign-in refusals are counted per client,
and a passkey's sign-in goes through the same audited `add_verified_addresses` as a code."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mailseal.errors import ClientRateLimited, PasskeyRefused, PasskeysOff
from mailseal.identity import IdentityService, PasskeyService, Session
from mailseal.identity.passkeys import CHALLENGE_SECONDS, FAILURES_PER_CLIENT, relying_party_id
from mailseal.storage import Store
from support.soft_authenticator import SoftPasskey
from support.store import sqlite_store

SECRET = bytes(range(32))
ORIGIN = "https://mail.example.org"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def no_mail(address: str, code: str, reference: str, expires_minutes: int, language: str = "en") -> None:
    raise AssertionError("no passcode mail in these tests")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Store]:
    database = await sqlite_store(tmp_path / "db.sqlite")
    yield database
    await database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def identity(db: Store, clock: Clock) -> IdentityService:
    return IdentityService(db, secret=SECRET, send_passcode=no_mail, clock=clock)


@pytest.fixture
def passkeys(db: Store, identity: IdentityService, clock: Clock) -> PasskeyService:
    return PasskeyService(db, identity, secret=SECRET, base_url=ORIGIN, rp_name="Example", clock=clock)


async def verified_session(db: Store, identity: IdentityService, clock: Clock, address: str) -> Session:
    """A session as a code sign-in leaves it (through the same function)."""
    async with db.transaction() as tx:
        grant = await identity.add_verified_addresses(tx, (address,), session_id=None, device_name="Phone",
                                                      method="code", now=int(clock()))
    return grant.session


async def registered(passkeys: PasskeyService, session: Session) -> SoftPasskey:
    passkey = SoftPasskey()
    options = await passkeys.registration_options(session, client="phone")
    await passkeys.register(session, json.dumps(passkey.create(options, origin=ORIGIN)), name="", device_name="Phone")
    return passkey


async def test_a_sign_in_challenge_lives_five_minutes(db: Store, identity: IdentityService, passkeys: PasskeyService,
                                                      clock: Clock) -> None:
    passkey = await registered(passkeys, await verified_session(db, identity, clock, "bob@gmail.com"))
    options = await passkeys.sign_in_options(client="phone")
    clock.now += CHALLENGE_SECONDS
    with pytest.raises(PasskeyRefused):
        await passkeys.sign_in(json.dumps(passkey.get(options, origin=ORIGIN)), client="phone", session_id=None,
                               device_name="Phone")
    options = await passkeys.sign_in_options(client="phone")
    clock.now += CHALLENGE_SECONDS - 1
    grant = await passkeys.sign_in(json.dumps(passkey.get(options, origin=ORIGIN)), client="phone", session_id=None,
                                   device_name="Phone")
    assert grant.session.addresses == ("bob@gmail.com",)


async def test_a_registration_challenge_lives_five_minutes(db: Store, identity: IdentityService,
                                                           passkeys: PasskeyService, clock: Clock) -> None:
    session = await verified_session(db, identity, clock, "bob@gmail.com")
    options = await passkeys.registration_options(session, client="phone")
    clock.now += CHALLENGE_SECONDS
    with pytest.raises(PasskeyRefused):
        await passkeys.register(session, json.dumps(SoftPasskey().create(options, origin=ORIGIN)), name="",
                                device_name="Phone")
    assert await db.passkeys.of_person(["bob@gmail.com"]) == []


async def test_refused_passkeys_are_counted_per_client(db: Store, identity: IdentityService,
                                                       passkeys: PasskeyService, clock: Clock) -> None:
    stranger = SoftPasskey()  # never registered
    for _ in range(FAILURES_PER_CLIENT):
        options = await passkeys.sign_in_options(client="attacker")
        with pytest.raises(PasskeyRefused):
            await passkeys.sign_in(json.dumps(stranger.get(options, origin=ORIGIN)), client="attacker",
                                   session_id=None, device_name="x")
    options = await passkeys.sign_in_options(client="attacker")
    with pytest.raises(ClientRateLimited):
        await passkeys.sign_in(json.dumps(stranger.get(options, origin=ORIGIN)), client="attacker", session_id=None,
                               device_name="x")
    # Another client is not held back by it.
    passkey = await registered(passkeys, await verified_session(db, identity, clock, "bob@gmail.com"))
    options = await passkeys.sign_in_options(client="phone")
    await passkeys.sign_in(json.dumps(passkey.get(options, origin=ORIGIN)), client="phone", session_id=None,
                           device_name="Phone")


async def test_malformed_credentials_are_one_refusal(passkeys: PasskeyService) -> None:
    for junk in ("", "{}", "[1]", json.dumps({"response": {"clientDataJSON": "!!"}}), "x" * 20_000):
        with pytest.raises(PasskeyRefused):
            await passkeys.sign_in(junk, client="phone", session_id=None, device_name="x")


async def test_the_passkey_sign_in_is_audited_like_a_code_one(db: Store, identity: IdentityService,
                                                              passkeys: PasskeyService, clock: Clock) -> None:
    passkey = await registered(passkeys, await verified_session(db, identity, clock, "bob@gmail.com"))
    options = await passkeys.sign_in_options(client="phone")
    await passkeys.sign_in(json.dumps(passkey.get(options, origin=ORIGIN)), client="phone", session_id=None,
                           device_name="Phone")
    rows = [(e.action, e.actor, e.outcome, e.detail.split(";")[0]) for e in await db.audit.entries()]
    assert rows == [("sign-in", "bob@gmail.com", "ok", "code"),
                    ("passkey-added", "bob@gmail.com", "ok", f"passkey {passkey.id[:16]}"),
                    ("sign-in", "bob@gmail.com", "ok", f"passkey {passkey.id[:16]}")]


@pytest.mark.parametrize(("base_url", "rp_id"), [
    ("https://mail.example.org", "mail.example.org"), ("http://localhost:8080", "localhost"),
    ("http://127.0.0.1:8080", None), ("https://[::1]", None),
])
def test_the_relying_party_is_the_host_name(base_url: str, rp_id: str | None) -> None:
    assert relying_party_id(base_url) == rp_id


async def test_turned_off(db: Store, identity: IdentityService, clock: Clock) -> None:
    off = PasskeyService(db, identity, secret=SECRET, base_url=ORIGIN, rp_name="Example", enabled=False, clock=clock)
    with pytest.raises(PasskeysOff):
        await off.sign_in_options(client="phone")
