"""Federated sign-in through the real app against a local OpenID Connect provider on loopback.

Each refusal has its own test: the callback redirects to the sign-in screen without a session, and the
log names the check that failed (`federated sign-in refused: <reason>`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey

from mailseal.config import Settings
from mailseal.identity.oidc import ProviderHttp, providers_from_settings
from mailseal.identity.oidc.metadata import ProviderDirectory
from support.mailseal_app import MailsealClient, running_app, simple_mail
from support.oidc_provider import MICROSOFT_PERSONAL_TENANT, Account, LocalProvider, local_provider

REFUSED = "/sign-in?signin-refused=oidc.refused"
UNVERIFIED = "/sign-in?signin-refused=oidc.unverified-email"


async def authorize(url: str) -> str:
    """The browser's visit to the provider: the URL it is sent back to (never followed further here)."""
    async with httpx.AsyncClient(follow_redirects=False) as browser:
        answer = await browser.get(url)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def start(app: MailsealClient, provider_id: str, return_to: str = "/") -> str:
    response = await app.post(f"/api/auth/oidc/{provider_id}/start", json={"returnTo": return_to})
    assert response.status_code == 200, response.text
    url: str = response.json()["authorizationUrl"]
    return url


async def call_back(app: MailsealClient, callback_url: str) -> httpx.Response:
    parts = urlsplit(callback_url)
    assert parts.path == "/api/auth/oidc/callback"
    response: httpx.Response = await app.http.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    assert response.status_code == 303
    return response


async def sign_in(app: MailsealClient, provider_id: str, return_to: str = "/") -> httpx.Response:
    return await call_back(app, await authorize(await start(app, provider_id, return_to)))


async def addresses(app: MailsealClient) -> list[str] | None:
    me = await app.http.get("/api/me")
    return me.json()["addresses"] if me.status_code == 200 else None


@pytest.fixture
def google() -> Iterator[LocalProvider]:
    with local_provider("google") as provider:
        yield provider


@pytest.fixture
def microsoft() -> Iterator[LocalProvider]:
    account = Account(sub="ms-1", email="carol@contoso.com", xms_edov=True)
    with local_provider("microsoft", account=account) as provider:
        yield provider


@pytest.fixture
async def app_g(tmp_path: Path, google: LocalProvider) -> AsyncIterator[MailsealClient]:
    async with running_app(tmp_path, **google.settings()) as app:
        yield app


@pytest.fixture
async def app_ms(tmp_path: Path, microsoft: LocalProvider) -> AsyncIterator[MailsealClient]:
    async with running_app(tmp_path, **microsoft.settings()) as app:
        yield app


def refused_because(caplog: pytest.LogCaptureFixture, reason: str) -> bool:
    return any(r.getMessage().startswith(f"federated sign-in refused: {reason} ") for r in caplog.records)


@pytest.fixture(autouse=True)
def _log_level(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mailseal.identity.oidc.flow")


# Happy paths


async def test_google_like_sign_in_to_the_message(app_g: MailsealClient, google: LocalProvider) -> None:
    sealed = await app_g.seal(simple_mail(), recipients=("bob@gmail.com",))
    methods = (await app_g.http.get("/api/auth/methods")).json()
    assert methods == {"providers": [{"id": "google", "name": "Google"}], "passcodeOffDomains": []}
    url = await start(app_g, "google", f"/m/{sealed.message_id}")
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["nonce"][0] and query["state"][0] and query["scope"] == ["openid email profile"]
    response = await call_back(app_g, await authorize(url))
    assert response.headers["location"] == f"/m/{sealed.message_id}"
    cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith("__Host-mailseal=") and "HttpOnly" in c and "Secure" in c for c in cookies)
    assert await addresses(app_g) == ["bob@gmail.com"]
    opened = await app_g.http.get(f"/api/messages/{sealed.message_id}")
    assert opened.status_code == 200
    # The PKCE verifier went to the provider, and nothing of the provider's answer was kept.
    assert len(google.token_requests[-1]["code_verifier"]) == 64


async def test_microsoft_like_sign_in_with_a_domain_verified_address(app_ms: MailsealClient) -> None:
    response = await sign_in(app_ms, "microsoft")
    assert response.headers["location"] == "/"
    assert await addresses(app_ms) == ["carol@contoso.com"]
    audit = await app_ms.run(app_ms.services.instance.store.audit.entries())
    assert [(e.action, e.actor, e.detail.split(";")[0]) for e in audit if e.action == "sign-in"] == [
        ("sign-in", "carol@contoso.com", "oidc microsoft")]


