"""Passkeys through the real app: register after a code sign-in, sign in on a fresh device, and every
refusal WebAuthn asks of a relying party (another site's RP id, another origin, no user verification, a
spent challenge, a removed passkey, a counter that went back, a changed backup eligibility)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.mailseal_app import BASE_URL, MailsealClient, running_app
from support.soft_authenticator import SoftPasskey

REFUSED = "auth.passkey-refused"


@asynccontextmanager
async def fresh_device(app: MailsealClient) -> AsyncIterator[None]:
    """Act as another browser (no cookies) for the block, then as the first one again."""
    kept = app.http.cookies
    app.http.cookies = httpx.Cookies()
    try:
        yield
    finally:
        app.http.cookies = kept


async def register(app: MailsealClient, passkey: SoftPasskey, **create: Any) -> Any:
    options = (await app.post("/api/passkeys/options")).json()
    return await app.post("/api/passkeys", json={"credential": passkey.create(options, origin=BASE_URL, **create),
                                                 "name": "Bob's phone"})


async def sign_in(app: MailsealClient, passkey: SoftPasskey, **get: Any) -> Any:
    options = (await app.post("/api/auth/passkey/options")).json()
    assert (options["userVerification"] == "required" and "allowCredentials" not in options) or not options[
        "allowCredentials"]
    return await app.post("/api/auth/passkey", json={"credential": passkey.get(options, origin=BASE_URL, **get)})


@pytest.mark.engines
async def test_register_after_a_code_then_sign_in_on_a_fresh_device(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        passkey = SoftPasskey()
        options = (await app.post("/api/passkeys/options")).json()
        assert options["authenticatorSelection"]["userVerification"] == "required"
        assert options["authenticatorSelection"]["residentKey"] == "required"
        assert options["attestation"] == "none" and options["rp"]["id"] == "mailseal.test"
        created = await app.post("/api/passkeys", json={
            "credential": passkey.create(options, origin=BASE_URL), "name": "Bob's phone"})
        assert created.status_code == 201, created.text
        assert created.json()["addresses"] == ["bob@gmail.com"] and created.json()["thisDevice"]
        async with fresh_device(app):
            assert (await app.http.get("/api/me")).status_code == 401
            me = await sign_in(app, passkey)
            assert me.status_code == 200, me.text
            assert me.json()["addresses"] == ["bob@gmail.com"]
            assert (await app.http.get("/api/me")).json()["addresses"] == ["bob@gmail.com"]
            listed = (await app.http.get("/api/passkeys")).json()["passkeys"]
            assert [(p["name"], p["thisDevice"], p["lastUsedAt"] is not None) for p in listed] == [
                ("Bob's phone", True, True)]
        audit = await app.run(app.services.instance.store.audit.entries())
        sign_ins = [(e.action, e.actor, e.outcome, e.detail.split(";")[0]) for e in audit if e.action == "sign-in"]
        assert sign_ins == [("sign-in", "bob@gmail.com", "ok", "code"),
                            ("sign-in", "bob@gmail.com", "ok", f"passkey {passkey.id[:16]}")]


async def test_a_passkey_from_another_site_or_origin_is_refused(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        passkey = SoftPasskey()
        # Registered for another site's RP id: refused, nothing stored.
        assert (await register(app, passkey, rp_id="evil.test")).json()["code"] == REFUSED
        assert (await app.http.get("/api/passkeys")).json()["passkeys"] == []
        assert (await register(app, passkey)).status_code == 201
        async with fresh_device(app):
            for attempt in ({"rp_id": "evil.test"}, {"origin": "https://evil.test"}):
                options = (await app.post("/api/auth/passkey/options")).json()
                credential = passkey.get(options, **{"origin": BASE_URL, **attempt})
                answer = await app.post("/api/auth/passkey", json={"credential": credential})
                assert answer.status_code == 401 and answer.json()["code"] == REFUSED
            assert (await app.http.get("/api/me")).status_code == 401
        refusals = [e for e in await app.run(app.services.instance.store.audit.entries()) if e.outcome == REFUSED]
        assert len(refusals) == 2 and all(e.actor == "bob@gmail.com" for e in refusals)


async def test_without_user_verification_it_is_refused(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        passkey = SoftPasskey()
        assert (await register(app, passkey, uv=False)).json()["code"] == REFUSED
        assert (await register(app, passkey)).status_code == 201
        async with fresh_device(app):
            answer = await sign_in(app, passkey, uv=False)
            assert answer.status_code == 401 and answer.json()["code"] == REFUSED
            assert (await app.http.get("/api/me")).status_code == 401


async def test_a_challenge_works_once(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        passkey = SoftPasskey()
        assert (await register(app, passkey)).status_code == 201
        async with fresh_device(app):
            options = (await app.post("/api/auth/passkey/options")).json()
            credential = passkey.get(options, origin=BASE_URL)
            assert (await app.post("/api/auth/passkey", json={"credential": credential})).status_code == 200
            again = await app.post("/api/auth/passkey", json={"credential": credential})
            assert again.status_code == 401 and again.json()["code"] == REFUSED
            # A fresh assertion over the spent challenge, with a higher counter, is no better.
            replay = passkey.get(options, origin=BASE_URL)
            assert (await app.post("/api/auth/passkey", json={"credential": replay})).json()["code"] == REFUSED


@pytest.mark.engines
async def test_a_removed_passkey_is_refused_and_its_sessions_end(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        passkey = SoftPasskey()
        assert (await register(app, passkey)).status_code == 201
        async with fresh_device(app):
            assert (await sign_in(app, passkey)).status_code == 200
            started = app.http.cookies
        # The code-signed-in device removes it: the passkey's session ends, this one goes on.
        assert (await app.delete(f"/api/passkeys/{passkey.id}")).status_code == 204
        assert (await app.http.get("/api/me")).status_code == 200
        kept = app.http.cookies
        app.http.cookies = started
        assert (await app.http.get("/api/me")).status_code == 401
        app.http.cookies = httpx.Cookies()
        answer = await sign_in(app, passkey)
        assert answer.status_code == 401 and answer.json()["code"] == REFUSED
        app.http.cookies = kept
        assert (await app.http.get("/api/passkeys")).json()["passkeys"] == []


async def test_signing_a_device_out_keeps_its_passkey(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        passkey = SoftPasskey()
        assert (await register(app, passkey)).status_code == 201
        assert (await app.post("/api/auth/logout")).status_code == 204
        assert (await sign_in(app, passkey)).status_code == 200


async def test_a_counter_that_goes_back_is_refused(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        passkey = SoftPasskey()
        assert (await register(app, passkey)).status_code == 201
        async with fresh_device(app):
            assert (await sign_in(app, passkey, sign_count=5)).status_code == 200
            # A clone that still counts 3 (or 5) is refused, and it is in the audit trail.
            for count in (3, 5):
                answer = await sign_in(app, passkey, sign_count=count)
                assert answer.status_code == 401 and answer.json()["code"] == REFUSED
            assert (await sign_in(app, passkey, sign_count=6)).status_code == 200
        details = [e.detail for e in await app.run(app.services.instance.store.audit.entries()) if e.outcome == REFUSED]
        assert len(details) == 2 and all("sign count" in d for d in details)


async def test_a_counter_of_zero_stays_accepted(tmp_path: Path) -> None:
    """Synced passkeys (iCloud, Google) always report 0: the spec says that is no clone."""
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        passkey = SoftPasskey(counter_step=0)
        assert (await register(app, passkey)).status_code == 201
        async with fresh_device(app):
            for _ in range(2):
                assert (await sign_in(app, passkey)).status_code == 200


async def test_backup_eligibility_cannot_change(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        passkey = SoftPasskey(backup_eligible=False)
        assert (await register(app, passkey)).json()["backedUp"] is False
        passkey.backup_eligible = True
        async with fresh_device(app):
            answer = await sign_in(app, passkey)
            assert answer.status_code == 401 and answer.json()["code"] == REFUSED


async def test_a_passkey_adds_only_the_addresses_it_was_bound_to(tmp_path: Path) -> None:
    """Registered by Bob for bob@; Eve, signed in as eve@, cannot see or remove it, and signing in with it
    on Eve's device adds bob@ only (never eve@ to the passkey, never anything unverified)."""
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        passkey = SoftPasskey()
        assert (await register(app, passkey)).status_code == 201
        async with fresh_device(app):
            await app.sign_in("eve@example.net")
            assert (await app.http.get("/api/passkeys")).json()["passkeys"] == []
            assert (await app.delete(f"/api/passkeys/{passkey.id}")).status_code == 404
            me = await sign_in(app, passkey)
            assert sorted(me.json()["addresses"]) == ["bob@gmail.com", "eve@example.net"]
        found = await app.run(app.services.instance.store.passkeys.find(passkey.id))
        assert found is not None and found.addresses == ("bob@gmail.com",)


async def test_a_registration_challenge_belongs_to_its_session(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        options = (await app.post("/api/passkeys/options")).json()
        async with fresh_device(app):
            await app.sign_in("eve@example.net")
            credential = SoftPasskey().create(options, origin=BASE_URL)
            answer = await app.post("/api/passkeys", json={"credential": credential})
            assert answer.status_code == 401 and answer.json()["code"] == REFUSED
        assert (await app.post("/api/passkeys", json={"credential": credential})).json()["code"] == REFUSED


async def test_registration_needs_a_session(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        assert (await app.post("/api/passkeys/options")).status_code == 401


@pytest.mark.parametrize("overrides", [{"passkeys": False}, {"public_url": "http://127.0.0.1:8080"}])
async def test_passkeys_off(tmp_path: Path, overrides: dict[str, Any]) -> None:
    """Turned off, or at an IP address (which WebAuthn cannot use as an RP id): the app hides the choice."""
    async with running_app(tmp_path, **overrides) as app:
        answer = await app.post("/api/auth/passkey/options")
        assert answer.status_code == 403 and answer.json()["code"] == "auth.passkeys-off"
