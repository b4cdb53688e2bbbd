"""Each provider's discovery document and signing keys, fetched once and kept; keys refreshed on an
unknown key id, at most once a minute per provider (a token naming keys that do not exist cannot make
Mailseal fetch more than that)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from mailseal.errors import FederatedSignInRefused
from mailseal.identity.oidc.http import ProviderHttp, allowed_url
from mailseal.identity.oidc.providers import Provider

KEY_REFRESH_SECONDS = 60
METADATA_MAX_AGE_SECONDS = 24 * 60 * 60
MAX_KEYS = 32


@dataclass(frozen=True)
class Endpoints:
    """What the discovery document says, checked: the issuer it names and where to go."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    token_auth_methods: tuple[str, ...]


@dataclass
class _Known:
    endpoints: Endpoints
    fetched_at: float
    keys: KeySet | None = None
    keys_fetched_at: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ProviderDirectory:
    """Discovery documents and JWK sets by provider id, cached for this process."""

    def __init__(self, http: ProviderHttp, *, allow_loopback: bool, clock: Callable[[], float] = time.time) -> None:
        self._http = http
        self._allow_loopback = allow_loopback
        self._clock = clock
        self._known: dict[str, _Known] = {}

    async def endpoints(self, provider: Provider) -> Endpoints:
        return (await self._entry(provider)).endpoints

    async def key_set(self, provider: Provider, kid: str) -> KeySet:
        """The provider's keys, holding `kid` if the provider has it now (fetched again when it is unknown,
        at most every `KEY_REFRESH_SECONDS`)."""
        entry = await self._entry(provider)
        async with entry.lock:
            now = self._clock()
            stale = entry.keys is None or not _holds(entry.keys, kid)
            if stale and (entry.keys is None or now - entry.keys_fetched_at >= KEY_REFRESH_SECONDS):
                entry.keys = _key_set(await self._http.get_json(entry.endpoints.jwks_uri))
                entry.keys_fetched_at = now
            assert entry.keys is not None
            return entry.keys

    async def _entry(self, provider: Provider) -> _Known:
        entry = self._known.get(provider.id)
        now = self._clock()
        if entry is None or now - entry.fetched_at > METADATA_MAX_AGE_SECONDS:
            document = await self._http.get_json(provider.discovery_url)
            entry = _Known(_endpoints(provider, document, allow_loopback=self._allow_loopback), now)
            self._known[provider.id] = entry
        return entry


def _holds(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)


def _key_set(document: dict[str, Any]) -> KeySet:
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise FederatedSignInRefused("provider-answer", "the provider's key set has no keys")
    # Signing keys only; a key the library cannot read (another type, a private part) is skipped.
    usable = [key for key in keys[:MAX_KEYS] if isinstance(key, dict) and key.get("use", "sig") == "sig"
              and key.get("kty") in {"RSA", "EC"} and "d" not in key]
    try:
        return KeySet.import_key_set({"keys": usable})
    except (JoseError, ValueError, TypeError) as exc:
        raise FederatedSignInRefused("provider-answer", f"the provider's key set: {type(exc).__name__}") from None


def _endpoints(provider: Provider, document: dict[str, Any], *, allow_loopback: bool) -> Endpoints:
    issuer = document.get("issuer")
    if not isinstance(issuer, str) or not _issuer_matches(provider, issuer):
        raise FederatedSignInRefused("wrong-issuer", "the discovery document names another issuer")
    urls: dict[str, str] = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or not allowed_url(value, allow_loopback=allow_loopback):
            raise FederatedSignInRefused("provider-answer", f"the discovery document's {name} is not https")
        urls[name] = value
    methods = document.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
    return Endpoints(
        issuer=issuer,
        token_auth_methods=tuple(str(m) for m in methods) if isinstance(methods, list) else (),
        **urls,
    )


def _issuer_matches(provider: Provider, issuer: str) -> bool:
    if provider.kind == "microsoft":
        # Microsoft's issuer is per tenant: `<authority>/<tenant id>/v2.0`, or `{tenantid}` as a template
        # on the multi-tenant endpoints; each token's issuer is checked against its own `tid`.
        rest = issuer.removeprefix(provider.issuer)
        return rest != issuer and rest.endswith("/v2.0") and rest.count("/") == 1
    return issuer == provider.issuer