async def test_microsoft_personal_account_with_xms_edov(tmp_path: Path) -> None:
    account = Account(sub="msa-1", email="dave@outlook.com", xms_edov=True, tid=MICROSOFT_PERSONAL_TENANT)
    with local_provider("microsoft", account=account) as provider:
        async with running_app(tmp_path, **provider.settings()) as app:
            await sign_in(app, "microsoft")
            assert await addresses(app) == ["dave@outlook.com"]


async def test_an_organisations_own_provider(tmp_path: Path, google: LocalProvider) -> None:
    """Any issuer the settings name: discovery at <issuer>/.well-known/…, `email_verified` required."""
    own = {"oidc_issuer": google.base_url, "oidc_client_id": google.client_id,
           "oidc_client_secret": google.client_secret, "oidc_name": "Contoso ID", "oidc_allow_loopback": True}
    async with running_app(tmp_path, **own) as app:
        methods = (await app.http.get("/api/auth/methods")).json()
        assert methods["providers"] == [{"id": "oidc", "name": "Contoso ID"}]
        await sign_in(app, "oidc")
        assert await addresses(app) == ["bob@gmail.com"]


async def test_a_provider_address_joins_a_code_verified_session(app_g: MailsealClient, google: LocalProvider) -> None:
    """The same function as the passcode: the address is added to this device's session, its id rotated."""
    await app_g.sign_in("alice@example.net")
    before = app_g.http.cookies["__Host-mailseal"]
    await sign_in(app_g, "google")
    assert await addresses(app_g) == ["alice@example.net", "bob@gmail.com"]
    assert app_g.http.cookies["__Host-mailseal"] != before
    devices = (await app_g.http.get("/api/devices")).json()
    assert len(devices) == 1


async def test_keys_refreshed_on_an_unknown_kid_and_no_more_than_once_a_minute(google: LocalProvider) -> None:
    """The provider rotates its key: the next token's unknown `kid` fetches the key set again, but tokens
    naming unknown keys cannot make Mailseal fetch more than once a minute."""
    now = [1000.0]
    http = ProviderHttp(allow_loopback=True)
    provider = providers_from_settings(Settings(**google.settings()))[0]
    directory = ProviderDirectory(http, allow_loopback=True, clock=lambda: now[0])
    try:
        assert {k.kid for k in (await directory.key_set(provider, "key-1")).keys} == {"key-1"}
        google.rotate_key("key-2")
        for kid in ("key-2", "forged-1", "forged-2"):
            now[0] += 10
            assert {k.kid for k in (await directory.key_set(provider, kid)).keys} == {"key-1"}
        assert google.jwks_fetches == 1
        now[0] += 31
        assert {k.kid for k in (await directory.key_set(provider, "key-2")).keys} == {"key-2"}
        assert google.jwks_fetches == 2
        assert {k.kid for k in (await directory.key_set(provider, "key-2")).keys} == {"key-2"}
        assert google.jwks_fetches == 2
    finally:
        await http.close()


# Refusals, one check each


async def refused(app: MailsealClient, provider_id: str = "google") -> httpx.Response:
    response = await sign_in(app, provider_id)
    assert "__Host-mailseal=" not in " ".join(c for c in response.headers.get_list("set-cookie")
                                               if not c.startswith("__Host-mailseal=;") and "Max-Age=0" not in c)
    assert await addresses(app) is None
    return response


async def test_wrong_issuer(app_g: MailsealClient, google: LocalProvider, caplog: pytest.LogCaptureFixture) -> None:
    google.tweaks.issuer = "https://accounts.evil.example"
    assert (await refused(app_g)).headers["location"] == REFUSED
    assert refused_because(caplog, "wrong-issuer")


async def test_microsoft_token_from_another_tenant_than_its_tid(
    app_ms: MailsealClient, microsoft: LocalProvider, caplog: pytest.LogCaptureFixture,
) -> None:
    microsoft.tweaks.issuer = f"{microsoft.base_url}/{MICROSOFT_PERSONAL_TENANT}/v2.0"
    await refused(app_ms, "microsoft")
    assert refused_because(caplog, "wrong-issuer")


async def test_wrong_audience(app_g: MailsealClient, google: LocalProvider, caplog: pytest.LogCaptureFixture) -> None:
    google.tweaks.audience = "another-client"
    await refused(app_g)
    assert refused_because(caplog, "wrong-audience")


async def test_bad_signature(app_g: MailsealClient, google: LocalProvider, caplog: pytest.LogCaptureFixture) -> None:
    google.tweaks.sign_with = RSAKey.generate_key(2048)  # same kid, another key
    await refused(app_g)
    assert refused_because(caplog, "bad-signature")


async def test_alg_none(app_g: MailsealClient, google: LocalProvider, caplog: pytest.LogCaptureFixture) -> None:
    google.tweaks.alg_none = True
    await refused(app_g)
    assert refused_because(caplog, "algorithm")


