"""The egress guard (DESIGN invariant 8): hostile push endpoints are refused when subscribing and when
sending, and no connection is ever made to them. Connections go to the address that was checked."""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mailseal.errors import ConfigError, PushEndpointRefused
from mailseal.push import DEFAULT_PUSH_SERVICES, EgressPolicy, is_public_address, parse_endpoint
from support.push_service import make_tls_pair, push_stack

GUARD = 10.0
PUBLIC_V4 = "142.250.74.42"
PUBLIC_V6 = "2a00:1450:4001:82b::200a"


@dataclass(frozen=True)
class Hostile:
    name: str
    url: str  # `{port}` is the loopback push service's port
    dns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def resolves(self) -> bool:
        """Refused only after a look-up (the text is fine, the addresses are not)."""
        return bool(self.dns)


def _resolving(name: str, *answers: str, host: str = "fcm.googleapis.com") -> Hostile:
    return Hostile(name, f"https://{host}/fcm/send/abc", {host: list(answers)})


HOSTILE = [
    # scheme, port, userinfo, syntax
    Hostile("http-scheme", "http://fcm.googleapis.com/fcm/send/abc"),
    Hostile("ftp-scheme", "ftp://fcm.googleapis.com/abc"),
    Hostile("upper-scheme", "HTTPS://fcm.googleapis.com/abc"),
    Hostile("no-scheme", "//fcm.googleapis.com/abc"),
    Hostile("relative", "/push/abc"),
    Hostile("odd-port", "https://fcm.googleapis.com:8443/abc"),
    Hostile("service-port", "https://fcm.googleapis.com:{port}/abc"),
    Hostile("port-zero", "https://fcm.googleapis.com:0/abc"),
    Hostile("empty-port", "https://fcm.googleapis.com:/abc"),
    Hostile("port-overflow", "https://fcm.googleapis.com:66979/abc"),
    Hostile("port-leading-zero", "https://fcm.googleapis.com:0443/abc"),
    Hostile("userinfo-host", "https://fcm.googleapis.com@127.0.0.1:{port}/push/abc"),
    Hostile("userinfo-reversed", "http://127.0.0.1:{port}@fcm.googleapis.com/abc"),
    Hostile("userinfo-password", "https://user:pass@fcm.googleapis.com/abc"),
    Hostile("backslash-userinfo", "https://fcm.googleapis.com\\@127.0.0.1:{port}/abc"),
    Hostile("backslash-path", "https://127.0.0.1:{port}\\.fcm.googleapis.com/abc"),
    Hostile("percent-host", "https://fcm%2egoogleapis.com/abc"),
    Hostile("percent-loopback", "http://%31%32%37.0.0.1:{port}/push/abc"),
    Hostile("bad-percent-path", "https://fcm.googleapis.com/a%zz"),
    Hostile("fragment", "https://fcm.googleapis.com/abc#x"),
    Hostile("space", "https://fcm.googleapis.com/a b"),
    Hostile("crlf", "https://fcm.googleapis.com/a\r\nHost: 127.0.0.1"),
    Hostile("nul", "https://fcm.googleapis.com\x00.evil.com/abc"),
    Hostile("idna-fullwidth-dot", "https://fcm.googleapis.com\u3002evil.com/abc"),
    Hostile("idna-homograph", "https://fcm.googl\u0435apis.com/abc"),  # Cyrillic e
    Hostile("trailing-dot", "https://fcm.googleapis.com./abc"),
    Hostile("upper-host", "https://FCM.googleapis.com/abc"),
    Hostile("empty-host", "https:///abc"),
    Hostile("too-long", "https://fcm.googleapis.com/" + "a" * 2100),
    # hosts that are not push services
    Hostile("unknown-host", "https://evil.example.com/abc", {}),
    Hostile("suffix-trick", "https://fcm.googleapis.com.evil.com/abc"),
    Hostile("prefix-trick", "https://evilfcm.googleapis.com/abc"),
    Hostile("subdomain-of-exact", "https://x.web.push.apple.com.evil.net/abc"),
    Hostile("wildcard-bare", "https://notify.windows.com/w/?token=abc"),
    Hostile("wildcard-glued", "https://evilnotify.windows.com/w/?token=abc"),
    Hostile("punycode-unknown", "https://xn--fcm-googleapis-com-xyz.evil.com/abc"),
    # addresses written every way
    Hostile("other-loopback", "http://127.0.0.2:{port}/push/abc"),
    Hostile("short-loopback", "http://127.1:{port}/push/abc"),
    Hostile("decimal", "http://2130706433:{port}/push/abc"),
    Hostile("octal", "http://0177.0.0.1:{port}/push/abc"),
    Hostile("hex-dotted", "http://0x7f.1:{port}/push/abc"),
    Hostile("hex", "http://0x7f000001:{port}/push/abc"),
    Hostile("loopback-trailing-dot", "http://127.0.0.1.:{port}/push/abc"),
    Hostile("loopback-https-other-port-name", "https://localhost:{port}/push/abc"),
    Hostile("ipv6-loopback", "http://[::1]:{port}/push/abc"),
    Hostile("ipv6-mapped", "http://[::ffff:127.0.0.1]:{port}/push/abc"),
    Hostile("ipv6-mapped-hex", "http://[::ffff:7f00:1]:{port}/push/abc"),
    Hostile("private-literal", "https://10.0.0.1/abc"),
    Hostile("metadata-literal", "https://169.254.169.254/latest/meta-data"),
    Hostile("ula-literal", "https://[fd00::1]/abc"),
    Hostile("zero", "https://0/abc"),
    Hostile("unspecified", "https://0.0.0.0/abc"),
    Hostile("public-literal", f"https://{PUBLIC_V4}/abc"),
    # known push hosts whose DNS answers are not public (an injected resolver plays the hostile DNS)
    _resolving("dns-loopback", "127.0.0.1"),
    _resolving("dns-10", "10.1.2.3"),
    _resolving("dns-172", "172.16.0.1"),
    _resolving("dns-192-168", "192.168.1.1"),
    _resolving("dns-metadata", "169.254.169.254"),
    _resolving("dns-cgnat", "100.64.0.1"),
    _resolving("dns-zero", "0.0.0.0"),
    _resolving("dns-broadcast", "255.255.255.255"),
    _resolving("dns-multicast4", "224.0.0.1"),
    _resolving("dns-benchmark", "198.18.0.1"),
    _resolving("dns-test-net", "192.0.2.1"),
    _resolving("dns-v6-loopback", "::1"),
    _resolving("dns-v6-unspecified", "::"),
    _resolving("dns-mapped-loopback", "::ffff:127.0.0.1"),
    _resolving("dns-mapped-private", "::ffff:10.0.0.1"),
    _resolving("dns-compat", "::127.0.0.1"),
    _resolving("dns-nat64-private", "64:ff9b::a00:1"),
    _resolving("dns-nat64-local-use", "64:ff9b:1::a00:1"),
    _resolving("dns-6to4-private", "2002:a00:1::1"),
    _resolving("dns-6to4-loopback", "2002:7f00:1::1"),
    _resolving("dns-teredo", "2001:0:4136:e378:8000:63bf:3fff:fdd2"),
    _resolving("dns-link-local", "fe80::1"),
    _resolving("dns-link-local-zone", "fe80::1%eth0"),
    _resolving("dns-ula", "fd12:3456::1"),
    _resolving("dns-aws-v6-metadata", "fd00:ec2::254"),
    _resolving("dns-site-local", "fec0::1"),
    _resolving("dns-multicast6", "ff02::1"),
    _resolving("dns-documentation6", "2001:db8::1"),
    _resolving("dns-mixed", PUBLIC_V4, "10.0.0.1"),
    _resolving("dns-mixed-v6", PUBLIC_V6, "::1"),
    _resolving("dns-garbage", "not-an-address"),
    _resolving("dns-wns-loopback", "127.0.0.1", host="db5p.notify.windows.com"),
    _resolving("dns-apple-private", "192.168.0.10", host="web.push.apple.com"),
]


