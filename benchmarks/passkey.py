"""Sign-in to message text on a phone: with a passkey against with a code, in Chromium under Slow 4G and
4x CPU (the throttling of `benchmarks/phone.py`), from a wrapper link (`/m/<id>`) on a new browser profile.

- passkey: the sign-in screen appears, the passkey button is tapped as soon as it is there (Chromium's
  virtual authenticator answers at once, as a finger on the sensor would), the message text is shown;
- code (the baseline): the address is filled in from the link, "Send me a code" is tapped, and the time
  from the code screen until the code is typed is left out (the mail's delay, and reading it), so the line
  compares the app's own work only: two requests and a screen more than the passkey's.
WebAuthn needs a host name: the server's public_url is http://localhost:PORT here.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.phone import CHROMIUM_ARGS, CPU_SLOWDOWN, SHOWN, SLOW_4G, text_mail
from benchmarks.results import Result, skipped
from benchmarks.server import ROOT, Server, _code_from_outbox, _wait_until_up, free_port, protect_cli, server_env

READER = "bob@gmail.com"
RUNS = 3
LINE = "phone passkey sign-in to text"
LINES = [(LINE, "s")]
NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"


@contextmanager
def localhost_server(data: Path) -> Iterator[tuple[Server, str]]:
    port, inbound_port = free_port(), free_port()
    env = {**server_env(data, port, inbound_port), "MAILSEAL_PUBLIC_URL": f"http://localhost:{port}"}
    with open(data.parent / "server-passkey.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "mailseal", "serve", "--dev"], env=env, stdout=log,
                                   stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            server = Server(data, port, inbound_port, process, "uvicorn")
            _wait_until_up(server)
            yield server, f"http://localhost:{port}"
        finally:
            process.terminate()
            process.wait(timeout=15)


def _context(browser: Any, origin: str, *, throttled: bool) -> tuple[Any, Any, Any, str]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True,
                                  has_touch=True, base_url=origin)
    page = context.new_page()
    page.add_init_script(NO_AUTOFILL)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})["authenticatorId"]
    if throttled:
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    return context, page, cdp, authenticator


def _code_run(browser: Any, origin: str, data: Path, message_id: str) -> float:
    """Seconds of the app's work from the link to the text, the wait for the mail left out."""
    context, page, _, _ = _context(browser, origin, throttled=True)
    try:
        page.goto(f"/m/{message_id}#to={READER}", wait_until="commit")
        page.wait_for_selector("[data-testid=send-code]", timeout=60_000)
        sent_at = time.time()
        page.click("[data-testid=send-code]")
        page.wait_for_selector("[data-testid=reference]", timeout=60_000)
        to_code_screen = page.evaluate("() => performance.now()")
        code = _code_from_outbox(data, READER, sent_at)
        typed = page.evaluate("() => performance.now()")
        page.fill("#code", code)
        shown = page.wait_for_function(SHOWN["text"], polling="raf", timeout=60_000).json_value()
        return float(to_code_screen + (shown - typed)) / 1000
    finally:
        context.close()


def _passkey_run(browser: Any, origin: str, message_id: str,
                 credential: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Seconds from the link to the text with a passkey; the credential as it is after (its counter moved)."""
    context, page, cdp, authenticator = _context(browser, origin, throttled=True)
    try:
        cdp.send("WebAuthn.addCredential", {"authenticatorId": authenticator, "credential": credential})
        page.goto(f"/m/{message_id}#to={READER}", wait_until="commit")
        page.click("[data-testid=passkey-sign-in]", timeout=60_000)
        shown = page.wait_for_function(SHOWN["text"], polling="raf", timeout=60_000).json_value()
        (after,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
        return float(shown) / 1000, after
    finally:
        context.close()


def _register(browser: Any, origin: str, data: Path, message_id: str) -> dict[str, Any]:
    """Sign in by code (unthrottled), take the passkey offer: the passkey as the authenticator holds it."""
    context, page, cdp, authenticator = _context(browser, origin, throttled=False)
    try:
        page.goto(f"/m/{message_id}#to={READER}")
        sent_at = time.time()
        page.click("[data-testid=send-code]")
        page.wait_for_selector("[data-testid=reference]")
        page.fill("#code", _code_from_outbox(data, READER, sent_at))
        page.click("[data-testid=passkey-offer-add]", timeout=30_000)
        page.wait_for_selector("[data-testid=passkey-offer]", state="detached")
        (credential,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
        return dict(credential)
    finally:
        context.close()


def measure(work: Path, data: Path, runs: int = RUNS) -> list[Result]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return skipped(LINES, "Debian's chromium is not installed: passkey sign-in not measured")
    source = work / "passkey-text.eml"
    source.write_bytes(text_mail())
    message_id = protect_cli(data, source, work / "passkey-text.html", sender="alice@example.org", to=READER)
    passkey: list[float] = []
    code: list[float] = []
    with localhost_server(data) as (_, origin), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            credential = _register(browser, origin, data, message_id)
            for _ in range(runs):  # in turn, so a busy machine slows both alike
                seconds, credential = _passkey_run(browser, origin, message_id, credential)
                passkey.append(seconds)
                code.append(_code_run(browser, origin, data, message_id))
        finally:
            browser.close()
    note = (f"medians of {runs}; passkey " + ", ".join(f"{v:.2f}" for v in passkey)
            + "; code " + ", ".join(f"{v:.2f}" for v in code))
    return [Result(LINE, statistics.median(passkey), "s", baseline="code sign-in to text, the mail's delay left out",
                   baseline_value=statistics.median(code), note=note)]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mailseal-passkey-") as tmp:
        for result in measure(Path(tmp), Path(tmp) / "data"):
            print(result.as_json())
