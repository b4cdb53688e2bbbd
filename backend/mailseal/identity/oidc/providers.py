"""The identity providers an organisation allows: Google, Microsoft (personal and work) and one of its own.

Each is off until its client id is set. The `kind` decides which claim proves a verified address
(`id_token.verified_address`): Google and a configured provider say `email_verified`; Microsoft's
`email` is not verified by default (the "nOAuth" class), so it counts only with `xms_edov` true.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from mailseal.config import Settings

Kind = Literal["google", "microsoft", "generic"]
WELL_KNOWN = "/.well-known/openid-configuration"
GOOGLE_ISSUER = "https://accounts.google.com"
# Google's ID tokens name their issuer with or without the scheme (Google's OpenID Connect guide).
GOOGLE_ISSUER_ALIASES = {GOOGLE_ISSUER: ("https://accounts.google.com", "accounts.google.com")}


class Provider(msgspec.Struct, frozen=True, kw_only=True):
    """One allowed identity provider. `issuer` is what its discovery document must name (for Microsoft's
    multi-tenant endpoints a template holding `{tenantid}`, filled from each token's `tid`)."""

    id: str
    name: str
    kind: Kind
    discovery_url: str
    issuer: str
    client_id: str
    client_secret: str = msgspec.field(default="")
    scopes: tuple[str, ...] = ("openid", "email", "profile")

    def __repr__(self) -> str:
        return f"Provider(id={self.id!r}, issuer={self.issuer!r}, client_id={self.client_id!r})"


def providers_from_settings(settings: Settings) -> tuple[Provider, ...]:
    """The providers the settings turn on, in the order the sign-in screen shows them."""
    found: list[Provider] = []
    if settings.oidc_google_client_id:
        issuer = settings.oidc_google_issuer.rstrip("/")
        found.append(Provider(
            id="google", name="Google", kind="google", discovery_url=issuer + WELL_KNOWN, issuer=issuer,
            client_id=settings.oidc_google_client_id, client_secret=settings.oidc_google_client_secret,
        ))
    if settings.oidc_microsoft_client_id:
        authority = settings.oidc_microsoft_authority.rstrip("/")
        tenant = settings.oidc_microsoft_tenant
        found.append(Provider(
            id="microsoft", name="Microsoft", kind="microsoft",
            discovery_url=f"{authority}/{tenant}/v2.0{WELL_KNOWN}", issuer=f"{authority}/",
            client_id=settings.oidc_microsoft_client_id, client_secret=settings.oidc_microsoft_client_secret,
        ))
    if settings.oidc_client_id:
        issuer = settings.oidc_issuer.rstrip("/")
        found.append(Provider(
            id="oidc", name=settings.oidc_name, kind="generic", discovery_url=issuer + WELL_KNOWN,
            issuer=settings.oidc_issuer, client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
        ))
    return tuple(found)
