"""The app in German and in Arabic (right to left) on a 360x640 phone: sign-in, inbox, message, composer
and settings each in the phone's language, laid out in its direction, without sideways scrolling and
without a single English sentence of the catalogue left on screen; the language chosen in Settings wins
over the phone's and is remembered. With MAILSEAL_I18N_SCREENSHOTS=1 each screen is also saved to
docs/screenshots/i18n/."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from support.browser import outbox_code, outbox_names, seal
from support.live_server import LiveServer
from support.mailseal_app import simple_mail

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "pwa" / "locales"
SHOTS = ROOT / "docs" / "screenshots" / "i18n"
OVERFLOW = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - visualViewport.width"
# Every text a person meets: each element's own text, and the names and hints of controls.
SHOWN_TEXTS = """() => {
  const texts = [];
  for (const element of document.querySelectorAll('body *')) {
    if (element.closest('[hidden], noscript, [data-testid=kept-screens]')) continue;
    const own = [...element.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
    if (own) texts.push(own);
    for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
      const value = element.getAttribute(name);
      if (value) texts.push(value.trim());
    }
  }
  texts.push(document.title, document.body.innerText);
  return texts;
}"""


def catalogue(tag: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in (LOCALES / f"{tag}.json", LOCALES / "later" / f"{tag}.json"):
        found.update(json.loads(path.read_text(encoding="utf-8")))
    return found


def english_left(texts: list[str], tag: str) -> list[str]:
    """English messages of the catalogue (without placeholders, and unlike their translation) on screen:
    a sentence anywhere in the page's text, a shorter one as an element's whole text or name."""
    english, own = catalogue("en"), catalogue(tag)
    page_text = texts[-1]
    left = []
    for key, words in english.items():
        if "{" in words or own.get(key) == words or len(words) < 3:
            continue
        if (len(words) >= 20 and words in page_text) or words in texts[:-1]:
            left.append(f"{key}: {words}")
    return left


def look(page: Any, tag: str, screen: str) -> None:
    """The screen is in `tag`, in its direction, fits the phone, and shows no English of the catalogue."""
    page.wait_for_timeout(250)
    lang, direction = page.evaluate("[document.documentElement.lang, document.documentElement.dir]")
    assert (lang, direction) == (tag, "rtl" if tag == "ar" else "ltr"), screen
    assert page.evaluate(OVERFLOW) <= 1, f"{screen}: the page scrolls sideways in {tag}"
    assert english_left(page.evaluate(SHOWN_TEXTS), tag) == [], f"{screen} in {tag}"
    if os.environ.get("MAILSEAL_I18N_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{tag}-{screen}.png"))


@pytest.mark.parametrize("tag", ["de", "ar"])
def test_every_screen_in_the_phones_language(browser: Any, server: LiveServer, tmp_path: Path, tag: str) -> None:
    reader = f"reader-{tag}@gmail.com"
    subject = {"de": "Quartalszahlen 2026", "ar": "أرقام الربع الأول"}[tag]
    body = {"de": "Die Zahlen sind gut.\n\nViele Grüße\nAlice", "ar": "الأرقام جيدة.\n\nمع التحية\nأليس"}[tag]
    pdf = ("zahlen.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")
    message_id, _ = seal(server, simple_mail(subject, body, to=reader, attachment=pdf), tmp_path, to=reader)
    context = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=1, is_mobile=True,
                                  has_touch=True, locale=tag, base_url=server.url)
    try:
        page = context.new_page()
        page.goto(f"/m/{message_id}")
        page.wait_for_selector("[data-testid=invitation]:not([hidden])")
        look(page, tag, "1-sign-in")
        page.fill("#email", reader)
        before = outbox_names(server.data)
        page.click("[data-testid=send-code]")
        page.wait_for_selector("[data-testid=reference]")
        look(page, tag, "1-sign-in-code")
        page.fill("#code", outbox_code(server.data, reader, after=before))
        page.wait_for_selector(f"[data-testid=message][data-id='{message_id}']")
        page.wait_for_selector("[data-testid=message-frame-box].fitted, .message-text")
        look(page, tag, "3-message")
        page.click("[data-testid=rights-chip] summary")
        look(page, tag, "3-message-rights")
        page.goto("/")
        page.wait_for_selector("[data-testid=inbox-item]")
        look(page, tag, "2-inbox")
        page.goto(f"/m/{message_id}/reply")
        page.wait_for_selector("[data-testid=composer-recipients] [data-testid=recipient]")
        look(page, tag, "4-composer")
        page.goto("/settings")
        page.wait_for_selector("[data-testid=devices]")
        look(page, tag, "5-settings")
    finally:
        context.close()


def test_the_language_chosen_in_settings_wins_and_is_remembered(browser: Any, server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="de-DE", base_url=server.url)
    try:
        page = context.new_page()
        page.goto("/settings")  # signed out: the sign-in screen, in German
        page.wait_for_selector("[data-testid=send-code]")
        assert page.inner_text("[data-testid=send-code]") == catalogue("de")["sign-in.send-code"]
        reader = "chooser@gmail.com"
        page.fill("#email", reader)
        before = outbox_names(server.data)
        page.click("[data-testid=send-code]")
        page.wait_for_selector("[data-testid=reference]")
        page.fill("#code", outbox_code(server.data, reader, after=before))
        page.wait_for_selector("[data-testid=language]")
        assert page.evaluate("document.querySelector('[data-testid=language]').value") == "", "follows the phone"
        page.select_option("[data-testid=language]", "ar")
        page.wait_for_selector("html[dir=rtl]", state="attached")
        page.wait_for_selector("[data-testid=language]:not([disabled])")
        assert page.inner_text("#language-title") == catalogue("ar")["language.title"]
        page.reload()
        page.wait_for_selector("[data-testid=language]")
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
        assert page.evaluate("document.querySelector('[data-testid=language]').value") == "ar"
        page.select_option("[data-testid=language]", "")
        page.wait_for_selector("html[lang=de]", state="attached")
        page.reload()
        page.wait_for_selector("[data-testid=language]")
        assert page.evaluate("document.documentElement.lang") == "de", "back to the phone's language"
    finally:
        context.close()
