"""Federated sign-in (OpenID Connect authorization code flow with PKCE S256, `state` and `nonce`).

`start` keeps what the callback needs server side (`store.sign_in_flows`, ten minutes, single use) and
hands the browser a binding value for a short-lived cookie, so a callback counts only in the browser
that started it (no login CSRF). `finish` takes the flow (deleting it), redeems the code with the PKCE
verifier, checks the ID token (`id_token`), and adds the verified address to the person's session
through `IdentityService.add_verified_addresses`, exactly as a passcode does. The provider's tokens are
used for this one check and never stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from urllib.parse import urlencode

import msgspec

from mailseal.errors import FederatedSignInRefused, NotFound, ServerBusy
from mailseal.identity.models import SessionGrant
from mailseal.identity.oidc.http import ProviderHttp
from mailseal.identity.oidc.id_token import verified_address_of
from mailseal.identity.oidc.metadata import ProviderDirectory
from mailseal.identity.oidc.providers import Provider
from mailseal.identity.service import IdentityService
from mailseal.storage import SignInFlow, Store

log = logging.getLogger(__name__)

FLOW_SECONDS = 10 * 60
MAX_LIVE_FLOWS = 10_000
MAX_RETURN_TO = 512
CALLBACK_PATH = "/api/auth/oidc/callback"


class SignInStarted(msgspec.Struct, frozen=True, kw_only=True):
    """Where to send the browser, and the value of its binding cookie (`binding`, secret, set once)."""

    authorization_url: str
    binding: str

    def __repr__(self) -> str:
        return f"SignInStarted(authorization_url={self.authorization_url!r}, binding=<redacted>)"


class SignInFinished(msgspec.Struct, frozen=True, kw_only=True):
    grant: SessionGrant
    return_to: str
    provider: str


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def local_path(return_to: str) -> str:
    """`return_to` if it is a path of this app (`/m/…`), else `/`: the callback never redirects elsewhere."""
    if (len(return_to) <= MAX_RETURN_TO and return_to.startswith("/") and not return_to.startswith(("//", "/\\"))
            and return_to.isprintable() and return_to.isascii()):
        return return_to
    return "/"


class FederatedSignIn:
    """Sign-in through the allowed identity providers (`providers`), on the store and identity service."""

    def __init__(
        self, store: Store, identity: IdentityService, providers: tuple[Provider, ...], *, base_url: str,
        allow_loopback: bool = False, http: ProviderHttp | None = None, clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._identity = identity
        self._providers = {provider.id: provider for provider in providers}
        self._redirect_uri = base_url.rstrip("/") + CALLBACK_PATH
        self._http = http or ProviderHttp(allow_loopback=allow_loopback)
        self._directory = ProviderDirectory(self._http, allow_loopback=allow_loopback, clock=clock)
        self._clock = clock

    @property
    def providers(self) -> tuple[Provider, ...]:
        return tuple(self._providers.values())

    async def start(self, provider_id: str, *, return_to: str = "/") -> SignInStarted:
        provider = self._provider(provider_id)
        endpoints = await self._directory.endpoints(provider)
        now = self._now()
        state, nonce, binding = (secrets.token_urlsafe(32) for _ in range(3))
        verifier = secrets.token_urlsafe(48)  # 64 characters (RFC 7636: 43 to 128)
        async with self._store.transaction() as tx:
            await tx.sign_in_flows.forget_expired(now=now)
            if await tx.sign_in_flows.live_count(now=now) >= MAX_LIVE_FLOWS:
                raise ServerBusy("too many sign-ins under way", retry_after=60)
            await tx.sign_in_flows.add(SignInFlow(
                state_hash=_digest(state), binding_hash=_digest(binding), provider=provider.id, nonce=nonce,
                code_verifier=verifier, return_to=local_path(return_to), expires_at=now + FLOW_SECONDS,
            ))
        query = urlencode({
            "response_type": "code", "client_id": provider.client_id, "redirect_uri": self._redirect_uri,
            "scope": " ".join(provider.scopes), "state": state, "nonce": nonce,
            "code_challenge": pkce_challenge(verifier), "code_challenge_method": "S256", "prompt": "select_account",
        })
        separator = "&" if "?" in endpoints.authorization_endpoint else "?"
        return SignInStarted(authorization_url=endpoints.authorization_endpoint + separator + query, binding=binding)

    async def finish(
        self, *, state: str, code: str, error: str, binding: str, session_id: str | None, device_name: str,
    ) -> SignInFinished:
        """The callback: refused (`FederatedSignInRefused`, with the failed check as its `reason`) unless the
        flow is this browser's, live and unused, and the provider proves a verified address."""
        try:
            return await self._finish(state, code, error, binding, session_id, device_name)
        except FederatedSignInRefused as refused:
            log.info("federated sign-in refused: %s (%s)", refused.reason, refused.detail)
            raise

    async def close(self) -> None:
        await self._http.close()

    async def _finish(
        self, state: str, code: str, error: str, binding: str, session_id: str | None, device_name: str,
    ) -> SignInFinished:
        if not state or len(state) > 128:
            raise FederatedSignInRefused("state", "the callback carries no state")
        flow = await self._store.sign_in_flows.take(_digest(state))
        if flow is None:
            raise FederatedSignInRefused("state", "no sign-in under way has this state (used, expired or forged)")
        if not hmac.compare_digest(flow.binding_hash, _digest(binding)):
            raise FederatedSignInRefused("state", "the sign-in was started in another browser")
        now = self._now()
        if now >= flow.expires_at:
            raise FederatedSignInRefused("state", "the sign-in took longer than ten minutes")
        if error or not code:
            raise FederatedSignInRefused("provider-error", f"the provider answered {error[:64] or 'no code'}")
        provider = self._providers.get(flow.provider)
        if provider is None:
            raise FederatedSignInRefused("state", "the provider of this sign-in is no longer allowed")
        endpoints = await self._directory.endpoints(provider)
        form = {"grant_type": "authorization_code", "code": code[:2048], "redirect_uri": self._redirect_uri,
                "code_verifier": flow.code_verifier, "client_id": provider.client_id}
        auth: tuple[str, str] | None = None
        if "client_secret_post" in endpoints.token_auth_methods:
            form["client_secret"] = provider.client_secret
        else:
            auth = (provider.client_id, provider.client_secret)
        answer = await self._http.post_form(endpoints.token_endpoint, form, auth=auth)
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise FederatedSignInRefused("provider-answer", "the provider's answer has no ID token")
        address = await verified_address_of(
            id_token, provider=provider, endpoints=endpoints, directory=self._directory, nonce=flow.nonce, now=now,
        )
        async with self._store.transaction() as tx:
            grant = await self._identity.add_verified_addresses(
                tx, (address,), session_id=session_id, device_name=device_name, method=f"oidc {provider.id}", now=now,
            )
        log.info("signed in through %s", provider.id)
        return SignInFinished(grant=grant, return_to=flow.return_to, provider=provider.id)

    def _provider(self, provider_id: str) -> Provider:
        provider = self._providers.get(provider_id)
        if provider is None:
            raise NotFound("No such way to sign in")
        return provider

    def _now(self) -> int:
        return int(self._clock())
