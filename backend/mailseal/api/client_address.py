"""The client's IP address, which per-client limits count: the direct peer, or behind a trusted proxy
the address that proxy saw. `X-Forwarded-For` is read only when the peer is in `trusted_proxies`, so
anyone else who sends one cannot pick the address their tries are counted under."""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from litestar import Request

UNKNOWN = "unknown"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.lru_cache(maxsize=8)
def _networks(texts: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(text.strip(), strict=False) for text in texts)


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address | None, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(request: Request[Any, Any, Any], trusted_proxies: tuple[str, ...]) -> str:
    """The peer; when it is a trusted proxy, the right-most `X-Forwarded-For` entry that is not one
    (each proxy appends the address it saw, so entries left of the first untrusted one are hearsay)."""
    peer = request.client.host if request.client else UNKNOWN
    networks = _networks(trusted_proxies)
    if not _trusted(_address(peer), networks):
        return peer
    hops = [hop for value in request.headers.getall("x-forwarded-for", []) for hop in value.split(",")]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        client = str(address)
        if not _trusted(address, networks):
            break
    return client


def peer_is_trusted_proxy(peer: str | None, trusted_proxies: tuple[str, ...]) -> bool:
    """Whether the direct peer is one of `trusted_proxies` (whose headers about the request may be believed)."""
    return peer is not None and _trusted(_address(peer), _networks(trusted_proxies))
