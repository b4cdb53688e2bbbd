"""The egress guard: pushes go only to known push services on public addresses (DESIGN invariant 8).

Two checks, both run when a subscription is made and again for every send:

- the endpoint text: `https`, a host on the push-service list, no userinfo, port 443, a plain path. The
  parser is strict and canonical (lower-case letters, digits, dots and hyphens in the host), so numeric,
  octal or hex IPv4 forms, IDNA tricks, trailing dots, `@`, backslashes and percent-encoding never reach
  a resolver;
- the addresses: every address the host resolves to must be public. `GuardedNetworkBackend` resolves,
  checks, then connects to a checked address itself (TLS still verifies the host name), so a second DNS
  answer can never swap in a private address between the check and the connection.

Tests may allow a few exact loopback hosts over plain http (`allow_loopback`); nothing else relaxes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Final

import httpcore
import msgspec

from mailseal.errors import ConfigError, PushEndpointRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolves (host, port) to address strings; injectable so tests can answer like a hostile DNS."""

MAX_ENDPOINT_BYTES: Final = 2048
HTTPS_PORT: Final = 443

# An entry matches that exact host; a `*.` entry matches its subdomains only.
DEFAULT_PUSH_SERVICES: Final = (
    "fcm.googleapis.com",
    "android.googleapis.com",
    "updates.push.services.mozilla.com",
    "push.services.mozilla.com",
    "web.push.apple.com",
    "*.push.apple.com",
    "*.notify.windows.com",
)

_URL = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<target>[^#]*)")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TARGET = re.compile(r"(?:/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?")
_PORT = re.compile(r"[1-9][0-9]{0,4}")
_SERVICE = re.compile(r"(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")

_V4_DENIED: Final = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
)
_V6_GLOBAL_UNICAST: Final = ipaddress.IPv6Network("2000::/3")
_V6_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
_V6_6TO4: Final = ipaddress.IPv6Network("2002::/16")
_V6_DENIED: Final = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "2001::/23",  # IETF protocol assignments, Teredo 2001::/32 among them
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
    )
)


class EgressPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Where pushes may go. Build it with `with_services`: the `push_services` setting extends the built-in list."""

    services: tuple[str, ...] = DEFAULT_PUSH_SERVICES
    allow_loopback: bool = False
    loopback_hosts: tuple[str, ...] = ("127.0.0.1",)

    def __post_init__(self) -> None:
        for entry in self.services:
            if not _SERVICE.fullmatch(entry) or len(entry) > 253:
                raise ConfigError(f"push_services: {entry!r} is not a host name (like push.example.com)")

    @classmethod
    def with_services(
        cls, extra: Iterable[str] = (), *, allow_loopback: bool = False, loopback_hosts: Iterable[str] = ("127.0.0.1",)
    ) -> EgressPolicy:
        services = tuple(dict.fromkeys((*DEFAULT_PUSH_SERVICES, *(e.strip().lower() for e in extra))))
        return cls(services=services, allow_loopback=allow_loopback, loopback_hosts=tuple(loopback_hosts))

    def host_allowed(self, host: str, port: int, scheme: str = "https") -> bool:
        """Is `scheme://host:port` a permitted destination? (Loopback hosts count only when allowed.)"""
        if self.is_loopback_host(host):
            return scheme in ("http", "https")
        return scheme == "https" and port == HTTPS_PORT and _canonical_host(host) and self._known(host)

    def is_loopback_host(self, host: str) -> bool:
        return self.allow_loopback and host in self.loopback_hosts

    def _known(self, host: str) -> bool:
        for entry in self.services:
            if entry.startswith("*."):
                if host.endswith(entry[1:]):
                    return True
            elif host == entry:
                return True
        return False


class Endpoint(msgspec.Struct, frozen=True):
    """A push endpoint whose text passed the guard. Its addresses are checked at connect time."""

    scheme: str
    host: str
    port: int
    target: str
    loopback: bool = False

    @property
    def origin(self) -> str:
        """`scheme://host[:port]`: the VAPID audience."""
        default = HTTPS_PORT if self.scheme == "https" else 80
        return f"{self.scheme}://{self.host}" + ("" if self.port == default else f":{self.port}")


def parse_endpoint(url: str, policy: EgressPolicy) -> Endpoint:
    """Check the endpoint text; raises `PushEndpointRefused` (with a reason that never echoes the URL)."""
    if not isinstance(url, str) or len(url.encode("utf-8", "replace")) > MAX_ENDPOINT_BYTES:
        raise PushEndpointRefused("The push endpoint is missing or too long")
    if not url.isascii() or any(not 0x21 <= ord(c) <= 0x7E for c in url) or "\\" in url:
        raise PushEndpointRefused("The push endpoint has characters a URL may not have")
    match = _URL.fullmatch(url)
    if match is None:
        raise PushEndpointRefused("The push endpoint is not an absolute URL without a fragment")
    scheme, authority, target = match.group("scheme", "authority", "target")
    if "@" in authority or "%" in authority:
        raise PushEndpointRefused("The push endpoint may not carry user information or encoded host characters")
    host, port = _split_authority(authority, scheme)
    loopback = policy.is_loopback_host(host)
    if not loopback:
        if scheme != "https":
            raise PushEndpointRefused("The push endpoint must use https")
        if not _canonical_host(host):
            raise PushEndpointRefused("The push endpoint's host must be a plain lower-case DNS name")
        if not policy.host_allowed(host, port, scheme):
            raise PushEndpointRefused("The push endpoint is not on a known push service, or uses another port")
    elif scheme not in ("http", "https"):
        raise PushEndpointRefused("The push endpoint must use https")
    if not _TARGET.fullmatch(target):
        raise PushEndpointRefused("The push endpoint's path is not a plain URL path")
    return Endpoint(scheme=scheme, host=host, port=port, target=target or "/", loopback=loopback)


def _split_authority(authority: str, scheme: str) -> tuple[str, int]:
    default = HTTPS_PORT if scheme == "https" else 80
    if "[" in authority or "]" in authority:
        raise PushEndpointRefused("The push endpoint's host may not be an address")
    if ":" in authority:
        host, _, port_text = authority.rpartition(":")
    else:
        host, port_text = authority, None
    if not host:
        raise PushEndpointRefused("The push endpoint has no host")
    if port_text is None:
        return host, default
    if not _PORT.fullmatch(port_text) or int(port_text) > 65535:
        raise PushEndpointRefused("The push endpoint's port is not valid")
    return host, int(port_text)


def _canonical_host(host: str) -> bool:
    """A lower-case LDH DNS name of two or more labels that no resolver could read as an address."""
    if len(host) > 253:
        return False
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return False
    # `2130706433`, `0177.0.0.1`, `127.1`, `0x7f.1`: a numeric last label is an address to inet_aton.
    if labels[-1].isdigit() or labels[-1].startswith("0x"):
        return False
    try:
        socket.inet_aton(host)
    except OSError:
        return True
    return False


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routed unicast addresses, looking inside IPv4-in-IPv6 forms."""
    if isinstance(address, ipaddress.IPv4Address):
        return address.is_global and not any(address in net for net in _V4_DENIED)
    if address.ipv4_mapped is not None:
        return is_public_address(address.ipv4_mapped)
    if address in _V6_NAT64:
        return is_public_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    # Only 2000::/3 is global unicast: this refuses ::/8 (loopback, unspecified, IPv4-compatible),
    # fc00::/7, fe80::/10, fec0::/10, ff00::/8, 100::/64 and 64:ff9b:1::/48 in one step.
    if address not in _V6_GLOBAL_UNICAST or any(address in net for net in _V6_DENIED):
        return False
    if address in _V6_6TO4:
        embedded = address.sixtofour
        return embedded is not None and is_public_address(embedded)
    return not address.is_multicast and not address.is_private


