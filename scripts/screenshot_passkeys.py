"""Picture passkeys at phone size (390x844), light and dark: the sign-in screen with its choices, the code
step (when, from whom, the countdown), the passkey offer after the first message read, and Settings'
passkeys: docs/screenshots/passkey-*.png.

Runs a real `mailseal serve --dev` at http://localhost:PORT (WebAuthn refuses IP addresses) and gives
Chromium a virtual platform authenticator (DevTools' WebAuthn domain), as the browser tests do.

    .venv/bin/python scripts/screenshot_passkeys.py [OUTPUT_FOLDER]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402

from support.browser import outbox_code, outbox_names, seal  # noqa: E402
from support.live_server import LiveServer, live_server  # noqa: E402
from support.mailseal_app import simple_mail  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/131.0.0.0 Mobile Safari/537.36"}
READER = "bob@partner.example"
NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"


def authenticator(page: Any) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})


def take(browser: Any, server: LiveServer, out: Path, scheme: str, work: Path) -> None:
    base = f"http://localhost:{server.port}"
    message_id, _ = seal(server, simple_mail(subject="Q3 board pack", to=READER,
                                             body="Bob, the board pack is ready. Please check the numbers."),
                         work, to=READER)
    context = browser.new_context(**PHONE, base_url=base, color_scheme=scheme)
    page = context.new_page()
    page.add_init_script(NO_AUTOFILL)
    authenticator(page)
    page.goto(f"/m/{message_id}#to={READER}")
    page.wait_for_selector("[data-testid=passkey-sign-in]")
    page.wait_for_selector("[data-testid=invitation]:not([hidden])")
    page.screenshot(path=str(out / f"passkey-sign-in-{scheme}.png"))
    before = outbox_names(server.data)
    page.click("[data-testid=send-code]")
    page.wait_for_selector("[data-testid=code-sent-note]:has-text('spam')")
    page.wait_for_selector("[data-testid=resend][data-waiting=true]")
    page.screenshot(path=str(out / f"passkey-code-step-{scheme}.png"))
    page.fill("#code", outbox_code(server.data, READER, after=before))
    page.wait_for_selector("[data-testid=message-body]")
    offer = page.wait_for_selector("[data-testid=passkey-offer]:not([hidden])")
    offer.scroll_into_view_if_needed()
    page.screenshot(path=str(out / f"passkey-offer-{scheme}.png"))
    page.click("[data-testid=passkey-offer-add]")
    page.wait_for_selector("[data-testid=passkey-offer]", state="detached")
    page.goto("/settings")
    section = page.wait_for_selector("[data-testid=passkey-list]")
    section.scroll_into_view_if_needed()
    # The card's heading below the app bar, which stays on top.
    page.evaluate("() => { document.querySelector('[data-testid=passkeys]').scrollIntoView({block: 'start'});"
                  " scrollBy(0, -80); }")
    page.screenshot(path=str(out / f"passkey-settings-{scheme}.png"))
    context.close()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for scheme in ("light", "dark"):
            work = Path(temp) / scheme
            work.mkdir()
            with live_server(work / "data", public_host="localhost") as server:
                take(browser, server, out, scheme, work)
        browser.close()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main()
