"""The PWA in real Chromium at a phone's size: sign in, open by link, picker and share target, read,
download, offline, installability."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mailseal.composition import open_instance
from mailseal.config import load_settings
from mailseal.errors import InvalidCode
from mailseal.identity import IdentityService
from support.browser import outbox_code, seal, sign_in
from support.live_server import LiveServer
from support.mailseal_app import simple_mail

HTML = '<p style="color:#b91c1c">Hello <b>Bob</b></p><p><a href="https://example.com/x">a link</a></p>'


def test_sign_in_and_read_by_link(context: Any, server: LiveServer, tmp_path: Path) -> None:
    raw = simple_mail(html=HTML, attachment=("numbers.csv", "text/csv", b"a,b\n1,2\n"))
    message_id, _ = seal(server, raw, tmp_path)
    page = context.new_page()
    sign_in(page, server, "bob@gmail.com")
    page.goto(f"/m/{message_id}")
    page.wait_for_selector(f"[data-testid=message][data-id='{message_id}']")
    assert page.inner_text("[data-testid=message-subject]") == "Quarterly numbers"
    frame_element = page.wait_for_selector("iframe[data-testid=message-body]")
    sandbox = frame_element.get_attribute("sandbox") or ""
    assert "allow-scripts" not in sandbox, "the mail's frame never runs script (same origin only to be measured)"
    frame = frame_element.content_frame()
    frame.wait_for_selector("b")
    assert frame.inner_text("b") == "Bob"
    colour = frame.eval_on_selector("p", "p => getComputedStyle(p).color")
    assert colour == "rgb(185, 28, 28)", "the mail's own inline styles survive under the body's CSP"
    page.click("[data-testid=attachment]")  # opens inside the app, with Download where saving is allowed
    page.wait_for_selector("[data-testid=attachment-viewer]")
    page.wait_for_function("() => document.querySelector('[data-testid=attachment-text]').textContent.includes('1,2')")
    assert page.text_content("[data-testid=attachment-text]") == "a,b\n1,2\n"
    assert page.get_attribute("[data-testid=back]", "href") == f"/m/{message_id}"
    with page.expect_download() as download_info:
        page.click("[data-testid=attachment-download]")
    download = download_info.value
    assert Path(download.path()).read_bytes() == b"a,b\n1,2\n"
    assert download.suggested_filename == "numbers.csv"


def test_link_before_sign_in_returns_to_the_message(context: Any, server: LiveServer, tmp_path: Path) -> None:
    message_id, _ = seal(server, simple_mail(subject="After sign-in"), tmp_path, to="dora@gmail.com")
    page = context.new_page()
    page.goto(f"/m/{message_id}")
    page.wait_for_selector("#email")
    page.fill("#email", "dora@gmail.com")
    page.click("[data-testid=send-code]")
    page.wait_for_selector("[data-testid=reference]")
    page.fill("#code", outbox_code(server.data, "dora@gmail.com"))
    page.wait_for_selector(f"[data-testid=message][data-id='{message_id}']")
    assert page.inner_text("[data-testid=message-subject]") == "After sign-in"


async def _guard(server: LiveServer, address: str) -> None:
    """Twenty wrong guesses at `address` from twenty other clients, on the live server's own database."""
    instance = await open_instance(load_settings(server.env), create_keys=False)
    try:
        async def no_mail(*_: object) -> None:
            return None

        identity = IdentityService(instance.store, secret=instance.secret, send_passcode=no_mail)
        for i in range(20):
            try:
                await identity.verify_code(address, "12345678", client=f"203.0.113.{i}", session_id=None,
                                           device_name="x")
            except InvalidCode:
                pass
    finally:
        await instance.close()


