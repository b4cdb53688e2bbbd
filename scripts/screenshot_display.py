"""Screenshots of how real mail is shown (docs/display.md) at 390x844, light, into docs/screenshots/:
a forwarded message nested in the mail that forwards it, an Outlook TNEF (winmail.dat) mail, and the
screen for a mail protected with Microsoft 365.

Runs a real `mailseal serve` like scripts/screenshots.py. Usage: .venv/bin/python scripts/screenshot_display.py
"""

from __future__ import annotations

import email.message
import email.policy
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402

from support.browser import outbox_code, seal  # noqa: E402
from support.corpora import corpora_path  # noqa: E402
from support.foreign_samples import microsoft_rpmsg  # noqa: E402
from support.live_server import live_server  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


def _mail(subject: str, sender: str) -> email.message.EmailMessage:
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"], message["To"], message["Subject"] = sender, "bob@gmail.com", subject
    message["Date"] = "Fri, 27 Nov 2026 09:00:00 +0000"
    return message


def forwarded_mail() -> bytes:
    report = _mail("Site visit report", "Carol Builder <carol@contractor.example>")
    report.set_content("Hi Alice,\n\nThe foundations are done; the steel arrives on Monday.\n\nCarol")
    report.add_alternative("<p>Hi Alice,</p><p>The foundations are <b>done</b>; the steel arrives on Monday.</p>"
                           "<table style='border-collapse:collapse'><tr><th style='border:1px solid #999;padding:4px'>"
                           "Stage</th><th style='border:1px solid #999;padding:4px'>Status</th></tr>"
                           "<tr><td style='border:1px solid #999;padding:4px'>Foundations</td>"
                           "<td style='border:1px solid #999;padding:4px'>done</td></tr></table><p>Carol</p>",
                           subtype="html")
    report.add_attachment(b"%PDF-1.4" * 300, maintype="application", subtype="pdf", filename="site-visit.pdf")
    top = _mail("Fwd: Site visit report", "Alice Example <alice@example.org>")
    top.set_content("Bob, see Carol's report below. The schedule holds.\n\nAlice")
    top.add_attachment(report)
    return top.as_bytes()


def tnef_mail() -> bytes:
    message = _mail("Price list for March", "Dieter Müller <dieter@example.de>")
    message.set_content("Hello Bob,\n\nplease find the price list and our logo attached.\n\nDieter")
    blob = (corpora_path() / "tnef" / "umlaut.tnef").read_bytes()
    message.add_attachment(blob, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    return message.as_bytes()


def nested_shot(page: Any, message_id: str, path: Path, font_size: str = "") -> None:
    """The message with an attached message, scrolled to the attached one once its frame is fitted."""
    page.goto(f"/m/{message_id}")
    page.wait_for_selector("[data-testid=nested-message] [data-testid=message-frame-box].fitted")
    if font_size:
        page.evaluate(f"document.documentElement.style.fontSize = '{font_size}'")
        page.wait_for_timeout(300)
    # Its top just under the sticky app bar (it is often taller than the screen).
    page.evaluate("""() => {
      const top = document.querySelector('[data-testid=nested-message]').getBoundingClientRect().top;
      scrollTo(0, top + scrollY - document.querySelector('.app-bar').offsetHeight - 8);
    }""")
    page.wait_for_timeout(400)
    page.screenshot(path=str(path))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with live_server(tmp / "data") as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            ids = []
            for number, raw in enumerate((forwarded_mail(), tnef_mail())):
                (tmp / str(number)).mkdir()
                ids.append(seal(server, raw, tmp / str(number))[0])
            context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                          is_mobile=True, has_touch=True, base_url=server.url, color_scheme="light")
            page = context.new_page()
            page.goto("/sign-in")
            page.fill("#email", "bob@gmail.com")
            page.click("[data-testid=send-code]")
            page.wait_for_selector("[data-testid=reference]")
            page.fill("#code", outbox_code(server.data, "bob@gmail.com"))
            page.wait_for_selector("[data-testid=inbox-item]")

            nested_shot(page, ids[0], OUT / "nested-message-light.png")

            page.goto(f"/m/{ids[1]}")
            page.wait_for_selector("[data-testid=attachments]")
            page.locator("[data-testid=part-notes]").scroll_into_view_if_needed()
            page.wait_for_timeout(400)
            page.screenshot(path=str(OUT / "tnef-message-light.png"))

            page.goto("/")
            page.wait_for_selector("[data-testid=inbox-item]")
            sample = tmp / "Encrypted contract.eml"
            sample.write_bytes(microsoft_rpmsg())
            page.set_input_files("#file-picker", str(sample))
            page.wait_for_selector("[data-testid=foreign-mail]")
            page.wait_for_timeout(400)
            page.screenshot(path=str(OUT / "microsoft-mail-light.png"))
            state = context.storage_state()
            context.close()
            # The attached message on a small phone, and at 200 % text (the phone tests' root font size).
            small = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True,
                                        has_touch=True, base_url=server.url, color_scheme="light", storage_state=state)
            page = small.new_page()
            (OUT / "360x640").mkdir(exist_ok=True)
            nested_shot(page, ids[0], OUT / "360x640" / "nested-message-light.png")
            nested_shot(page, ids[0], OUT / "nested-message-200-light.png", font_size="200%")
            browser.close()


if __name__ == "__main__":
    main()
