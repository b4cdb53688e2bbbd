"""Hostile HTML in a real browser: no script runs, nothing outside the app's origin is requested."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from support.browser import seal, sign_in
from support.live_server import LiveServer, free_port
from support.mailseal_app import simple_mail

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


class Canary:
    def __init__(self) -> None:
        self.hits: list[str] = []
        self.port = free_port()
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/canary"


@pytest.fixture
def canary() -> Iterator[Canary]:
    running = Canary()
    yield running
    running.server.shutdown()


def corpus_payloads(corpora: Path) -> dict[str, list[str]]:
    xss = corpora / "xss"
    names = ("dompurify", "h5sc", "payloadsallthethings")
    found = {name: json.loads((xss / f"{name}.json").read_text()) for name in names}
    found["roundcube"] = [(xss / "roundcube_htmlxss.txt").read_text(errors="replace")]
    return found


def test_xss_corpus_runs_no_script(context: Any, server: LiveServer, tmp_path: Path, corpora: Path,
                                   canary: Canary) -> None:
    page = context.new_page()
    sign_in(page, server, "xss@gmail.com")
    dialogs: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    probes = (
        f'<script>fetch("{canary.url}/script")</script>'
        f'<img src="x" onerror="fetch(\'{canary.url}/onerror\')">'
        f'<img src="{canary.url}/remote-image">'
        f'<svg onload="fetch(\'{canary.url}/svg\')"></svg>'
        f'<iframe src="javascript:fetch(\'{canary.url}/iframe\')"></iframe>'
        # The frame shares the app's origin (so the app can measure it): script there would reach the app.
        '<img src="x" onerror="parent.document.body.dataset.pwned=1">'
    )
    for name, payloads in corpus_payloads(corpora).items():
        html = probes + "\n".join(f"<div>{p}</div>" for p in payloads)
        message_id, _ = seal(server, simple_mail(subject=f"XSS {name}", html=html), tmp_path, to="xss@gmail.com")
        page.goto(f"/m/{message_id}")
        page.wait_for_selector(f"[data-testid=message][data-id='{message_id}']")
        frame_element = page.wait_for_selector("iframe[data-testid=message-body]")
        assert "allow-scripts" not in (frame_element.get_attribute("sandbox") or "")
        frame = frame_element.content_frame()
        frame.wait_for_load_state("load")
        page.wait_for_timeout(300)
        assert page.evaluate("document.body.dataset.pwned") is None
    assert dialogs == []
    assert canary.hits == []
    foreign = [url for url in requests if not url.startswith((server.url, "data:", "about:", "blob:"))]
    assert foreign == []


SCRIPTED_BODY = (
    "<!DOCTYPE html><html><body><p id=mail>mail</p>"
    "<script>parent.document.body.dataset.pwned = 'script'; fetch('{canary}/script')</script>"
    "<img src=x onerror=\"parent.document.body.dataset.pwned = 'handler'\">"
    "<a id=link href=\"javascript:parent.document.body.dataset.pwned = 'link'\">link</a></body></html>"
)


def test_the_frame_runs_no_script_even_if_the_sanitizer_let_one_through(
        browser: Any, server: LiveServer, tmp_path: Path, canary: Canary) -> None:
    """The frame keeps the app's origin so the app can measure it; the sandbox (no `allow-scripts`) and the
    body's CSP (no `script-src`) must still stop script that the sanitizer had missed. The body is swapped
    in the browser, the server's own headers kept."""
    context = browser.new_context(**PHONE, base_url=server.url, service_workers="block")
    try:
        page = context.new_page()
        sign_in(page, server, "nosy@gmail.com")
        raw = simple_mail(subject="Scripted", html="<p>plain</p>")
        message_id, _ = seal(server, raw, tmp_path, to="nosy@gmail.com")
        evil = SCRIPTED_BODY.format(canary=canary.url)
        page.route("**/api/messages/*/body", lambda route: route.fulfill(response=route.fetch(), body=evil))
        page.goto(f"/m/{message_id}")
        frame = page.wait_for_selector("iframe[data-testid=message-body]").content_frame()
        frame.wait_for_selector("#mail")
        frame.click("#link", force=True)
        page.wait_for_timeout(500)
        assert page.evaluate("document.body.dataset.pwned") is None
        assert canary.hits == []
        assert page.evaluate("document.querySelector('[data-testid=message-frame-box]').classList.contains('fitted')")
    finally:
        context.close()
