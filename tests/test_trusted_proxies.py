"""The client address behind a reverse proxy: `X-Forwarded-For` counts only from a trusted proxy.

Per-client limits (passcode requests and guesses) are counted by client address. Without a trusted
proxy the header is ignored, so a client cannot spread its tries over forged addresses; with the proxy
trusted, each real client behind it gets its own count instead of sharing the proxy's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Request

from mailseal.api.client_address import client_address
from mailseal.identity.limits import Limits
from support.live_server import live_server

PER_CLIENT = Limits().requests_per_client


def request_from(peer: str, *forwarded_for: str) -> Request[Any, Any, Any]:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded_for]
    scope: Any = {"type": "http", "method": "GET", "path": "/", "query_string": b"", "headers": headers,
                  "client": (peer, 40000), "app": None, "state": {}}
    return Request(scope)


@pytest.mark.parametrize(("peer", "forwarded_for", "trusted", "expected"), [
    ("203.0.113.9", ["198.51.100.1"], (), "203.0.113.9"),                        # nobody trusted
    ("203.0.113.9", ["198.51.100.1"], ("127.0.0.0/8",), "203.0.113.9"),          # peer not a proxy
    ("127.0.0.1", ["198.51.100.1"], ("127.0.0.0/8",), "198.51.100.1"),           # one proxy
    ("127.0.0.1", ["6.6.6.6, 198.51.100.1"], ("127.0.0.0/8",), "198.51.100.1"),  # forged entry on the left
    ("127.0.0.1", ["6.6.6.6, 198.51.100.1, 10.0.0.2"], ("127.0.0.0/8", "10.0.0.0/8"), "198.51.100.1"),
    ("127.0.0.1", ["6.6.6.6", "198.51.100.1"], ("127.0.0.0/8",), "198.51.100.1"),  # two header lines
    ("127.0.0.1", ["junk, 10.0.0.2"], ("127.0.0.0/8", "10.0.0.0/8"), "10.0.0.2"),  # not an address: stop
    ("127.0.0.1", [], ("127.0.0.0/8",), "127.0.0.1"),                              # proxy sent nothing
    ("::ffff:127.0.0.1", ["2001:db8::7"], ("127.0.0.0/8",), "2001:db8::7"),        # v4-mapped peer
])
def test_the_client_address(peer: str, forwarded_for: list[str], trusted: tuple[str, ...], expected: str) -> None:
    assert client_address(request_from(peer, *forwarded_for), trusted) == expected


def ask_for_codes(base_url: str, forwarded_for: list[str]) -> list[int]:
    """One passcode request per entry (each for a different address), each with that X-Forwarded-For."""
    statuses = []
    with httpx.Client(base_url=base_url, timeout=10) as http:
        token = http.get("/healthz").cookies["csrftoken"]
        # The cookie is Secure, so httpx keeps it to itself over http: send it as a browser on localhost would.
        csrf = {"x-csrftoken": token, "cookie": f"csrftoken={token}"}
        for number, forged in enumerate(forwarded_for):
            response = http.post("/api/auth/code", json={"email": f"person{number}@example.net"},
                                 headers={**csrf, "x-forwarded-for": forged})
            statuses.append(response.status_code)
    return statuses


@pytest.mark.slow
def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with live_server(data) as server:
        forged = [f"198.51.100.{n}" for n in range(PER_CLIENT + 1)]
        statuses = ask_for_codes(server.url, forged)
    assert statuses == [202] * PER_CLIENT + [429]


@pytest.mark.slow
def test_behind_a_trusted_proxy_each_client_has_its_own_limit(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with live_server(data, trusted_proxies="127.0.0.1/32") as server:
        many_clients = ask_for_codes(server.url, [f"198.51.100.{n}" for n in range(PER_CLIENT + 1)])
        one_client = ask_for_codes(server.url, ["203.0.113.5"] * (PER_CLIENT + 1))
    assert many_clients == [202] * (PER_CLIENT + 1)
    assert one_client == [202] * PER_CLIENT + [429]
