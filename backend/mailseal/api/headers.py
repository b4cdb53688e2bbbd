"""Security headers on every response, and `no-store` on everything but the static app shell."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "frame-src 'self' about:; child-src 'self'; worker-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; manifest-src 'self'"
)
# The outbox viewer shows our own composed mails (with their inline styles) to a developer.
DEV_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; frame-src 'self'; "
    "frame-ancestors 'self'; base-uri 'none'"
)

STATIC_PREFIXES = ("/icons/", "/modules/")
STATIC_FILES = frozenset({"/app.js", "/styles.css", "/manifest.json"})


def security_headers_middleware(app: ASGIApp, *, hsts: bool) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = DEV_CSP if path.startswith("/dev/") else APP_CSP
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                if "x-frame-options" not in headers:
                    headers["X-Frame-Options"] = "DENY"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Cross-Origin-Resource-Policy"] = "same-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
                if hsts:
                    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
                if path.startswith(STATIC_PREFIXES) or path in STATIC_FILES:
                    headers.setdefault("Cache-Control", "no-cache")
                elif path == "/sw.js":
                    headers["Cache-Control"] = "no-cache"
                    headers["Service-Worker-Allowed"] = "/"
                else:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
