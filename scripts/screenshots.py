"""Screenshots of every PWA screen at 390x844, light and dark, into docs/screenshots/.

Runs a real `mailseal serve` in a temporary data folder, seals sample messages with the `mailseal`
command, signs in with the code from the outbox and visits each screen in Debian's Chromium.
Usage: .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402

from support.browser import outbox_code, seal  # noqa: E402
from support.live_server import live_server  # noqa: E402
from support.mailseal_app import simple_mail  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
NEWSLETTER = (
    '<div style="font-family:Georgia,serif;color:#1f2937"><h2 style="color:#1d4ed8">Board pack, Q4</h2>'
    "<p>Dear Bob,</p><p>Please find the <b>draft figures</b> for the board meeting attached. Revenue is up "
    "<span style=\"color:#15803d\">12%</span> on last quarter.</p><ul><li>Agenda</li><li>Figures</li>"
    '<li>Risks</li></ul><p>Best regards,<br>Alice</p><img src="https://tracker.example/pixel.gif"></div>'
)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with live_server(tmp / "data") as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            first, _ = seal(server, simple_mail(subject="Board pack, Q4", html=NEWSLETTER,
                                                attachment=("figures-q4.pdf", "application/pdf", b"%PDF-1.4" * 500)),
                            tmp)
            (tmp / "2").mkdir()
            dnf, _ = seal(server, simple_mail(subject="Salary review — confidential",
                                              body="Hi Bob,\n\nYour new salary starts in January.\n\nAlice"),
                          tmp / "2", template="do-not-forward", expires_days=30)
            for scheme in ("light", "dark"):
                context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                              is_mobile=True, has_touch=True, base_url=server.url,
                                              color_scheme=scheme)
                page = context.new_page()

                def shot(name: str, page: Any = page, scheme: str = scheme) -> None:
                    page.wait_for_timeout(400)
                    page.screenshot(path=str(OUT / f"{name}-{scheme}.png"))

                page.goto("/sign-in")
                page.wait_for_selector("#email")
                shot("1-sign-in")
                page.fill("#email", "bob@gmail.com")
                page.click("[data-testid=send-code]")
                page.wait_for_selector("[data-testid=reference]")
                shot("2-code")
                page.fill("#code", outbox_code(server.data, "bob@gmail.com"))
                page.wait_for_selector("[data-testid=inbox-item]")
                shot("3-inbox")
                page.goto(f"/m/{first}")
                page.wait_for_selector("iframe[data-testid=message-body]")
                page.frame_locator("iframe[data-testid=message-body]").locator("h2").wait_for()
                shot("4-message")
                page.goto(f"/m/{dnf}")
                page.wait_for_selector("[data-testid=message]")
                shot("5-do-not-forward")
                page.goto("/m/" + "a" * 26)
                page.wait_for_selector("[data-testid=error-screen]")
                shot("6-error")
                page.goto("/settings")
                page.wait_for_selector("[data-testid=settings]")
                shot("7-settings")
                page.goto("/install")
                page.wait_for_selector("[data-testid=install]")
                shot("8-install")
                context.close()
            browser.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
