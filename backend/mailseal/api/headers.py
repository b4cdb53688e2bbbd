"""Security headers on every response, and `no-store` on everything but the static app shell."""

from __future__ import annotations

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

STATIC_PREFIXES = ("/icons/", "/locales/", "/modules/")
STATIC_FILES = frozenset({"/app.js", "/styles.css", "/manifest.json"})

Header = tuple[bytes, bytes]
ALWAYS: tuple[Header, ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)
HSTS: Header = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
NO_STORE: Header = (b"cache-control", b"no-store")
NO_CACHE: Header = (b"cache-control", b"no-cache")


def security_headers(existing: list[Header], path: str, *, hsts: bool) -> list[Header]:
    """The response's headers with ours added; ours replace the handler's, except a handler's own CSP,
    X-Frame-Options and (on the static shell) Cache-Control. Built in one pass: this runs on every response."""
    present = {name.lower() for name, _ in existing}
    ours = list(ALWAYS)
    if hsts:
        ours.append(HSTS)
    if b"content-security-policy" not in present:
        ours.append((b"content-security-policy", (DEV_CSP if path.startswith("/dev/") else APP_CSP).encode()))
    if b"x-frame-options" not in present:
        ours.append((b"x-frame-options", b"DENY"))
    if path.startswith(STATIC_PREFIXES) or path in STATIC_FILES:
        if b"cache-control" not in present:
            ours.append(NO_CACHE)
    elif path == "/sw.js":
        ours += [NO_CACHE, (b"service-worker-allowed", b"/")]
    else:
        ours.append(NO_STORE)
    replaced = {name for name, _ in ours}
    return [header for header in existing if header[0].lower() not in replaced] + ours


def security_headers_middleware(app: ASGIApp, *, hsts: bool) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = security_headers(list(message.get("headers", ())), path, hsts=hsts)
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
