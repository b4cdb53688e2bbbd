"""Security headers on every response: which ones are ours, which a handler may set, never twice."""

from __future__ import annotations

import pytest

from mailseal.api.headers import APP_CSP, DEV_CSP, security_headers


def as_dict(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    names = [name.lower() for name, _ in headers]
    assert len(names) == len(set(names)), f"a header appears twice: {names}"
    return {name.decode().lower(): value.decode() for name, value in headers}


def test_an_api_response_gets_every_header_and_no_store() -> None:
    handler = [(b"content-type", b"application/json"), (b"Cache-Control", b"max-age=600")]
    headers = as_dict(security_headers(handler, "/api/messages", hsts=True))
    assert headers["content-type"] == "application/json"
    assert headers["cache-control"] == "no-store"  # a handler cannot make mail content cacheable
    assert headers["content-security-policy"] == APP_CSP
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cross-origin-opener-policy"] == headers["cross-origin-resource-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    assert headers["strict-transport-security"].startswith("max-age=31536000")


def test_without_hsts_there_is_none() -> None:
    assert "strict-transport-security" not in as_dict(security_headers([], "/", hsts=False))


def test_a_handlers_own_csp_and_frame_options_stay() -> None:
    handler = [(b"Content-Security-Policy", b"sandbox; default-src 'none'"), (b"X-Frame-Options", b"SAMEORIGIN")]
    headers = as_dict(security_headers(handler, "/api/messages/x/body", hsts=False))
    assert headers["content-security-policy"] == "sandbox; default-src 'none'"
    assert headers["x-frame-options"] == "SAMEORIGIN"


def test_handler_cannot_weaken_the_fixed_ones() -> None:
    handler = [(b"X-Content-Type-Options", b"off"), (b"Referrer-Policy", b"unsafe-url")]
    headers = as_dict(security_headers(handler, "/api/me", hsts=False))
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"


def test_dev_pages_get_their_own_csp() -> None:
    assert as_dict(security_headers([], "/dev/outbox", hsts=False))["content-security-policy"] == DEV_CSP


@pytest.mark.parametrize(
    "path", ["/app.js", "/styles.css", "/manifest.json", "/modules/api.js", "/icons/icon-192.png", "/locales/en.json"]
)
def test_the_static_shell_is_revalidated_not_forbidden(path: str) -> None:
    assert as_dict(security_headers([], path, hsts=False))["cache-control"] == "no-cache"
    kept = [(b"cache-control", b"public, max-age=60")]
    assert as_dict(security_headers(kept, path, hsts=False))["cache-control"] == "public, max-age=60"


def test_the_service_worker_is_always_fetched_fresh() -> None:
    headers = as_dict(security_headers([(b"cache-control", b"max-age=600")], "/sw.js", hsts=False))
    assert headers["cache-control"] == "no-cache" and headers["service-worker-allowed"] == "/"
