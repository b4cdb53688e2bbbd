"""Federated sign-in with OpenID Connect: the providers the settings allow, the flow, the ID token's checks."""

from mailseal.identity.oidc.flow import FederatedSignIn, SignInFinished, SignInStarted, local_path
from mailseal.identity.oidc.http import ProviderHttp
from mailseal.identity.oidc.providers import Provider, providers_from_settings

__all__ = [
    "FederatedSignIn",
    "Provider",
    "ProviderHttp",
    "SignInFinished",
    "SignInStarted",
    "local_path",
    "providers_from_settings",
]