async def test_hmac_with_the_client_secret(app_g: MailsealClient, google: LocalProvider,
                                           caplog: pytest.LogCaptureFixture) -> None:
    google.tweaks.hmac_with_secret = True
    await refused(app_g)
    assert refused_because(caplog, "algorithm")


async def test_expired(app_g: MailsealClient, google: LocalProvider, caplog: pytest.LogCaptureFixture) -> None:
    google.tweaks.expires_in = -120  # past the minute of leeway
    await refused(app_g)
    assert refused_because(caplog, "expired")


async def test_replayed_nonce(app_g: MailsealClient, google: LocalProvider, caplog: pytest.LogCaptureFixture) -> None:
    """A token minted for an earlier sign-in (its nonce) does not sign in a later one."""
    first = await start(app_g, "google")
    old_nonce = parse_qs(urlsplit(first).query)["nonce"][0]
    await call_back(app_g, await authorize(first))
    app_g.http.cookies.clear()
    google.tweaks.nonce = old_nonce
    await refused(app_g)
    assert refused_because(caplog, "nonce")


async def test_a_callback_used_twice_is_refused(app_g: MailsealClient, caplog: pytest.LogCaptureFixture) -> None:
    """Replayed in the same browser (its binding cookie put back): the flow is gone after its first use."""
    callback = await authorize(await start(app_g, "google"))
    binding = next(c for c in app_g.http.cookies.jar if c.name == "__Host-mailseal-signin")
    await call_back(app_g, callback)
    app_g.http.cookies.clear()
    app_g.http.cookies.jar.set_cookie(binding)
    response = await call_back(app_g, callback)
    assert response.headers["location"] == REFUSED and refused_because(caplog, "state")
    assert await addresses(app_g) is None


async def test_mismatched_state(app_g: MailsealClient, caplog: pytest.LogCaptureFixture) -> None:
    callback = await authorize(await start(app_g, "google"))
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    forged = f"{parts.path}?code={query['code'][0]}&state=not-the-state"
    response = await app_g.http.get(forged, follow_redirects=False)
    assert response.headers["location"] == REFUSED and refused_because(caplog, "state")
    assert await addresses(app_g) is None


async def test_a_callback_in_another_browser_is_refused(
    tmp_path: Path, app_g: MailsealClient, caplog: pytest.LogCaptureFixture,
) -> None:
    """Login CSRF: the victim's browser is made to finish the attacker's sign-in; it lacks the binding cookie."""
    callback = await authorize(await start(app_g, "google"))
    app_g.http.cookies.clear()
    response = await call_back(app_g, callback)
    assert response.headers["location"] == REFUSED and refused_because(caplog, "state")


async def test_missing_pkce_verifier(app_g: MailsealClient, google: LocalProvider,
                                     caplog: pytest.LogCaptureFixture) -> None:
    """A code injected into another sign-in is redeemed with that sign-in's verifier, not its own: refused."""
    stolen = parse_qs(urlsplit(await authorize(await start(app_g, "google"))).query)["code"][0]
    victim = await start(app_g, "google")
    state = parse_qs(urlsplit(victim).query)["state"][0]
    response = await app_g.http.get(f"/api/auth/oidc/callback?code={stolen}&state={state}", follow_redirects=False)
    assert response.headers["location"] == REFUSED and refused_because(caplog, "provider-refused")
    assert google.token_requests[-1]["code"] == stolen
    assert await addresses(app_g) is None


async def test_email_verified_false(app_g: MailsealClient, google: LocalProvider,
                                    caplog: pytest.LogCaptureFixture) -> None:
    google.account.email_verified = False
    assert (await refused(app_g)).headers["location"] == UNVERIFIED
    assert refused_because(caplog, "unverified-email")


async def test_email_verified_missing(app_g: MailsealClient, google: LocalProvider,
                                      caplog: pytest.LogCaptureFixture) -> None:
    google.account.email_verified = None
    assert (await refused(app_g)).headers["location"] == UNVERIFIED


async def test_unverified_microsoft_email(app_ms: MailsealClient, microsoft: LocalProvider,
                                          caplog: pytest.LogCaptureFixture) -> None:
    """nOAuth: an Entra tenant's admin sets any `email`; without `xms_edov` true it proves nothing."""
    microsoft.account.email = "bob@gmail.com"
    microsoft.account.xms_edov = None
    assert (await refused(app_ms, "microsoft")).headers["location"] == UNVERIFIED
    microsoft.account.xms_edov = False
    assert (await refused(app_ms, "microsoft")).headers["location"] == UNVERIFIED
    assert refused_because(caplog, "unverified-email")


