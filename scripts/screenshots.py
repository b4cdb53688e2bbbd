"""Screenshots of every PWA screen into docs/screenshots/: at 390x844 light and dark (the README's
table), and light at 360x640, 820x1180 and 844x390 in docs/screenshots/<W>x<H>/.

Runs a real `mailseal serve` in a temporary data folder, seals sample messages (a 600 px newsletter, a
plain-text mail with links and quoted text, a Do-Not-Forward mail, a conversation of six), signs in with
the code from the outbox and visits each screen in Debian's Chromium.
Usage: .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402

from support.browser import outbox_code  # noqa: E402
from support.live_server import live_server  # noqa: E402
from support.phone_samples import READER, make_samples  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PWA_ICONS = ROOT / "pwa" / "icons"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
LOOKS = [((390, 844), "light", OUT), ((390, 844), "dark", OUT)] + [
    ((w, h), "light", OUT / f"{w}x{h}") for w, h in ((360, 640), (820, 1180), (844, 390))]


def wait_for_message(page: Any, message_id: str) -> None:
    page.goto(f"/m/{message_id}")
    page.wait_for_selector(f"[data-testid=message][data-id='{message_id}']")
    if page.query_selector("[data-testid=message-frame-box]"):
        page.wait_for_selector("[data-testid=message-frame-box].fitted")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with live_server(tmp / "data") as server, sync_playwright() as playwright:
            samples = make_samples(server, tmp)
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            state: Any = None  # signed in once (codes are rate-limited per address), then the session reused
            for (width, height), scheme, folder in LOOKS:
                folder.mkdir(parents=True, exist_ok=True)
                context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=2,
                                              is_mobile=width < 800, has_touch=True, base_url=server.url,
                                              color_scheme=scheme, storage_state=state)
                page = context.new_page()

                def shot(name: str, page: Any = page, scheme: str = scheme, folder: Path = folder) -> None:
                    page.wait_for_timeout(400)
                    page.screenshot(path=str(folder / f"{name}-{scheme}.png"))

                if state is None:
                    page.goto("/sign-in")
                    page.wait_for_selector("#email")
                    shot("1-sign-in")
                    page.fill("#email", READER)
                    page.click("[data-testid=send-code]")
                    page.wait_for_selector("[data-testid=reference]")
                    shot("2-code")
                    page.fill("#code", outbox_code(server.data, READER))
                    page.wait_for_selector("[data-testid=inbox-item]")
                    state = context.storage_state()
                else:
                    page.goto("/")
                    page.wait_for_selector("[data-testid=inbox-item]")
                shot("3-inbox")
                wait_for_message(page, samples.newsletter)
                shot("4-message")
                wait_for_message(page, samples.do_not_forward)
                shot("5-do-not-forward")
                wait_for_message(page, samples.text)
                page.click("[data-testid=rights-chip] summary")
                page.click("[data-testid=recipients] summary")
                shot("4-message-text")
                page.click("[data-testid=attachment]")
                page.wait_for_selector("[data-testid=attachment-image]")
                page.wait_for_function("() => document.querySelector('[data-testid=attachment-image]').complete")
                shot("9-attachment")
                wait_for_message(page, samples.thread[-1])
                page.wait_for_selector("[data-testid=thread]")
                shot("4-conversation")
                page.goto("/m/" + "a" * 26)
                page.wait_for_selector("[data-testid=error-screen]")
                shot("6-error")
                page.goto("/settings")
                page.wait_for_selector("[data-testid=settings]")
                shot("7-settings")
                page.goto("/install")
                page.wait_for_selector("[data-testid=install]")
                shot("8-install")
                page.goto(f"/m/{samples.text}/reply")
                page.wait_for_selector("[data-testid=composer]")
                shot("composer")
                context.close()
            browser.close()
    # The manifest's screenshots (Android's richer install sheet): a phone upright and on its side.
    shutil.copyfile(OUT / "4-message-light.png", PWA_ICONS / "screenshot-narrow.png")
    shutil.copyfile(OUT / "844x390" / "4-message-light.png", PWA_ICONS / "screenshot-wide.png")
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
