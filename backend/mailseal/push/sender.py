"""One HTTP POST to a push service, through the egress guard, with timeouts always.

We use httpcore directly: it never follows redirects, never reads proxy settings from the environment
(a proxy would connect on our behalf, past the address check), and takes a network backend, which is
where the guard pins connections to checked addresses.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from typing import Final

import httpcore
import msgspec

from .egress import EgressPolicy, Endpoint, GuardedNetworkBackend, Resolver, system_resolver

MAX_RESPONSE_BYTES: Final = 64 * 1024


class PushResponse(msgspec.Struct, frozen=True):
    status: int
    retry_after: float | None = None


class PushSender:
    """Posts encrypted pushes; every network edge here is injectable (resolver, backend, TLS context)."""

    def __init__(
        self,
        policy: EgressPolicy,
        *,
        resolver: Resolver = system_resolver,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
        ssl_context: ssl.SSLContext | None = None,
        connect_timeout: float = 10.0,
        total_timeout: float = 10.0,
        max_connections: int = 16,
    ) -> None:
        self._connect_timeout = connect_timeout
        self._total_timeout = total_timeout
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
            http1=True,
            http2=False,
            retries=0,
            network_backend=GuardedNetworkBackend(policy, resolver, network_backend, resolve_timeout=connect_timeout),
        )

    async def post(self, endpoint: Endpoint, headers: Sequence[tuple[str, str]], body: bytes) -> PushResponse:
        """POST `body`; raises `TimeoutError`, `OSError`/`httpcore` errors, or `PushEndpointRefused`."""
        default_port = 443 if endpoint.scheme == "https" else 80
        url = httpcore.URL(
            scheme=endpoint.scheme.encode("ascii"),
            host=endpoint.host.encode("ascii"),
            # None keeps the Host header canonical (`fcm.googleapis.com`, not `fcm.googleapis.com:443`).
            port=None if endpoint.port == default_port else endpoint.port,
            target=endpoint.target.encode("ascii"),
        )
        timeouts = {
            "connect": self._connect_timeout,
            "read": self._total_timeout,
            "write": self._total_timeout,
            "pool": self._total_timeout,
        }
        async with asyncio.timeout(self._total_timeout):
            async with self._pool.stream(
                "POST",
                url,
                headers=[(name.encode("ascii"), value.encode("ascii")) for name, value in headers],
                content=body,
                extensions={"timeout": timeouts},
            ) as response:
                received = 0
                async for chunk in response.aiter_stream():
                    received += len(chunk)
                    if received > MAX_RESPONSE_BYTES:
                        break
                return PushResponse(status=response.status, retry_after=_retry_after(response.headers))

    async def aclose(self) -> None:
        await self._pool.aclose()


def _retry_after(headers: Sequence[tuple[bytes, bytes]]) -> float | None:
    for name, value in headers:
        if name.lower() == b"retry-after":
            text = value.decode("latin-1").strip()
            return float(text) if text.isdigit() else None
    return None
