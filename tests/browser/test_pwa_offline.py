"""Offline reading in real Chromium (docs/offline.md): read two messages with it on, go offline, reload:
the inbox and both messages show, attachments open; Do-Not-Forward is not kept; a message revoked while
offline is gone at the next contact; a device signed out elsewhere loses its store; and the browser's
IndexedDB files on disk hold no plaintext."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from support.browser import seal, sign_in
from support.live_server import LiveServer
from support.mailseal_app import simple_mail

ADDRESS = "olive@gmail.com"
HTML_SECRET = "Platypus-7431 budget lines"
FILE_SECRET = "Wombat-8812 attachment figures"
TEXT_SECRET = "Quokka-9920 plain words"
DNF_SECRET = "Numbat-5510 not to be kept"
SUBJECTS = ("Platypus report", "Quokka note", "Numbat memo", "Echidna minutes")
REPLY = "Thanks, read it on the train."

OPEN = "await new Promise((ok) => { const r = indexedDB.open('mailseal-offline'); r.onsuccess = () => ok(r.result); })"
ASK = "(request) => new Promise((ok) => { request.onsuccess = () => ok(request.result); })"
IDB_LIST = f"""async () => {{
  const db = {OPEN};
  const all = await ({ASK})(db.transaction('records').objectStore('records').getAll());
  db.close();
  return all.map((r) => ({{ url: r.url, messageId: r.messageId ?? null, kind: r.kind }}));
}}"""
IDB_SET = f"""async ([url, field, value]) => {{
  const db = {OPEN};
  const tx = db.transaction('records', 'readwrite');
  const store = tx.objectStore('records');
  const record = await ({ASK})(store.get(url));
  record[field] = value;
  store.put(record);
  await new Promise((ok) => {{ tx.oncomplete = ok; }});
  db.close();
}}"""
HAS_STORE = "async () => (await indexedDB.databases()).some((d) => d.name === 'mailseal-offline')"


def mail(subject: str, *, text: str, html: str | None = None, attachment: tuple[str, str, bytes] | None = None,
         number: int) -> bytes:
    raw = simple_mail(subject=subject, body=text, html=html, attachment=attachment, to=ADDRESS)
    return raw.replace(b"<original-1@example.org>", f"<offline-{number}@example.org>".encode())


def idb_bytes(profile: Path) -> bytes:
    folders = list((profile / "Default" / "IndexedDB").glob("http_127.0.0.1_*"))
    assert folders, "the profile has an IndexedDB folder for the app"
    return b"".join(p.read_bytes() for folder in folders for p in folder.rglob("*") if p.is_file())


def mails_to(server: LiveServer, address: str) -> list[Path]:
    folder = server.data / "outbox" / "new"
    return [p for p in folder.iterdir() if f"To: {address}".encode() in p.read_bytes()]


def contains(data: bytes, text: str) -> bool:
    return text.encode() in data or text.encode("utf-16-le") in data


def shot(page: Any, name: str) -> None:
    """With MAILSEAL_SHOTS_DIR set, a screenshot there, light and dark (docs/screenshots/offline-*.png)."""
    folder = os.environ.get("MAILSEAL_SHOTS_DIR")
    if folder:
        for scheme in ("dark", "light"):
            page.emulate_media(color_scheme=scheme)
            page.wait_for_timeout(200)
            page.screenshot(path=str(Path(folder) / f"{name}-{scheme}.png"))


def test_offline_reading(
    persistent_context: tuple[Any, Path], browser: Any, server: LiveServer, tmp_path: Path
) -> None:
    context, profile = persistent_context
    html_id, _ = seal(server, mail(SUBJECTS[0], text="see the HTML", html=f"<p>{HTML_SECRET}</p>",
                                   attachment=("figures.txt", "text/plain", FILE_SECRET.encode()), number=1),
                      tmp_path, to=ADDRESS)
    text_id, _ = seal(server, mail(SUBJECTS[1], text=TEXT_SECRET, number=2), tmp_path, to=ADDRESS)
    dnf_id, _ = seal(server, mail(SUBJECTS[2], text=DNF_SECRET, number=3), tmp_path, to=ADDRESS,
                     template="do-not-forward")
    expiring_id, _ = seal(server, mail(SUBJECTS[3], text="until the end of the year", number=4), tmp_path, to=ADDRESS,
                          expires_days=30)
    page = context.pages[0] if context.pages else context.new_page()
    sign_in(page, server, ADDRESS)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    page.goto("/settings")
    page.click("[data-testid=offline-switch]")
    state = "document.querySelector('[data-testid=offline-state]').textContent"
    page.wait_for_function(f"() => {state}.includes('Nothing')")
    page.eval_on_selector("[data-testid=offline-settings]", "card => card.scrollIntoView({block: 'center'})")
    shot(page, "offline-settings")

    for message_id in (html_id, text_id, expiring_id):  # read online: each is kept, and says so
        page.goto(f"/m/{message_id}")
        screen = f"[data-testid=message][data-id='{message_id}']"
        page.wait_for_selector(f"{screen} [data-testid=offline-mark]", timeout=15000)
    page.goto(f"/m/{dnf_id}")
    page.wait_for_selector(f"[data-testid=message][data-id='{dnf_id}']")
    page.goto("/")
    page.wait_for_selector("[data-testid=kept-tag]")
    page.wait_for_timeout(500)  # the Do-Not-Forward message had its chance to be (wrongly) kept
    records = page.evaluate(IDB_LIST)
    kept_ids = {r["messageId"] for r in records if r["kind"] == "view"}
    assert kept_ids == {html_id, text_id, expiring_id}, "Do-Not-Forward is never kept"
    urls = sorted(r["url"].removeprefix(f"/api/messages/{html_id}") for r in records if r["messageId"] == html_id)
    assert len(urls) == 5 and urls[1].startswith("/attachments/")
    assert [urls[0], *urls[2:]] == ["", "/body", "/reply-recipients", "/reply-recipients?all=1"]
    assert any(r["url"] == "/api/messages" for r in records)

    # The store's bytes on disk: the ids are there in the clear (so these are the right files), the text is not.
    page.wait_for_timeout(300)
    stored = idb_bytes(profile)
    assert contains(stored, html_id) and contains(stored, text_id)
    for secret in (HTML_SECRET, FILE_SECRET, TEXT_SECRET, SUBJECTS[0], SUBJECTS[1], "Platypus", "Quokka"):
        assert not contains(stored, secret), f"plaintext {secret!r} in the IndexedDB files"

    context.set_offline(True)
    page.reload()
    page.wait_for_selector("[data-testid=offline-inbox-mark]")
    assert page.is_visible("[data-testid=offline-banner]")
    subjects = page.inner_text("[data-testid=inbox-list]")
    assert SUBJECTS[0] in subjects and SUBJECTS[1] in subjects
    tagged = page.eval_on_selector_all("[data-testid=inbox-item]:has([data-testid=kept-tag])",
                                       "items => items.map((item) => item.dataset.id)")
    assert set(tagged) == {html_id, text_id, expiring_id}
    shot(page, "offline-inbox")

    page.goto(f"/m/{html_id}")
    page.wait_for_selector(f"[data-testid=message][data-id='{html_id}']")
    assert "Offline copy, kept on this phone" in page.inner_text("[data-testid=offline-mark]")
    frame = page.wait_for_selector("iframe[data-testid=message-body]").content_frame()
    frame.wait_for_selector("p")
    assert HTML_SECRET in frame.inner_text("p")
    shot(page, "offline-message")
    page.click("[data-testid=attachment]")
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=attachment-text]')?.textContent.includes({FILE_SECRET!r})")

    page.goto(f"/m/{text_id}")
    page.wait_for_selector(f"[data-testid=message][data-id='{text_id}']")
    assert TEXT_SECRET in page.inner_text("[data-testid=message]")
    page.goto(f"/m/{dnf_id}")
    page.wait_for_selector("[data-testid=error-screen][data-code=network]")

    # A reply written offline waits as a draft (text only), and is sealed when back online, once confirmed.
    page.goto(f"/m/{text_id}/reply")
    page.fill("[data-testid=reply-body]", REPLY)
    page.click("[data-testid=send]")
    page.wait_for_selector("[data-testid=composer-error]:has-text('sealed and sent when you are back online')")
    replies_before = mails_to(server, "alice@example.org")

    # Not confirmed by the server for longer than offline_confirm_days (7): it does not open until online.
    eight_days_ago = int((time.time() - 8 * 86400) * 1000)  # the page's clock is this machine's
    page.evaluate(IDB_SET, [f"/api/messages/{text_id}", "confirmedAt", eight_days_ago])
    page.goto(f"/m/{text_id}")
    page.wait_for_selector("[data-testid=error-screen][data-code='offline.unconfirmed']")
    assert "Connect to read this message" in page.inner_text("[data-testid=error-screen]")

    # Expired by the device's clock: not shown, and deleted from the device.
    page.evaluate(IDB_SET, [f"/api/messages/{expiring_id}", "expiresAt", 1_700_000_000])
    page.goto(f"/m/{expiring_id}")
    page.wait_for_selector("[data-testid=error-screen][data-code='policy.expired']")
    assert not any(r["messageId"] == expiring_id for r in page.evaluate(IDB_LIST))

    # Revoked while this device is offline: at the next contact it is deleted here, and says it was revoked.
    subprocess.run([sys.executable, "-m", "mailseal", "revoke", html_id], env=server.env, check=True,
                   capture_output=True)
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    context.set_offline(False)
    page.wait_for_function(f"""async () => !(await ({IDB_LIST})()).some((r) => r.messageId === {html_id!r})""")
    page.wait_for_function(f"() => localStorage.getItem('mailseal-draft:{text_id}') === null")
    assert asked and REPLY in asked[0], asked
    assert len(mails_to(server, "alice@example.org")) == len(replies_before) + 1, "the waiting reply was sent"
    page.goto(f"/m/{html_id}")
    page.wait_for_selector("[data-testid=error-screen][data-code='policy.revoked']")
    views = {r["messageId"] for r in page.evaluate(IDB_LIST) if r["kind"] == "view"}
    assert views == {text_id}, "the confirmation at this contact also renewed the aged copy"

    # Signed out from another device: at its next contact this one loses the store and its key.
    other = browser.new_context(base_url=server.url)
    try:
        other_page = other.new_page()
        sign_in(other_page, server, ADDRESS)
        other_page.goto("/settings")
        other_page.click("[data-testid=sign-out-device]")  # the only other device: the phone
        other_page.wait_for_selector("[data-testid=sign-out-device]", state="detached")
    finally:
        other.close()
    assert page.evaluate(HAS_STORE)
    page.goto("/")
    page.wait_for_selector("#email")  # the sign-in screen
    page.wait_for_function(f"async () => !(await ({HAS_STORE})())")
    assert page.evaluate("localStorage.getItem('mailseal.offline')") is None
