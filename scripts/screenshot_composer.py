"""Picture the reply composer at phone size, light and dark: docs/screenshots/composer-{light,dark}.png.

Runs a real `mailseal serve --dev` on loopback with a temporary data folder, seals a sample message for
two recipients, signs one of them in with the passcode from the Maildir outbox, and opens "Reply to all"
with some text and an attachment, exactly as a person would.

    .venv/bin/python scripts/screenshot_composer.py [OUTPUT_FOLDER]
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
VIEWPORT = {"width": 390, "height": 844}
READER = "bob@partner.example"
SAMPLE = (
    b"From: Alice Martin <alice@contoso.example>\r\nTo: bob@partner.example, carol@supplier.example\r\n"
    b"Subject: Q3 board pack\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\n"
    b"Message-ID: <sample@contoso.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Bob, Carol: the board pack is ready. Please check the numbers before Friday.\r\n"
)
REPLY = "Thanks Alice. The totals match our books; my notes are in the attached sheet.\n\nBob"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("mailseal serve exited")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("mailseal serve did not start")


def passcode(data: Path, address: str) -> str:
    for path in sorted((data / "outbox" / "new").iterdir(), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in str(message.get("To", "")):
            body = message.get_body(preferencelist=("plain",))
            found = re.search(r"\b(\d{8})\b", body.get_content() if body else "")
            if found:
                return found.group(1)
    raise RuntimeError(f"no passcode mail to {address}")


def open_composer(page: Page, data: Path, message_id: str, folder: Path) -> None:
    page.goto("/sign-in")
    page.fill("#email", READER)
    page.click("[data-testid=send-code]")
    page.wait_for_selector("[data-testid=reference]")
    page.fill("#code", passcode(data, READER))
    page.wait_for_selector("[data-testid=inbox]")
    page.goto(f"/m/{message_id}/reply?all=1")
    page.wait_for_selector("[data-testid=composer]")
    page.fill("#reply-body", REPLY)
    sheet = folder / "board-pack-notes.xlsx"
    sheet.write_bytes(b"PK" + b"\0" * 48_000)
    page.set_input_files("#reply-files", str(sheet))
    page.locator("#reply-body").blur()
    page.wait_for_selector("[data-testid=draft-status]:has-text('saved')")


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        data = folder / "data"
        port = free_port()
        env = {**os.environ, "MAILSEAL_DATA": str(data), "MAILSEAL_PORT": str(port),
               "MAILSEAL_PUBLIC_URL": f"http://127.0.0.1:{port}", "MAILSEAL_RELAY_PORT": str(free_port()),
               "MAILSEAL_INBOUND_PORT": str(free_port()), "MAILSEAL_LOG_LEVEL": "WARNING",
               "MAILSEAL_ORG_NAME": "Contoso"}
        source = folder / "sample.eml"
        source.write_bytes(SAMPLE)
        data.mkdir()
        sealed = subprocess.run(
            [sys.executable, "-m", "mailseal", "--data", str(data), "protect", str(source), "--from",
             "alice@contoso.example", "--to", READER, "--to", "carol@supplier.example", "--template",
             "do-not-forward", "-o", str(folder / "message.html")],
            capture_output=True, text=True, check=True, env=env,
        )
        message_id = sealed.stdout.strip()
        server = subprocess.Popen([sys.executable, "-m", "mailseal", "serve", "--dev"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(f"http://127.0.0.1:{port}", server)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    for scheme in ("light", "dark"):
                        context = browser.new_context(
                            viewport=VIEWPORT, device_scale_factor=2, is_mobile=True, has_touch=True,
                            color_scheme=scheme, base_url=f"http://127.0.0.1:{port}", service_workers="block",
                        )
                        page = context.new_page()
                        open_composer(page, data, message_id, folder)
                        page.evaluate("window.scrollTo(0, 0)")
                        target = out / f"composer-{scheme}.png"
                        page.screenshot(path=str(target))
                        print(f"wrote {target}")
                        context.close()
                finally:
                    browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
