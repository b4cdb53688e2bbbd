"""axe-core in each screen, light and dark: no serious or critical accessibility violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import axe_playwright_python as axe_python
import pytest

from support.browser import seal, sign_in
from support.live_server import LiveServer
from support.mailseal_app import simple_mail

AXE_JS = (Path(axe_python.__file__).parent / "axe.min.js").read_text()
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def violations(page: Any) -> list[str]:
    page.add_script_tag(content=AXE_JS)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_screen_is_accessible(browser: Any, server: LiveServer, tmp_path: Path, scheme: str) -> None:
    # bypass_csp only so that axe itself can be injected; the app runs as it always does.
    context = browser.new_context(**PHONE, base_url=server.url, color_scheme=scheme, bypass_csp=True)
    try:
        page = context.new_page()
        found: dict[str, list[str]] = {}
        page.goto("/sign-in")
        page.wait_for_selector("#email")
        found["sign-in"] = violations(page)
        address = f"a11y-{scheme}@gmail.com"
        message_id, _ = seal(server, simple_mail(html="<p>Hello</p>", attachment=("a.pdf", "application/pdf", b"%PDF")),
                             tmp_path, to=address, template="do-not-forward")
        sign_in(page, server, address)
        page.wait_for_selector("[data-testid=inbox-item]")
        found["inbox"] = violations(page)
        page.goto(f"/m/{message_id}")
        page.wait_for_selector("[data-testid=message]")
        found["message"] = violations(page)
        page.goto("/settings")
        page.wait_for_selector("[data-testid=settings]")
        found["settings"] = violations(page)
        page.goto("/install")
        page.wait_for_selector("[data-testid=install]")
        found["install"] = violations(page)
        page.goto("/m/" + "a" * 26)
        page.wait_for_selector("[data-testid=error-screen]")
        found["error"] = violations(page)
        assert {screen: v for screen, v in found.items() if v} == {}
    finally:
        context.close()
