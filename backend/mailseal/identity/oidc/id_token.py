"""The ID token's checks (OpenID Connect Core 3.1.3.7), each refusal with its own reason, and the one
rule of which address it proves.

Signature first (the provider's key by `kid`, an algorithm from a short list: never `none`, never an
HMAC keyed by the client secret), then issuer, audience, expiry and nonce, then the address: for Google
and a configured provider `email_verified` must be true; for Microsoft the `email` claim counts only
with `xms_edov` true (Microsoft's "email domain owner verified" optional claim), else the sign-in is
refused. No account is kept per `sub`: each sign-in proves the address the provider vouches for now.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

import msgspec
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError

from mailseal.errors import FederatedSignInRefused, InvalidAddress
from mailseal.identity.address import normalise_address
from mailseal.identity.oidc.metadata import Endpoints, ProviderDirectory
from mailseal.identity.oidc.providers import GOOGLE_ISSUER_ALIASES, Provider

ALGORITHMS = frozenset({"RS256", "PS256", "ES256"})
LEEWAY_SECONDS = 60
MAX_TOKEN_LENGTH = 16 * 1024
_TENANT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _refuse(reason: str, detail: str) -> FederatedSignInRefused:
    return FederatedSignInRefused(reason, detail)


async def verified_address_of(
    token: str, *, provider: Provider, endpoints: Endpoints, directory: ProviderDirectory, nonce: str, now: int,
) -> str:
    """The verified address an ID token proves, or `FederatedSignInRefused` naming the check that failed."""
    claims = await _signed_claims(token, provider, directory)
    _check_issuer(claims, provider, endpoints)
    _check_audience(claims, provider)
    _check_times(claims, now)
    if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
        raise _refuse("nonce", "the ID token's nonce is not this sign-in's")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise _refuse("malformed", "the ID token has no subject")
    return _verified_address(claims, provider)


async def _signed_claims(token: str, provider: Provider, directory: ProviderDirectory) -> dict[str, Any]:
    if len(token) > MAX_TOKEN_LENGTH:
        raise _refuse("malformed", "the ID token is too long")
    try:
        header = jws.extract_compact(token.encode("ascii")).protected
    except (JoseError, ValueError, UnicodeError):
        raise _refuse("malformed", "the ID token is not a signed JWT") from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise _refuse("algorithm", f"the ID token's algorithm {str(alg)[:16]!r} is not allowed")
    kid = header.get("kid")
    keys = await directory.key_set(provider, kid if isinstance(kid, str) else "")
    if isinstance(kid, str):
        found = [key for key in keys.keys if key.kid == kid]
    else:
        found = list(keys.keys) if len(keys.keys) == 1 else []  # no key id: only a single-key set is usable
    if not found:
        raise _refuse("unknown-key", "the ID token names a key the provider does not publish")
    try:
        payload = jws.deserialize_compact(token, found[0], algorithms=[alg]).payload
        claims = msgspec.json.decode(payload)
    except BadSignatureError:
        raise _refuse("bad-signature", "the ID token's signature does not verify") from None
    except (JoseError, ValueError, msgspec.DecodeError):
        raise _refuse("bad-signature", "the ID token does not verify with the provider's key") from None
    if not isinstance(claims, dict):
        raise _refuse("malformed", "the ID token's claims are not an object")
    return claims


def _check_issuer(claims: dict[str, Any], provider: Provider, endpoints: Endpoints) -> None:
    issuer = claims.get("iss")
    expected: tuple[str, ...] = GOOGLE_ISSUER_ALIASES.get(endpoints.issuer, (endpoints.issuer,))
    if provider.kind == "microsoft":
        tenant = claims.get("tid")
        if not isinstance(tenant, str) or not _TENANT_ID.fullmatch(tenant):
            raise _refuse("wrong-issuer", "the ID token names no tenant")
        expected = (endpoints.issuer.replace("{tenantid}", tenant),)
    if not isinstance(issuer, str) or issuer not in expected:
        raise _refuse("wrong-issuer", "the ID token comes from another issuer")


def _check_audience(claims: dict[str, Any], provider: Provider) -> None:
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if provider.client_id not in audiences:
        raise _refuse("wrong-audience", "the ID token is for another client")
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise _refuse("wrong-audience", "the ID token was issued to another party")


def _check_times(claims: dict[str, Any], now: int) -> None:
    expires, issued = claims.get("exp"), claims.get("iat")
    if not isinstance(expires, int | float) or not isinstance(issued, int | float):
        raise _refuse("malformed", "the ID token has no exp or iat")
    if now >= expires + LEEWAY_SECONDS:
        raise _refuse("expired", "the ID token has expired")
    if issued > now + LEEWAY_SECONDS:
        raise _refuse("not-yet-valid", "the ID token is issued in the future")


def _verified_address(claims: dict[str, Any], provider: Provider) -> str:
    email = claims.get("email")
    if provider.kind == "microsoft":
        # The `email` claim of Microsoft Entra ID is any value a tenant's admin typed (nOAuth): it counts
        # only when Microsoft says the domain's owner verified it (optional claim `xms_edov`).
        verified = claims.get("xms_edov") is True
    else:
        verified = claims.get("email_verified") is True
    if not isinstance(email, str) or not verified:
        raise _refuse("unverified-email", "the provider does not vouch for the account's address")
    try:
        return normalise_address(email)
    except InvalidAddress:
        raise _refuse("unverified-email", "the provider's address is not a usable address") from None
