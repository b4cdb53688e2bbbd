"""The message screen on phones and tablets, as layout facts: the body starts in the top half of a
360x640 screen for every template, nothing scrolls sideways at 100 % and 200 % text (light and dark)
compared with `visualViewport.width`, the 600 px newsletter is scaled to the width and its frame is as
tall as the mail, and a thread of six reads as one conversation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.browser import sign_in
from support.live_server import LiveServer
from support.phone_samples import READER, Samples, make_samples

SIZES = [(360, 640), (390, 844), (820, 1180), (844, 390)]
OVERFLOW = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - visualViewport.width"
BODY_TOP = ("(() => { const b = document.querySelector('[aria-current=page] [data-testid=message-body], "
            "[data-testid=message] [data-testid=message-body]'); "
            "return (b.closest('.message-frame-box') ?? b).getBoundingClientRect().top; })()")


@pytest.fixture(scope="module")
def samples(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(server, tmp_path_factory.mktemp("samples"))


@pytest.fixture(scope="module")
def signed_in(browser: Any, server: LiveServer, samples: Samples) -> Iterator[dict[str, Any]]:
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    sign_in(page, server, READER)
    state = context.storage_state()
    context.close()
    yield state


def phone(browser: Any, server: LiveServer, state: dict[str, Any], width: int, height: int) -> Any:
    return browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                               is_mobile=width < 800, has_touch=True, base_url=server.url, storage_state=state)


def open_message(page: Any, message_id: str) -> None:
    page.goto(f"/m/{message_id}")
    page.wait_for_selector(f"[data-testid=message][data-id='{message_id}']")
    if page.query_selector("[data-testid=message-frame-box]"):
        page.wait_for_selector("[data-testid=message-frame-box].fitted")
    page.wait_for_timeout(150)


def each_look(page: Any) -> Iterator[str]:
    """Light and dark, 100 % and 200 % text (the app's root font size, as a phone's text setting does)."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for scale in ("100%", "200%"):
            page.evaluate(f"document.documentElement.style.fontSize = '{scale}'")
            page.wait_for_timeout(100)
            yield f"{scheme} {scale}"
    page.evaluate("document.documentElement.style.fontSize = ''")


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_template_reads_body_first_without_sideways_scrolling(
        browser: Any, server: LiveServer, samples: Samples, signed_in: dict[str, Any], width: int, height: int) -> None:
    context = phone(browser, server, signed_in, width, height)
    try:
        page = context.new_page()
        messages = {"newsletter": samples.newsletter, "text": samples.text, "do-not-forward": samples.do_not_forward,
                    "conversation": samples.thread[-1]}
        for name, message_id in messages.items():
            open_message(page, message_id)
            if name == "conversation":
                page.wait_for_selector("[data-testid=thread]")
            top = page.evaluate(BODY_TOP)
            limit = height / 2 if (width, height) == (360, 640) else height - 48
            assert top <= limit, f"{name}: the body starts at {top} px on {width}x{height}"
            for look in each_look(page):
                assert page.evaluate(OVERFLOW) <= 0.5, f"{name} scrolls sideways at {look} on {width}x{height}"
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_newsletter_fits_the_width_and_its_frame_is_as_tall_as_the_mail(
        browser: Any, server: LiveServer, samples: Samples, signed_in: dict[str, Any], width: int, height: int) -> None:
    context = phone(browser, server, signed_in, width, height)
    try:
        page = context.new_page()
        open_message(page, samples.newsletter)
        box = page.eval_on_selector("[data-testid=message-frame-box]", "b => b.getBoundingClientRect().toJSON()")
        assert box["right"] <= width, "the mail's box stays on screen"
        fitted = page.evaluate("""() => {
            const box = document.querySelector('[data-testid=message-frame-box]');
            const frame = box.querySelector('iframe');
            const doc = frame.contentDocument.documentElement;
            const scale = Number(box.dataset.scale);
            return {scale, contentWidth: doc.scrollWidth * scale, boxWidth: box.clientWidth,
                    contentHeight: doc.scrollHeight, frameHeight: frame.clientHeight,
                    shownHeight: box.clientHeight, scaledHeight: frame.clientHeight * scale};
        }""")
        assert fitted["contentWidth"] <= fitted["boxWidth"] + 1, fitted
        assert fitted["contentHeight"] <= fitted["frameHeight"] + 1, f"nothing scrolls inside the frame: {fitted}"
        assert abs(fitted["shownHeight"] - fitted["scaledHeight"]) <= 2, fitted
        # The mail keeps its margin on both sides (scrollWidth alone leaves out the right one).
        margins = page.evaluate("""() => {
            const frame = document.querySelector('[data-testid=message-frame-box] iframe');
            const table = frame.contentDocument.querySelector('table').getBoundingClientRect();
            return {left: table.left, right: frame.clientWidth - table.right};
        }""")
        assert margins["left"] > 0 and abs(margins["right"] - margins["left"]) <= 1, margins
        natural = page.eval_on_selector("iframe[data-testid=message-body]", "f => f.clientWidth")
        assert abs(fitted["scale"] - min(1, fitted["boxWidth"] / natural)) < 0.01, "scaled to the width, never up"
        if width < 620:
            assert fitted["scale"] < 1, "the 600 px mail is scaled down to the phone's width"
    finally:
        context.close()


