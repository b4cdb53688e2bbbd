"""Render the wrapper mail's HTML part in Chromium at phone width: docs/wrapper-mail.png.

The wrapper is made by the real outgoing flow (a rule seals a sample mail, the wrapper lands in a
Maildir outbox in a temporary data folder), so the picture shows exactly what recipients get.

    .venv/bin/python scripts/screenshot_wrapper.py [OUTPUT.png] [--languages ar,en]

`--languages` gives the template a language, or two for a bilingual wrapper (docs/wrapper-mail-ar-en.png).
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from mailseal.composition import open_instance
from mailseal.config import Settings
from mailseal.mail.outbox import MaildirOutbox
from mailseal.mail.relay import Submission
from mailseal.messages.outgoing import OutgoingFlow, OutgoingSettings
from mailseal.rules import RulesFile

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 390
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]

RULES = """
version = 1

[[rule]]
name = "Confidential subject"
priority = 10
conditions = { subject_contains = ["[confidential]"] }
action = { seal = "confidential" }

[templates.confidential]
rights = ["view", "reply", "reply-all"]
expires_days = 30
colour = "#0b5394"
intro = "Contoso protects mail that carries confidential information. Open it to read it securely."
disclaimer = "This message is confidential and meant only for its recipients. Contoso Ltd, 1 Harbour Street."
show_subject = true
{languages}"""

SAMPLE = (
    b"From: Alice Martin <alice@contoso.example>\r\nTo: bob@partner.example\r\n"
    b"Subject: [confidential] Q3 board pack\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\n"
    b"Message-ID: <sample@contoso.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Bob, the board pack is attached.\r\n"
)


async def wrapper_html(folder: Path, languages: list[str]) -> str:
    settings = Settings(
        data=str(folder), public_url="https://mail.contoso.example", org_name="Contoso",
        org_domains=("contoso.example",), mail_from="no-reply@contoso.example", inbound_domain="in.contoso.example",
    )
    instance = await open_instance(settings)
    try:
        chosen = f"languages = {languages!r}\n".replace("'", '"') if languages else ""
        instance.folder.rules.write_text(RULES.replace("{languages}", chosen), encoding="utf-8")
        outbox = MaildirOutbox(instance.folder.outbox)
        flow = OutgoingFlow(instance.messages, RulesFile(instance.folder.rules), outbox, OutgoingSettings.of(settings))
        result = await flow.submit(Submission(
            mail_from="alice@contoso.example", recipients=("bob@partner.example",), data=SAMPLE, trace=b"",
            client="127.0.0.1",
        ))
        assert result.sealed, "the sample mail was not sealed"
        (entry,) = outbox.list()
        mail = email.message_from_bytes(outbox.read_mail(entry.key).message, policy=email.policy.default)
        assert isinstance(mail, email.message.EmailMessage)
        html = mail.get_body(preferencelist=("html",))
        assert html is not None
        return str(html.get_content())
    finally:
        await instance.close()


def main(argv: list[str]) -> int:
    languages: list[str] = []
    if "--languages" in argv:
        at = argv.index("--languages")
        languages = argv[at + 1].split(",")
        argv = argv[:at] + argv[at + 2:]
    output = Path(argv[0]) if argv else ROOT / "docs" / "wrapper-mail.png"
    with tempfile.TemporaryDirectory() as folder:
        html = asyncio.run(wrapper_html(Path(folder), languages))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 844}, device_scale_factor=2)
            # The mail's HTML loads nothing remote (no https logo here); block the network all the same.
            page.route("**/*", lambda route: route.abort())
            page.set_content(html, wait_until="load")
            output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(output), full_page=True)
        finally:
            browser.close()
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