def test_sign_in_with_a_long_code(context: Any, server: LiveServer) -> None:
    """An address under attack gets 16-digit codes: the screen says so, eight digits do not submit,
    and the sixteen from the mail do."""
    with ThreadPoolExecutor(1) as other_thread:  # Playwright's own loop runs in this one
        other_thread.submit(asyncio.run, _guard(server, "erin@gmail.com")).result()
    page = context.new_page()
    page.goto("/sign-in")
    page.fill("#email", "erin@gmail.com")
    page.click("[data-testid=send-code]")
    page.wait_for_selector("[data-testid=reference]")
    assert page.inner_text("[data-testid=code-label]") == "Code from the mail (16 digits)"
    assert page.get_attribute("#code", "pattern") == "[0-9]{16}"
    code = outbox_code(server.data, "erin@gmail.com")
    assert len(code) == 16
    page.fill("#code", code[:15])
    assert page.eval_on_selector("#code", "i => i.scrollWidth <= i.clientWidth"), "every digit typed is in view"
    page.fill("#code", code[:8])
    page.wait_for_timeout(300)
    assert page.is_visible("[data-testid=verify]") and not page.is_visible("[data-testid=code-error]")
    assert page.input_value("#code") == code[:8], "eight digits are not a whole code here: nothing was sent"
    page.fill("#code", " ".join(code[i:i + 4] for i in range(0, 16, 4)))
    page.wait_for_selector("[data-testid=inbox]")


def test_open_with_the_file_picker(context: Any, server: LiveServer, tmp_path: Path) -> None:
    message_id, html_file = seal(server, simple_mail(subject="Picked"), tmp_path, to="erin@gmail.com")
    page = context.new_page()
    sign_in(page, server, "erin@gmail.com")
    page.set_input_files("#file-picker", str(html_file))
    page.wait_for_selector(f"[data-testid=message][data-id='{message_id}']")
    assert page.inner_text("[data-testid=message-subject]") == "Picked"


def test_share_target_post(context: Any, server: LiveServer, tmp_path: Path) -> None:
    message_id, html_file = seal(server, simple_mail(subject="Shared"), tmp_path, to="fred@gmail.com")
    page = context.new_page()
    sign_in(page, server, "fred@gmail.com")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    payload = json.dumps(html_file.read_text())
    page.evaluate(
        """async (text) => {
            const form = document.createElement('form');
            form.method = 'POST'; form.action = '/share-target'; form.enctype = 'multipart/form-data';
            const input = document.createElement('input'); input.type = 'file'; input.name = 'file';
            const dt = new DataTransfer();
            dt.items.add(new File([text], 'message.html', {type: 'text/html'}));
            input.files = dt.files; form.appendChild(input); document.body.appendChild(form); form.submit();
        }""",
        json.loads(payload),
    )
    page.wait_for_selector(f"[data-testid=message][data-id='{message_id}']", timeout=20000)
    assert page.inner_text("[data-testid=message-subject]") == "Shared"


def test_offline_shell(context: Any, server: LiveServer, tmp_path: Path) -> None:
    page = context.new_page()
    sign_in(page, server, "gina@gmail.com")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    try:
        page.goto("/inbox")
        page.wait_for_selector("[data-testid=offline-banner]:not([hidden])")
        assert page.title() != ""
        # The words came from the catalogue the worker keeps: the app starts offline in its language.
        english = json.loads((Path(__file__).parents[2] / "pwa" / "locales" / "en.json").read_text(encoding="utf-8"))
        assert page.inner_text("[data-testid=offline-banner]") == english["app.offline"]
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["en", "ltr"]
    finally:
        context.set_offline(False)


def test_manifest_and_service_worker_are_installable(context: Any, server: LiveServer) -> None:
    page = context.new_page()
    response = page.goto("/manifest.json")
    assert response is not None and response.ok
    manifest = response.json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/" and manifest["id"]
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any("maskable" in icon.get("purpose", "") for icon in manifest["icons"])
    assert manifest["share_target"]["method"] == "POST"
    for icon in manifest["icons"]:
        assert page.request.get(icon["src"]).ok, icon["src"]
    page.goto("/")
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == server.url + "/"
    cdp = context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are incognito profiles, where Chromium never offers installation.
    assert [e for e in errors if e["errorId"] != "in-incognito"] == [], errors
