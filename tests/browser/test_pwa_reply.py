"""Replying from a phone: the composer at 390x844 in Chromium, with an attachment, a draft, and the thread."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from typing import Any

import pytest

from support.browser import seal, sign_in
from support.live_server import LiveServer
from support.mailseal_app import simple_mail
from support.secrets import remember

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
REPLY = "Numbers attached; the totals match."
remember(REPLY)


def wrapper_mails_to(data: Path, address: str) -> list[tuple[list[str], email.message.EmailMessage]]:
    found = []
    for path in sorted((data / "outbox" / "new").iterdir()):
        raw = path.read_bytes()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        envelope_to = [line.split(b":", 1)[1].strip().decode() for line in head
                       if line.startswith(b"X-Mailseal-Envelope-To:")]
        if message.get("X-Mailseal") == "wrapper; v=1" and address in envelope_to:
            found.append((envelope_to, message))  # type: ignore[arg-type]
    return found


def test_reply_with_an_attachment_from_the_phone(context: Any, server: LiveServer, tmp_path: Path) -> None:
    message_id, _ = seal(server, simple_mail(subject="Budget 2027"), tmp_path, to="bob@gmail.com")
    page = context.new_page()
    assert page.viewport_size == {"width": 390, "height": 844}
    sign_in(page, server, "bob@gmail.com")
    page.goto(f"/m/{message_id}")
    page.wait_for_selector(f"[data-testid=message][data-id='{message_id}']")
    assert page.locator("[data-testid=reply-all]").count() == 0, "nobody else to reply to"
    assert page.locator("[data-testid=forward]").count() == 1, "Encrypt-Only allows forwarding"
    page.click("[data-testid=reply]")
    page.wait_for_selector("[data-testid=composer][data-mode=reply]")
    assert page.url.endswith(f"/m/{message_id}/reply")
    assert page.locator("[data-testid=recipient]").all_inner_texts() == ["alice@example.org"]
    assert page.inner_text("[data-testid=composer-subject]") == "Re: Budget 2027"
    assert page.evaluate("document.activeElement.id") == "reply-body", "the keyboard can come up at once"

    page.fill("#reply-body", REPLY)
    page.wait_for_selector("[data-testid=draft-status]:has-text('saved')")
    page.reload()
    page.wait_for_selector("[data-testid=composer]")
    assert page.input_value("#reply-body") == REPLY
    assert "restored" in page.inner_text("[data-testid=draft-status]")
    stored = page.evaluate("Object.keys(localStorage).map(k => [k, localStorage.getItem(k)])")
    drafts = [(k, v) for k, v in stored if k.startswith("mailseal-draft:")]
    assert [k for k, _ in drafts] == [f"mailseal-draft:{message_id}"]
    assert "Budget" not in drafts[0][1], "the draft holds what was typed, nothing decrypted"

    page.set_input_files("#reply-files", files=[
        {"name": "totals.csv", "mimeType": "text/csv", "buffer": b"year,total\n2027,1200\n" * 20000}])
    assert page.locator("[data-testid=composer-file]").all_inner_texts()[0].startswith("totals.csv")
    send = page.locator("[data-testid=send]")
    box = send.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844, "the send button is on screen"
    cdp = context.new_cdp_session(page)  # a slow upload, as on a phone, so the progress can be seen
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 300 * 1024})
    send.click()
    page.wait_for_selector(r"[data-testid=upload-progress]:not([hidden]) >> text=/Uploading [0-9]+%/")
    assert page.locator("[data-testid=send]").is_disabled(), "one send at a time"
    page.wait_for_selector("[data-testid=sent]")
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    assert page.inner_text("h1") == "Sealed and sent"
    assert page.inner_text("[data-testid=sent-to]") == "alice@example.org"
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('mailseal-draft:'))") == []

    (envelope_to, wrapper), = wrapper_mails_to(server.data, "alice@example.org")
    assert envelope_to == ["alice@example.org"]
    assert [a.addr_spec for a in wrapper["To"].addresses] == ["alice@example.org"]
    assert [part.get_filename() for part in wrapper.iter_attachments()] == ["message.html"]
    assert REPLY.encode() not in wrapper.as_bytes()

    page.click("[data-testid=back-to-message]")
    page.wait_for_selector("[data-testid=thread]:not([hidden])")
    items = page.locator("[data-testid=thread-item]")
    assert items.count() == 2
    assert items.nth(0).get_attribute("data-id") == message_id
    assert items.nth(0).get_attribute("aria-current") == "page"
    assert items.nth(1).get_attribute("aria-current") is None
    items.nth(1).locator("[data-testid=thread-toggle]").click()  # the reply opens in place, in the conversation
    reply_part = items.nth(1).locator("[data-testid=message-part]")
    reply_part.wait_for()
    assert reply_part.locator("div[data-testid=message-body]").inner_text().strip() == REPLY
    assert reply_part.locator("[data-testid=attachment]").count() == 1


def test_forward_only_where_allowed(context: Any, server: LiveServer, tmp_path: Path) -> None:
    message_id, _ = seal(server, simple_mail(subject="Eyes only"), tmp_path, to="gus@gmail.com",
                         template="do-not-forward")
    page = context.new_page()
    sign_in(page, server, "gus@gmail.com")
    page.goto(f"/m/{message_id}")
    page.wait_for_selector("[data-testid=message-actions]")
    assert page.locator("[data-testid=forward]").count() == 0
    page.goto(f"/m/{message_id}/forward")
    page.wait_for_selector("[data-testid=error-screen][data-code='policy.right-not-granted']")

    open_id, _ = seal(server, simple_mail(subject="For the team"), tmp_path, to="gus@gmail.com")
    page.goto(f"/m/{open_id}")
    page.click("[data-testid=forward]")
    page.wait_for_selector("[data-testid=composer][data-mode=forward]")
    assert page.evaluate("document.activeElement.id") == "forward-to"
    page.fill("#forward-to", "not an address")
    page.click("[data-testid=send]")
    page.wait_for_selector("[data-testid=composer-error]:has-text('does not look right')")
    page.fill("#forward-to", "ivy@gmail.com")
    page.fill("#reply-body", "Ivy, for you.")
    page.click("[data-testid=send]")
    page.wait_for_selector("[data-testid=sent]")
    assert page.inner_text("[data-testid=sent-to]") == "ivy@gmail.com"
    assert wrapper_mails_to(server.data, "ivy@gmail.com")


def test_composer_and_conversation_are_accessible(browser: Any, server: LiveServer, tmp_path: Path) -> None:
    axe = pytest.importorskip("axe_playwright_python")
    axe_js = (Path(axe.__file__).parent / "axe.min.js").read_text()

    def violations(page: Any) -> list[str]:
        page.add_script_tag(content=axe_js)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}" for v in result["violations"]
                if v["impact"] in ("serious", "critical")]

    message_id, _ = seal(server, simple_mail(subject="Checks"), tmp_path, to="hana@gmail.com")
    # bypass_csp only so that axe itself can be injected; the app runs as it always does.
    context = browser.new_context(**PHONE, base_url=server.url, bypass_csp=True)
    try:
        page = context.new_page()
        sign_in(page, server, "hana@gmail.com")
        found: dict[str, list[str]] = {}
        page.goto(f"/m/{message_id}/reply")
        page.wait_for_selector("[data-testid=composer]")
        page.fill("#reply-body", "Looks fine.")
        page.set_input_files("#reply-files", files=[{"name": "a.txt", "mimeType": "text/plain", "buffer": b"a"}])
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            found[f"composer-{scheme}"] = violations(page)
        page.click("[data-testid=send]")
        page.wait_for_selector("[data-testid=sent]")
        found["sent"] = violations(page)
        page.click("[data-testid=back-to-message]")
        page.wait_for_selector("[data-testid=thread]:not([hidden])")
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            found[f"conversation-{scheme}"] = violations(page)
        assert {screen: v for screen, v in found.items() if v} == {}
    finally:
        context.close()