def test_a_thread_of_six_is_one_conversation(browser: Any, server: LiveServer, samples: Samples,
                                           signed_in: dict[str, Any]) -> None:
    context = phone(browser, server, signed_in, 360, 640)
    try:
        page = context.new_page()
        page.goto("/")
        row = page.locator("[data-testid=inbox-item]", has_text="Re: Budget 2027")
        assert row.locator(".inbox-from").inner_text().startswith("Alice Example"), "the inbox names people too"
        open_message(page, samples.thread[-1])
        page.wait_for_selector("[data-testid=thread]")
        items = page.locator("[data-testid=thread-item]")
        assert items.count() == 6
        assert [items.nth(i).get_attribute("data-id") for i in range(6)] == list(samples.thread)
        assert items.nth(5).get_attribute("aria-current") == "page", "the newest is open"
        assert page.inner_text("[data-testid=thread-more]") == "4 earlier messages"
        previous = items.nth(4)
        previous.locator(".thread-snippet").filter(has_text="Yes, same firm").wait_for()
        assert previous.locator(".thread-from").inner_text() == "Alice Example"
        page.click("[data-testid=thread-more]")
        page.wait_for_timeout(300)
        names = [items.nth(i).locator(".thread-from").inner_text() for i in range(5)]
        assert names == ["Alice Example", "me", "Alice Example", "me", "Alice Example"], "one name per person"
        items.nth(0).locator("[data-testid=thread-toggle]").click()
        first = items.nth(0).locator("[data-testid=message-part]")
        first.wait_for()
        assert "the budget draft is ready" in first.locator("[data-testid=message-body]").inner_text()
    finally:
        context.close()


def test_plain_text_links_and_folded_quotes(browser: Any, server: LiveServer, samples: Samples,
                                            signed_in: dict[str, Any]) -> None:
    context = phone(browser, server, signed_in, 320, 640)
    try:
        page = context.new_page()
        open_message(page, samples.text)
        hrefs = page.eval_on_selector_all("div[data-testid=message-body] > a",
                                          "as => as.map(a => a.getAttribute('href'))")
        assert hrefs == ["https://intranet.example.org/board/agenda?q=4", "mailto:carol.jones@example.org",
                         "tel:+442079460958"]
        quoted = page.locator("[data-testid=quoted-text]")
        assert quoted.get_attribute("open") is None
        assert not page.get_by_text("I would like to read it").is_visible()
        quoted.locator("summary").click()
        assert page.get_by_text("I would like to read it", exact=False).is_visible()
        page.click("[data-testid=recipients] summary")
        details = page.inner_text("[data-testid=recipients] dl").split("\n")
        assert details[:2] == ["From", "Alice Example <alice@example.org>"]
        assert page.evaluate(OVERFLOW) <= 0.5
    finally:
        context.close()


SCREENS = ["/", "/settings", "/install", "/sign-in", "reply", "attachment", "error", "/settings/add-address"]


@pytest.mark.parametrize("path", SCREENS)
def test_other_screens_reflow_at_320_px_and_200_percent(browser: Any, server: LiveServer, samples: Samples,
                                                        signed_in: dict[str, Any], path: str, tmp_path: Path) -> None:
    context = phone(browser, server, signed_in if path != "/sign-in" else {"cookies": [], "origins": []}, 320, 640)
    where = {"reply": f"/m/{samples.text}/reply", "attachment": f"/m/{samples.text}/attachments/1",
             "error": "/m/" + "a" * 26}
    try:
        page = context.new_page()
        page.goto(where.get(path, path))
        page.wait_for_selector("main h1")
        page.wait_for_timeout(200)
        for look in each_look(page):
            assert page.evaluate(OVERFLOW) <= 0.5, f"{path} scrolls sideways at {look}"
    finally:
        context.close()