def test_there_are_at_least_fifty_hostile_endpoints() -> None:
    assert len(HOSTILE) >= 50
    assert len({case.name for case in HOSTILE}) == len(HOSTILE)


def _subscription(url: str) -> dict[str, object]:
    return {
        "endpoint": url,
        "keys": {
            # A valid browser key pair's public half and a 16-octet auth secret.
            "p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
            "auth": "BTBZMqHH6r4Tts7J_aSIgg",
        },
    }


@pytest.mark.parametrize("case", HOSTILE, ids=lambda c: c.name)
async def test_hostile_endpoint_refused_at_subscribe(tmp_path: Path, case: Hostile) -> None:
    async with push_stack(tmp_path) as stack:
        for host, answers in case.dns.items():
            stack.dns.set(host, *answers)
        url = case.url.format(port=stack.service.port)
        with pytest.raises(PushEndpointRefused):
            await stack.push.subscribe("dev", _subscription(url))
        assert await stack.push.list_for_devices(["dev"]) == []
        assert stack.dns.calls == (list(case.dns) if case.resolves else [])
        assert stack.backend.connects == []
        assert stack.service.connections == 0


@pytest.mark.parametrize("case", HOSTILE, ids=lambda c: c.name)
async def test_hostile_endpoint_refused_at_send(tmp_path: Path, case: Hostile) -> None:
    """The row is changed behind the service's back after a good subscribe: the send must still refuse."""
    async with push_stack(tmp_path) as stack:
        for host, answers in case.dns.items():
            stack.dns.set(host, *answers)
        await stack.subscribe_device("dev")
        stack.dns.calls.clear()
        url = case.url.format(port=stack.service.port)
        async with stack.db.engine.transaction() as conn:
            await conn.execute("UPDATE push_subscriptions SET endpoint = ? WHERE device_id = ?", (url, "dev"))
        await stack.push.notify(["dev"], "m1", "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        assert stack.push.stats.refused == 1
        assert stack.push.stats.attempts == (1 if case.resolves else 0)
        assert stack.dns.calls == (list(case.dns) if case.resolves else [])
        assert stack.backend.connects == []
        assert stack.service.connections == 0
        assert stack.service.received == []


@pytest.mark.parametrize("case", HOSTILE, ids=lambda c: c.name)
def test_hostile_endpoint_text_refused_by_the_production_policy(case: Hostile) -> None:
    policy = EgressPolicy()
    if case.resolves:
        parse_endpoint(case.url, policy)  # the text is fine; the addresses are refused (tests above)
    else:
        with pytest.raises(PushEndpointRefused):
            parse_endpoint(case.url.format(port=8080), policy)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects_are_never_followed(tmp_path: Path, status: int) -> None:
    async with push_stack(tmp_path) as stack:
        sub = await stack.subscribe_device("dev")
        stack.service.answer(stack.service.id_of(sub), status)
        await stack.push.notify(["dev"], "m1", "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        assert [r.path for r in stack.service.received] == [f"/push/{stack.service.id_of(sub)}"]
        assert [r.status for r in stack.service.received] == [status]
        assert stack.push.stats.failed == 1 and stack.push.stats.delivered == 0


async def test_dns_rebinding_after_subscribe_is_refused_at_send(tmp_path: Path) -> None:
    async with push_stack(tmp_path) as stack:
        stack.dns.sequence("fcm.googleapis.com", [PUBLIC_V4], ["127.0.0.1"])
        url = "https://fcm.googleapis.com/fcm/send/abc"
        await stack.push.subscribe("dev", _subscription(url))  # public then: accepted
        await stack.push.notify(["dev"], "m1", "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        assert stack.dns.calls == ["fcm.googleapis.com", "fcm.googleapis.com"]
        assert stack.push.stats.refused == 1
        assert stack.backend.connects == []


async def test_connection_goes_to_the_checked_address_with_the_host_name_for_tls(tmp_path: Path) -> None:
    """The inner backend is handed the checked IP, never the name; TLS verifies and sends SNI for the name."""
    tls = make_tls_pair("push.test")
    async with push_stack(tmp_path, tls=tls, url_host="push.test") as stack:
        sub = await stack.subscribe_device("dev")
        assert sub["endpoint"].startswith("https://push.test:")
        await stack.push.notify(["dev"], "m1", "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        assert stack.push.stats.delivered == 1
        assert stack.backend.connects == [("127.0.0.1", stack.service.port)]
        assert stack.dns.calls == ["push.test", "push.test"]  # once at subscribe, once for the connection
        assert stack.service.sni_names == ["push.test"]
        (record,) = stack.service.received
        assert record.headers["host"] == f"push.test:{stack.service.port}"
        assert record.claims is not None and record.claims["aud"] == f"https://push.test:{stack.service.port}"


async def test_a_certificate_for_another_name_is_refused(tmp_path: Path) -> None:
    tls = make_tls_pair("other.test")
    async with push_stack(tmp_path, tls=tls, url_host="push.test", max_attempts=1) as stack:
        await stack.subscribe_device("dev")
        await stack.push.notify(["dev"], "m1", "message")
        await asyncio.wait_for(stack.push.drain(), GUARD)
        assert stack.push.stats.delivered == 0 and stack.service.received == []


async def test_loopback_is_refused_without_the_test_setting(tmp_path: Path) -> None:
    async with push_stack(tmp_path, allow_loopback=False) as stack:
        url = f"http://127.0.0.1:{stack.service.port}/push/abc"
        with pytest.raises(PushEndpointRefused):
            await stack.push.subscribe("dev", _subscription(url))
        assert stack.service.connections == 0


@pytest.mark.parametrize(
    "url",
    [
        "https://fcm.googleapis.com/fcm/send/dXf3:APA91bH-abc_DEF",
        "https://android.googleapis.com/gcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk-abc",
        "https://web.push.apple.com/QGuQyavXutnMHS-abc",
        "https://api.push.apple.com/3/device/abc",
        "https://wns2-db5p.notify.windows.com/w/?token=BQYAAADk%2b%2fabc%3d",
        "https://fcm.googleapis.com:443/fcm/send/abc",
    ],
)
def test_real_push_endpoints_pass_the_text_check(url: str) -> None:
    endpoint = parse_endpoint(url, EgressPolicy())
    assert endpoint.scheme == "https" and endpoint.port == 443
    assert endpoint.origin == "https://" + endpoint.host
    assert url.endswith(endpoint.target)


async def test_a_public_answer_is_accepted(tmp_path: Path) -> None:
    async with push_stack(tmp_path) as stack:
        stack.dns.set("updates.push.services.mozilla.com", PUBLIC_V4, PUBLIC_V6, f"::ffff:{PUBLIC_V4}")
        sub = await stack.push.subscribe("dev", _subscription("https://updates.push.services.mozilla.com/wpush/v2/x"))
        assert sub.device_id == "dev"


def test_push_services_setting_extends_the_list() -> None:
    policy = EgressPolicy.with_services(["push.example.net", "*.push.example.org"])
    assert set(DEFAULT_PUSH_SERVICES) <= set(policy.services)
    assert parse_endpoint("https://push.example.net/x", policy).host == "push.example.net"
    assert parse_endpoint("https://eu.push.example.org/x", policy).host == "eu.push.example.org"
    for url in ("https://push.example.org/x", "https://a.push.example.net/x"):
        with pytest.raises(PushEndpointRefused):
            parse_endpoint(url, policy)


@pytest.mark.parametrize(
    "entry", ["com", "*.com", "push..example.org", "10.0.0.1", "push.example.org.", "*", "a b.org"]
)
def test_push_services_entries_must_be_host_names(entry: str) -> None:
    with pytest.raises(ConfigError):
        EgressPolicy.with_services([entry])


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        (PUBLIC_V4, True),
        (PUBLIC_V6, True),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::808:808", True),
        ("2002:808:808::1", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("100.127.255.255", False),
        ("192.0.0.8", False),
        ("198.51.100.7", False),
        ("203.0.113.9", False),
        ("240.0.0.1", False),
        ("::ffff:169.254.1.1", False),
        ("64:ff9b::7f00:1", False),
        ("2002:c0a8:101::1", False),
        ("2001::1", False),
        ("2001:2::1", False),
        ("3fff::1", False),
        ("100::1", False),
        ("fec0::1", False),
        ("ff0e::1", False),
        ("5f00::1", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public
