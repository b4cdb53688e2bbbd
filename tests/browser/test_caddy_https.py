"""The PWA over HTTPS through Caddy (Debian's `caddy`, `tls internal`), as docs/deploy.md sets it up.

Caddy terminates TLS with its own certificate authority and proxies to `mailseal serve`, which trusts it
for `X-Forwarded-For` (`trusted_proxies`). Chromium signs in and opens a message through it: the
`__Host-` session cookie and the service worker need exactly this secure context.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from support.browser import seal, sign_in
from support.live_server import LiveServer, free_port, live_server
from support.mailseal_app import simple_mail

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
SERVICE_WORKER_ACTIVE = """Promise.race([
    navigator.serviceWorker.ready.then(registration => Boolean(registration.active)),
    new Promise(resolve => setTimeout(() => resolve(false), 10000)),
])"""
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

CADDY = shutil.which("caddy")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(CADDY is None, reason="Debian's caddy is not installed "
                                                   "(./scripts/test installs it where it can)")]

# The production site block of docs/deploy.md with `tls internal`, plus what a test needs: its own
# ports, no admin endpoint, and no attempt to install the root in the system's trust store.
CADDYFILE = """\
{{
    admin off
    http_port {http_port}
    https_port {https_port}
    skip_install_trust
    auto_https disable_redirects
    storage file_system {storage}
}}

https://localhost:{https_port} {{
    tls internal
    encode zstd gzip
    reverse_proxy 127.0.0.1:{upstream}
}}
"""


class Caddy:
    def __init__(self, folder: Path, *, https_port: int, upstream: int) -> None:
        self.https_port = https_port
        self.folder = folder
        self.caddyfile = folder / "Caddyfile"
        self.caddyfile.write_text(CADDYFILE.format(http_port=free_port(), https_port=self.https_port,
                                                   storage=folder / "storage", upstream=upstream))
        self.log = open(folder / "caddy.log", "wb")
        env = {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "data"),
               "XDG_CONFIG_HOME": str(folder / "config")}
        assert CADDY is not None
        self.process = subprocess.Popen([CADDY, "run", "--config", str(self.caddyfile), "--adapter", "caddyfile"],
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"https://localhost:{self.https_port}"

    @property
    def root_certificate(self) -> Path:
        return self.folder / "storage" / "pki" / "authorities" / "local" / "root.crt"

    def key_pins(self) -> list[str]:
        """The SHA-256 of each public key in Caddy's chain for localhost, base64, as Chromium pins them."""
        pins = []
        for pem in sorted((self.folder / "storage").rglob("*.crt")):
            certificate = x509.load_pem_x509_certificate(pem.read_bytes())
            spki = certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
            pins.append(base64.b64encode(hashlib.sha256(spki).digest()).decode())
        return pins

    def wait_until_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"caddy exited: {(self.folder / 'caddy.log').read_text()}")
            if self.root_certificate.exists():
                try:
                    context = ssl.create_default_context(cafile=str(self.root_certificate))
                    with urllib.request.urlopen(self.url + "/healthz", timeout=2, context=context) as answer:
                        if answer.status == 200:
                            return
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"caddy did not start: {(self.folder / 'caddy.log').read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Caddy]]:
    folder = tmp_path_factory.mktemp("caddy")
    data = folder / "data"
    data.mkdir()
    https_port = free_port()
    with live_server(data, public_url=f"https://localhost:{https_port}", trusted_proxies="127.0.0.1/32") as server:
        caddy = Caddy(folder, https_port=https_port, upstream=server.port)
        try:
            caddy.wait_until_up()
            yield server, caddy
        finally:
            caddy.stop()


def test_sign_in_and_open_a_message_over_https_through_caddy(browser: Any, proxied: tuple[LiveServer, Caddy],
                                                            tmp_path: Path) -> None:
    server, caddy = proxied
    started = time.monotonic()
    message_id, _ = seal(server, simple_mail(subject="Through the proxy"), tmp_path, to="gina@gmail.com")
    # Chromium trusts Caddy's keys as a phone trusts its installed root: not by ignoring certificate
    # errors, under which the service worker would not register.
    trusting = browser.browser_type.launch(
        executable_path=shutil.which("chromium"), headless=True,
        args=[*BROWSER_ARGS, f"--ignore-certificate-errors-spki-list={','.join(caddy.key_pins())}"],
    )
    context = trusting.new_context(**PHONE, base_url=caddy.url)
    try:
        page = context.new_page()
        sign_in(page, server, "gina@gmail.com")
        assert page.evaluate("window.isSecureContext") is True
        assert page.evaluate(SERVICE_WORKER_ACTIVE) is True
        session = [c for c in context.cookies() if c["name"] == "__Host-mailseal"]
        assert session and session[0]["secure"], "the session cookie is set over HTTPS"
        page.goto(f"/m/{message_id}")
        page.wait_for_selector(f"[data-testid=message][data-id='{message_id}']")
        assert page.inner_text("[data-testid=message-subject]") == "Through the proxy"
        assert page.url.startswith(caddy.url)
        hsts = page.evaluate("fetch('/api/me').then(r => r.headers.get('strict-transport-security'))")
        assert hsts, "Mailseal's security headers pass through Caddy"
    finally:
        context.close()
        trusting.close()
    print(f"sign-in and open through Caddy in {time.monotonic() - started:.1f}s")