PNG_1X1 = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201ffa1cd5b0000000049454e44ae426082")


def test_attachments_open_inside_the_app(browser: Any, server: LiveServer, signed_in: dict[str, Any],
                                         tmp_path: Path) -> None:
    """An image opens on the app's own screen (no bare API tab); Do-Not-Forward shows it view-only."""
    from support.browser import seal
    from support.mailseal_app import simple_mail

    context = phone(browser, server, signed_in, 360, 640)
    try:
        page = context.new_page()
        for template, saves in (("encrypt-only", True), ("do-not-forward", False)):
            folder = tmp_path / template
            folder.mkdir()
            message_id, _ = seal(server, simple_mail(subject=f"Photo {template}",
                                                     attachment=("site.png", "image/png", PNG_1X1)),
                                 folder, template=template)
            open_message(page, message_id)
            assert page.get_attribute("[data-testid=attachment]", "target") is None
            page.click("[data-testid=attachment]")
            page.wait_for_selector("[data-testid=attachment-viewer]")
            assert f"/m/{message_id}/attachments/" in page.url
            page.wait_for_function("() => document.querySelector('[data-testid=attachment-image]').naturalWidth === 1")
            assert (page.query_selector("[data-testid=attachment-download]") is not None) == saves
            assert (page.query_selector("[data-testid=view-only-note]") is None) == saves
            assert page.evaluate(OVERFLOW) <= 0.5
            page.click("[data-testid=back]")
            page.wait_for_selector(f"[data-testid=message][data-id='{message_id}']")
    finally:
        context.close()


def test_two_panes_from_768_px(browser: Any, server: LiveServer, samples: Samples, signed_in: dict[str, Any]) -> None:
    context = phone(browser, server, signed_in, 820, 1180)
    try:
        page = context.new_page()
        page.goto("/")
        page.wait_for_selector("[data-testid=inbox-pane] [data-testid=inbox-item]")
        assert page.is_visible("[data-testid=reading-pane-empty]")
        page.click(f"[data-testid=inbox-item][data-id='{samples.text}']")
        page.wait_for_selector(f"[data-testid=reading-pane] [data-testid=message][data-id='{samples.text}']")
        inbox = page.eval_on_selector("[data-testid=inbox-pane]", "e => e.getBoundingClientRect().toJSON()")
        reading = page.eval_on_selector("[data-testid=reading-pane]", "e => e.getBoundingClientRect().toJSON()")
        assert inbox["right"] <= reading["left"] and abs(inbox["top"] - reading["top"]) < 2, "side by side"
        current = page.get_attribute(f"[data-testid=inbox-item][data-id='{samples.text}']", "aria-current")
        assert current == "page"
        assert page.evaluate(OVERFLOW) <= 0.5
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_selector("[data-testid=inbox-pane]", state="detached")
        page.wait_for_selector(f"main > .message-slot [data-testid=message][data-id='{samples.text}']")  # one column
    finally:
        context.close()


IOS_SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/18.1 Mobile/15E148 Safari/604.1")
IOS_IN_APP = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Mobile/15E148")


@pytest.mark.parametrize(("agent", "kind"), [(IOS_SAFARI, "ios"), (IOS_IN_APP, "in-app")])
def test_install_guidance_after_a_message_was_read(browser: Any, server: LiveServer, samples: Samples,
                                                   signed_in: dict[str, Any], agent: str, kind: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  base_url=server.url, storage_state=signed_in, user_agent=agent)
    try:
        page = context.new_page()
        page.goto("/")
        page.wait_for_selector("[data-testid=inbox-item]")
        assert page.query_selector("[data-testid=install-nudge]") is None, "not before a message was read"
        open_message(page, samples.text)
        nudge = page.wait_for_selector(f"[data-testid=install-nudge][data-kind={kind}]")
        assert "signs in on its own" in nudge.inner_text()
        if kind == "in-app":
            assert "Open in Safari" in nudge.inner_text()
        page.click("[data-testid=nudge-dismiss]")
        open_message(page, samples.do_not_forward)
        assert page.query_selector("[data-testid=install-nudge]") is None, "Not now is remembered"
    finally:
        context.close()


