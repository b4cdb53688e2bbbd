"""Every HTTP request gets a request id (the `X-Request-Id` header, in every log line while it runs) and
is counted by its route template and status, with its latency.

An incoming `X-Request-Id` is kept only from a trusted proxy (`trusted_proxies`), so that a proxy's id
joins its log to ours while nobody else can write what they like into our log lines.
"""

from __future__ import annotations

import time

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from mailseal import log_context, metrics
from mailseal.api.client_address import peer_is_trusted_proxy

HEADER = "x-request-id"


def observe_middleware(app: ASGIApp, trusted_proxies: tuple[str, ...] = ()) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        await _observed(app, scope, receive, send, trusted_proxies)

    return middleware


async def _observed(app: ASGIApp, scope: HTTPScope, receive: Receive, send: Send,
                    trusted_proxies: tuple[str, ...]) -> None:
    incoming = None
    client = scope.get("client")
    if trusted_proxies and peer_is_trusted_proxy(client[0] if client else None, trusted_proxies):
        incoming = log_context.accepted(_header(scope, HEADER))
    token = log_context.begin(incoming)
    request_id = log_context.current_request_id()
    status = 500
    began = time.perf_counter()

    async def send_with_id(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            message["headers"] = [*message.get("headers", ()), (HEADER.encode(), request_id.encode())]
        await send(message)

    try:
        await app(scope, receive, send_with_id)
    finally:
        metrics.request_done(scope.get("path_template"), scope["method"], status, time.perf_counter() - began)
        log_context.end(token)


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode("latin-1")
    for key, value in scope["headers"]:
        if key.lower() == wanted:
            return value.decode("latin-1")
    return None
