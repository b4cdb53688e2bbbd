"""A small OpenID Connect provider on loopback for the tests, signing with joserfc (what Mailseal checks with).

Google-like: one issuer, `email_verified`. Microsoft-like: the multi-tenant `common` endpoints, a
`{tenantid}` issuer template, each token's issuer by its `tid`, and `xms_edov` instead of `email_verified`.
It enforces what a real provider does (client secret, redirect URI, single-use codes, PKCE S256), and a
test may bend the next ID token (`tweaks`) to play an attacker or a broken provider.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

from support.secrets import remember

MICROSOFT_PERSONAL_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
WORK_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


@dataclass
class Account:
    """The person signed in at the provider; a test changes it as the provider's user would."""

    sub: str
    email: str
    email_verified: bool | None = True
    xms_edov: bool | None = None
    tid: str = WORK_TENANT


@dataclass
class Tweaks:
    """How the next ID tokens differ from a good one."""

    issuer: str | None = None
    audience: str | None = None
    nonce: str | None = None
    expires_in: int = 600
    sign_with: RSAKey | None = None
    alg_none: bool = False
    hmac_with_secret: bool = False


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class LocalProvider:
    kind: Literal["google", "microsoft"]
    client_id: str = "mailseal-test-client"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    account: Account = field(default_factory=lambda: Account(sub="user-1", email="bob@gmail.com"))
    tweaks: Tweaks = field(default_factory=Tweaks)
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "key-1"}))
    base_url: str = ""
    jwks_fetches: int = 0
    token_requests: list[dict[str, str]] = field(default_factory=list)
    _codes: dict[str, dict[str, Any]] = field(default_factory=dict)

    # What Mailseal's settings need to reach it.
    def settings(self) -> dict[str, Any]:
        if self.kind == "google":
            return {"oidc_google_client_id": self.client_id, "oidc_google_client_secret": self.client_secret,
                    "oidc_google_issuer": self.base_url, "oidc_allow_loopback": True}
        return {"oidc_microsoft_client_id": self.client_id, "oidc_microsoft_client_secret": self.client_secret,
                "oidc_microsoft_authority": self.base_url, "oidc_allow_loopback": True}

    @property
    def issuer_of_account(self) -> str:
        if self.kind == "google":
            return self.base_url
        return f"{self.base_url}/{self.account.tid}/v2.0"

    def discovery(self) -> dict[str, Any]:
        if self.kind == "google":
            return {"issuer": self.base_url, "authorization_endpoint": f"{self.base_url}/o/oauth2/v2/auth",
                    "token_endpoint": f"{self.base_url}/token", "jwks_uri": f"{self.base_url}/oauth2/v3/certs",
                    "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"]}
        return {"issuer": f"{self.base_url}/{{tenantid}}/v2.0",
                "authorization_endpoint": f"{self.base_url}/common/oauth2/v2.0/authorize",
                "token_endpoint": f"{self.base_url}/common/oauth2/v2.0/token",
                "jwks_uri": f"{self.base_url}/common/discovery/v2.0/keys",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                          "client_secret_basic"]}

    def rotate_key(self, kid: str) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": kid})

    # The two steps a browser and Mailseal's server take.

    def authorize(self, query: dict[str, str]) -> str:
        """The consent screen, answered yes at once: the URL the browser is sent back to."""
        assert query["response_type"] == "code" and query["client_id"] == self.client_id
        code = secrets.token_urlsafe(24)
        self._codes[code] = {"redirect_uri": query["redirect_uri"], "nonce": query.get("nonce", ""),
                             "challenge": query.get("code_challenge"), "method": query.get("code_challenge_method")}
        return query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})

    def redeem(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        grant = self._codes.pop(form.get("code", ""), None)  # single use, as RFC 6749 4.1.2 asks
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client"}
        verifier = form.get("code_verifier")
        if grant["challenge"] is not None:
            if grant["method"] != "S256" or verifier is None:
                return 400, {"error": "invalid_grant", "error_description": "PKCE verifier missing"}
            if b64url(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "PKCE verifier wrong"}
        answer = {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                  "id_token": self.id_token(grant["nonce"])}
        # The log-hygiene test looks for these in every log line of the run: none may reach a log. (Not the
        # code: single use, bound to the PKCE verifier, and in the callback's URL, which HTTP clients log.)
        remember(answer["access_token"], answer["id_token"], self.client_secret, verifier or "")
        return 200, answer

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        tweaks, account = self.tweaks, self.account
        claims: dict[str, Any] = {
            "iss": tweaks.issuer or self.issuer_of_account, "aud": tweaks.audience or self.client_id,
            "sub": account.sub, "iat": now, "exp": now + tweaks.expires_in,
            "nonce": tweaks.nonce if tweaks.nonce is not None else nonce, "email": account.email,
        }
        if self.kind == "microsoft":
            claims["tid"] = account.tid
            if account.xms_edov is not None:
                claims["xms_edov"] = account.xms_edov
        elif account.email_verified is not None:
            claims["email_verified"] = account.email_verified
        if tweaks.alg_none:
            header = b64url(json.dumps({"alg": "none", "kid": self.key.kid}).encode())
            return f"{header}.{b64url(json.dumps(claims).encode())}."
        if tweaks.hmac_with_secret:
            from joserfc.jwk import OctKey

            return jwt.encode({"alg": "HS256", "kid": self.key.kid}, claims, OctKey.import_key(self.client_secret))
        key = tweaks.sign_with or self.key
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, key)

    def jwks(self) -> dict[str, Any]:
        self.jwks_fetches += 1
        public = self.key.as_dict(private=False)
        return {"keys": [{**public, "use": "sig", "alg": "RS256"}]}


def _handler(provider: LocalProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            if path.endswith("/.well-known/openid-configuration"):
                self._json(200, provider.discovery())
            elif path.endswith(("/certs", "/keys")):
                self._json(200, provider.jwks())
            elif path.endswith(("/auth", "/authorize")):
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                self.send_response(302)
                self.send_header("location", provider.authorize(query))
                self.send_header("content-length", "0")
                self.end_headers()
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            auth = self.headers.get("authorization", "")
            if auth.startswith("Basic "):
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                form.setdefault("client_id", client_id)
                form["client_secret"] = secret
            self._json(*provider.redeem(form))

    return Handler


@contextmanager
def local_provider(kind: Literal["google", "microsoft"], **fields: Any) -> Iterator[LocalProvider]:
    """The provider, serving on 127.0.0.1 at a free port for the length of the block."""
    provider = LocalProvider(kind=kind, **fields)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    provider.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