def test_the_link_sign_in_says_who_sent_what_and_sign_out_asks_first(
        browser: Any, server: LiveServer, samples: Samples, signed_in: dict[str, Any]) -> None:
    context = phone(browser, server, {"cookies": [], "origins": []}, 360, 640)
    try:
        page = context.new_page()
        page.goto(f"/m/{samples.do_not_forward}")
        line = page.wait_for_selector("[data-testid=invitation]:not([hidden])")
        words = line.inner_text()
        assert "alice@example.org sent you a protected message (Do-Not-Forward)" in words
        assert "Salary" not in words, "no subject: only what the wrapper mail shows"
    finally:
        context.close()
    context = phone(browser, server, signed_in, 360, 640)
    try:
        page = context.new_page()
        page.goto("/settings")
        page.wait_for_selector("[data-testid=sign-out]")
        asked: list[str] = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        page.click("[data-testid=sign-out]")
        page.wait_for_timeout(300)
        assert asked and "Sign out" in asked[0]
        assert page.is_visible("[data-testid=settings]"), "dismissed: still signed in"
    finally:
        context.close()


def test_a_message_read_this_session_comes_back_without_a_second_download(
        browser: Any, server: LiveServer, samples: Samples, signed_in: dict[str, Any]) -> None:
    context = phone(browser, server, signed_in, 390, 844)
    try:
        page = context.new_page()
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url.split("?")[0]))
        page.goto("/")
        page.wait_for_selector("[data-testid=inbox-item]")
        for _ in range(2):
            page.click(f"[data-testid=inbox-item][data-id='{samples.newsletter}']")
            page.wait_for_selector("[data-testid=message-frame-box].fitted")
            assert page.is_visible("[data-testid=message-frame-box]")
            page.click("[data-testid=back]")
            page.wait_for_selector("[data-testid=inbox-list]")
        views = [url for url in asked if url.endswith(f"/api/messages/{samples.newsletter}")]
        bodies = [url for url in asked if url.endswith(f"/api/messages/{samples.newsletter}/body")]
        assert (len(views), len(bodies)) == (1, 1), "the second open reuses the screen and its frame"
    finally:
        context.close()


HTML_REPLY = ('<div>Sounds good, see you then.</div><br><div><div>On Tue, 1 Dec 2026, Alice wrote:<br></div>'
              '<blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">'
              + "<p>The long original, quoted line after line.</p>" * 12 + "</blockquote></div>")


def test_quoted_text_in_an_html_reply_is_folded(browser: Any, server: LiveServer, signed_in: dict[str, Any],
                                                tmp_path: Path) -> None:
    from support.browser import seal
    from support.mailseal_app import simple_mail

    message_id, _ = seal(server, simple_mail(subject="Re: Thursday", html=HTML_REPLY), tmp_path)
    context = phone(browser, server, signed_in, 360, 640)
    try:
        page = context.new_page()
        open_message(page, message_id)
        toggle = page.wait_for_selector("[data-testid=frame-quoted-toggle]:not([hidden])")
        frame = page.frame_locator("iframe[data-testid=message-body]")
        assert frame.locator("blockquote").evaluate("b => getComputedStyle(b).display") == "none"
        assert frame.get_by_text("Sounds good").is_visible()
        folded = page.eval_on_selector("[data-testid=message-frame-box]", "b => b.clientHeight")
        toggle.click()
        assert frame.locator("blockquote").evaluate("b => getComputedStyle(b).display") == "block"
        page.wait_for_function("h => document.querySelector('[data-testid=message-frame-box]').clientHeight > h + 200",
                               arg=folded)
        assert toggle.get_attribute("aria-expanded") == "true"
    finally:
        context.close()


def test_the_body_frame_starts_with_the_view_but_not_again_for_a_text_message(
        browser: Any, server: LiveServer, samples: Samples, signed_in: dict[str, Any]) -> None:
    context = phone(browser, server, signed_in, 390, 844)
    try:
        page = context.new_page()
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url.split("?")[0]))
        open_message(page, samples.text)
        assert any(url.endswith(f"/api/messages/{samples.text}/body") for url in asked), "started early, unknown"
        asked.clear()
        page.reload()
        page.wait_for_selector(f"[data-testid=message][data-id='{samples.text}']")
        assert not any(url.endswith("/body") for url in asked), "known to be text in this tab: no guess"
        assert page.query_selector("iframe[data-testid=message-body]") is None
    finally:
        context.close()