async def test_an_address_changed_at_the_provider(app_g: MailsealClient, google: LocalProvider,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """The same account (`sub`) later vouching for another address never reaches the old address's mail."""
    sealed = await app_g.seal(simple_mail(), recipients=("bob@gmail.com",))
    await sign_in(app_g, "google")
    assert await addresses(app_g) == ["bob@gmail.com"]
    app_g.http.cookies.clear()
    google.account.email = "bob.new@gmail.com"
    await sign_in(app_g, "google")
    assert await addresses(app_g) == ["bob.new@gmail.com"]
    assert (await app_g.http.get(f"/api/messages/{sealed.message_id}")).status_code == 403
    assert (await app_g.http.get("/api/messages")).json()["messages"] == []
    # Changed to an address the provider has not verified: nothing at all.
    app_g.http.cookies.clear()
    google.account.email, google.account.email_verified = "bob@gmail.com", False
    await refused(app_g)


# Settings


async def test_providers_are_off_by_default(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        assert (await app.http.get("/api/auth/methods")).json()["providers"] == []
        response = await app.post("/api/auth/oidc/google/start", json={})
        assert response.status_code == 404


async def test_the_passcode_turned_off_for_a_domain(tmp_path: Path) -> None:
    async with running_app(tmp_path, passcode_off_domains=("contoso.com",)) as app:
        assert (await app.http.get("/api/auth/methods")).json()["passcodeOffDomains"] == ["contoso.com"]
        refused = await app.post("/api/auth/code", json={"email": "carol@contoso.com"})
        assert refused.status_code == 403 and refused.json()["code"] == "auth.passcode-off"
        assert not [e for e in app.outbox.list() if "carol@contoso.com" in e.recipients]
        verify = await app.post("/api/auth/verify", json={"email": "carol@contoso.com", "code": "12345678"})
        assert verify.status_code == 403
        await app.sign_in("bob@gmail.com")  # other domains keep the passcode


async def test_a_return_path_elsewhere_is_ignored(app_g: MailsealClient) -> None:
    response = await sign_in(app_g, "google", "//evil.example/x")
    assert response.headers["location"] == "/"


async def test_concurrent_callbacks_of_one_sign_in_sign_in_once(app_g: MailsealClient) -> None:
    callback = await authorize(await start(app_g, "google"))
    parts = urlsplit(callback)
    answers: list[Any] = await asyncio.gather(*(
        app_g.http.get(f"{parts.path}?{parts.query}", follow_redirects=False) for _ in range(3)))
    assert sorted(a.headers["location"] for a in answers) == ["/", REFUSED, REFUSED]


def test_provider_settings_are_checked_and_secrets_hidden() -> None:
    from mailseal.config import load_settings
    from mailseal.errors import SettingError

    env = {"MAILSEAL_OIDC_GOOGLE_CLIENT_ID": "id", "MAILSEAL_OIDC_GOOGLE_CLIENT_SECRET": "s3cret-value",
           "MAILSEAL_DATA": "/nonexistent-mailseal-data"}
    settings = load_settings(env)
    shown = settings.redacted()
    assert shown["oidc_google_client_secret"] == "***" and "s3cret-value" not in repr(shown)
    assert [p.id for p in providers_from_settings(settings)] == ["google"]
    with pytest.raises(SettingError, match="oidc_google_issuer"):
        load_settings({**env, "MAILSEAL_OIDC_GOOGLE_ISSUER": "http://127.0.0.1:9"})
    load_settings({**env, "MAILSEAL_OIDC_GOOGLE_ISSUER": "http://127.0.0.1:9", "MAILSEAL_OIDC_ALLOW_LOOPBACK": "1"})
    with pytest.raises(SettingError, match="oidc_google_issuer"):
        load_settings({**env, "MAILSEAL_OIDC_GOOGLE_ISSUER": "http://10.0.0.1", "MAILSEAL_OIDC_ALLOW_LOOPBACK": "1"})
    with pytest.raises(SettingError, match="oidc_client_id"):
        load_settings({"MAILSEAL_OIDC_CLIENT_ID": "x", "MAILSEAL_OIDC_ISSUER": "https://idp.example.org",
                       "MAILSEAL_DATA": "/nonexistent-mailseal-data"})
    with pytest.raises(SettingError, match="oidc_google_client_id"):
        load_settings({"MAILSEAL_OIDC_GOOGLE_CLIENT_ID": "id", "MAILSEAL_DATA": "/nonexistent-mailseal-data"})
    with pytest.raises(SettingError, match="passcode_off_domains"):
        load_settings({"MAILSEAL_PASSCODE_OFF_DOMAINS": "Contoso.COM", "MAILSEAL_DATA": "/nonexistent-mailseal-data"})