def _is_loopback_address(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def parse_address(text: str) -> IPAddress:
    """An address from a resolver answer (an IPv6 zone suffix is dropped; zones are link-local anyway)."""
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError as exc:
        raise PushEndpointRefused("The push service resolved to something that is not an address") from exc


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's resolver (run in a thread by asyncio, so the loop never blocks)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]


class ResolutionFailed(OSError):
    """The push service's name did not resolve (now); a send may try again later."""


async def resolve_checked(
    host: str, port: int, policy: EgressPolicy, resolver: Resolver, *, limit: float
) -> tuple[IPAddress, ...]:
    """Resolve `host` and return its addresses, all checked; any unacceptable answer refuses them all."""
    try:
        async with asyncio.timeout(limit):
            answers = await resolver(host, port)
    except (OSError, TimeoutError) as exc:
        raise ResolutionFailed("the push service's name did not resolve") from exc
    addresses = tuple(dict.fromkeys(parse_address(answer) for answer in answers))
    if not addresses:
        raise ResolutionFailed("the push service's name has no addresses")
    loopback = policy.is_loopback_host(host)
    for address in addresses:
        allowed = _is_loopback_address(address) if loopback else is_public_address(address)
        if not allowed:
            raise PushEndpointRefused("The push service resolves to an address that is not public")
    return addresses


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to checked addresses of permitted push hosts.

    httpcore hands us the URL's host; we resolve it, check every address, and connect the inner backend
    to the checked address itself. TLS (started afterwards by httpcore) still uses the host name for SNI
    and certificate checks.
    """

    def __init__(
        self,
        policy: EgressPolicy,
        resolver: Resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
        *,
        resolve_timeout: float = 10.0,
    ) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()
        self._resolve_timeout = resolve_timeout

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if not (self._policy.is_loopback_host(host) or self._policy.host_allowed(host, port)):
            raise PushEndpointRefused("The push endpoint is not on a known push service")
        limit = self._resolve_timeout if timeout is None else min(timeout, self._resolve_timeout)
        addresses = await resolve_checked(host, port, self._policy, self._resolver, limit=limit)
        failure: BaseException | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise PushEndpointRefused("Pushes never go to local sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
