"""Real mail in the PWA (docs/display.md), in Chromium at a phone's size: an attached HTML message shown
in place in its own sandboxed frame with its notes and files, and a Microsoft 365 mail picked from the
inbox explained with the link to Microsoft's portal."""

from __future__ import annotations

import email.message
import email.policy
from pathlib import Path
from typing import Any

from support.browser import seal, sign_in
from support.foreign_samples import PORTAL, microsoft_rpmsg
from support.live_server import LiveServer


def forward_of_an_html_mail() -> bytes:
    inner = email.message.EmailMessage(policy=email.policy.SMTP)
    inner["From"], inner["To"], inner["Subject"] = "Carol <carol@example.net>", "alice@example.org", "Site visit"
    inner.set_content("<p>The <b>steel</b> arrives Monday.</p><img src=x onerror=alert(1)>", subtype="html")
    inner.add_attachment(b"%PDF-1.4 plan", maintype="application", subtype="pdf", filename="plan.pdf")
    outer = email.message.EmailMessage(policy=email.policy.SMTP)
    outer["From"], outer["To"], outer["Subject"] = "alice@example.org", "gina@gmail.com", "Fwd: Site visit"
    outer.set_content("See below.")
    outer.add_attachment(inner)
    return outer.as_bytes()


def test_an_attached_message_is_shown_in_place(context: Any, server: LiveServer, tmp_path: Path) -> None:
    message_id, _ = seal(server, forward_of_an_html_mail(), tmp_path, to="gina@gmail.com")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, server, "gina@gmail.com")
    page.goto(f"/m/{message_id}")
    nested = page.wait_for_selector("[data-testid=nested-message]")
    assert page.inner_text("[data-testid=nested-subject]") == "Site visit"
    assert "Carol" in nested.inner_text()
    frame_element = page.wait_for_selector("iframe[data-testid=nested-body]")
    sandbox = frame_element.get_attribute("sandbox") or ""
    # Like the message's own frame (docs/pwa.md): same origin so the app can fit it, and never scripts.
    assert "allow-scripts" not in sandbox
    frame = frame_element.content_frame()
    frame.wait_for_selector("b")
    assert frame.inner_text("b") == "steel"
    files = page.locator("[data-testid=nested-attachments] [data-testid=attachment]")
    assert files.count() == 1 and "plan.pdf" in files.inner_text()
    eml = page.locator("[data-testid=attachments] [data-testid=attachment]")
    assert "Site visit.eml" in eml.inner_text()
    assert dialogs == []


# For each label of the attached message's From/To/Date list and each file row: is the value (the Open
# action) beside its label (the file's name), or below it?
SIDE_BY_SIDE = """() => {
  const box = (el) => el.getBoundingClientRect();
  const labels = [...document.querySelectorAll('[data-testid=nested-message] .message-meta dt')]
    .map((dt) => box(dt.nextElementSibling).left >= box(dt).right);
  const files = [...document.querySelectorAll('[data-testid=attachment]')]
    .map((row) => box(row.querySelector('.attachment-action')).left
      >= box(row.querySelector('.attachment-name')).right);
  return {labels, files};
}"""


def test_an_attached_message_stacks_its_labels_and_files_at_200_percent_text(
        browser: Any, server: LiveServer, tmp_path: Path) -> None:
    """At 360 px and 200 % text a label beside an address leaves a few letters a line ("bob@g / mail.co / m");
    there the label goes above its value and Open below the file's name, and at 100 % they stay side by side."""
    message_id, _ = seal(server, forward_of_an_html_mail(), tmp_path, to="ivan@gmail.com")
    context = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=1, is_mobile=True,
                                  has_touch=True, base_url=server.url)
    try:
        page = context.new_page()
        sign_in(page, server, "ivan@gmail.com")
        page.goto(f"/m/{message_id}")
        page.wait_for_selector("[data-testid=nested-message] [data-testid=attachment]")
        normal = page.evaluate(SIDE_BY_SIDE)
        assert len(normal["labels"]) == 2 and len(normal["files"]) == 2
        assert all(normal["labels"]) and all(normal["files"]), normal
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        page.wait_for_timeout(150)
        large = page.evaluate(SIDE_BY_SIDE)
        assert not any(large["labels"]) and not any(large["files"]), large
        assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0.5
    finally:
        context.close()


def test_a_microsoft_365_mail_gets_its_own_screen(context: Any, server: LiveServer, tmp_path: Path) -> None:
    page = context.new_page()
    sign_in(page, server, "hana@gmail.com")
    sample = tmp_path / "Encrypted.eml"
    sample.write_bytes(microsoft_rpmsg())
    page.set_input_files("#file-picker", str(sample))
    page.wait_for_selector("[data-testid=foreign-mail]")
    assert "Microsoft 365" in page.inner_text("[data-testid=foreign-mail] h1")
    link = page.locator("[data-testid=open-at-microsoft]")
    assert link.get_attribute("href") == PORTAL and link.get_attribute("rel") == "noopener noreferrer"
