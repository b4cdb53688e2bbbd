"""An inbox of a few hundred messages on a phone: the count, older pages loaded while scrolling down to the
last message, every message once and newest first, a page that fails offline loaded when the connection
is back, and a refresh that keeps what was loaded. Screenshots of the count and of a page loading."""

from __future__ import annotations

import asyncio
import io
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mailseal.composition import open_instance
from mailseal.config import load_settings
from mailseal.messages.protect import protect
from mailseal.templates import policy_for
from support.browser import sign_in
from support.live_server import LiveServer
from support.mailseal_app import simple_mail

READER = "many@example.org"
MESSAGES = 230
ROWS = "[data-testid=inbox-item]"
MORE = "[data-testid=inbox-more]"
SHOTS = Path(os.environ.get("MAILSEAL_INBOX_SHOTS", "")) if os.environ.get("MAILSEAL_INBOX_SHOTS") else None


def seal_many(server: LiveServer, first: int, count: int) -> None:
    """Seal in this process on the server's own data (one SQLite file, its writer lock shared)."""

    async def run() -> None:
        instance = await open_instance(load_settings(server.env))
        try:
            for number in range(first, first + count):
                raw = simple_mail(subject=f"Figures {number:03d}", body=f"Part {number}.", to=READER)
                await protect(instance.messages, io.BytesIO(raw), sender="alice@example.org", recipients=[READER],
                              policy=policy_for("encrypt-only", expires_days=None, now=time.time()), actor="test")
        finally:
            await instance.close()

    with ThreadPoolExecutor(max_workers=1) as thread:  # the browser tests' own loop is running here
        thread.submit(asyncio.run, run()).result()


@pytest.fixture(scope="module")
def filled(server: LiveServer) -> tuple[LiveServer, list[int]]:
    """The server, and the numbers of the messages sealed later, newest last (each test adds one)."""
    seal_many(server, 0, MESSAGES)
    return server, []


def subjects(page: Any) -> list[str]:
    return page.eval_on_selector_all(f"{ROWS} .inbox-subject", "els => els.map(e => e.textContent)")


def scroll_to_end(page: Any, rows: int) -> None:
    for _ in range(40):
        page.mouse.wheel(0, 4000)
        page.wait_for_timeout(150)
        if page.locator(ROWS).count() >= rows and page.get_attribute(MORE, "data-state") == "end":
            return
    state = page.get_attribute(MORE, "data-state")
    raise AssertionError(f"{page.locator(ROWS).count()} rows after scrolling, state {state}")


def shot(page: Any, name: str, size: tuple[int, int], tmp_path: Path) -> None:
    folder = SHOTS or tmp_path
    path = folder / f"{size[0]}x{size[1]}" / f"inbox-pages-{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))


@pytest.mark.parametrize("size", [(360, 640), (390, 844)], ids=["360x640", "390x844"])
def test_scrolling_down_loads_every_page_to_the_last_message_once(
        browser: Any, filled: tuple[LiveServer, list[int]], size: tuple[int, int], tmp_path: Path) -> None:
    server, later = filled
    before = [f"Figures {n:03d}" for n in [*reversed(later), *reversed(range(MESSAGES))]]
    total = len(before)
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, device_scale_factor=1,
                                  is_mobile=True, has_touch=True, base_url=server.url)
    try:
        page = context.new_page()
        sign_in(page, server, READER)
        page.wait_for_selector(ROWS)
        count = page.wait_for_selector("[data-testid=inbox-count]:not([hidden])")
        assert count.text_content() == f"{total} messages, {total} unread"
        assert page.locator(ROWS).count() == 50  # the first page only
        shot(page, "count", size, tmp_path)

        held: list[Any] = []  # the next page's request, held while the screenshot of it loading is taken
        page.route(re.compile(r"/api/messages\?cursor="), lambda route: held.append(route))
        first_row = page.locator(ROWS).first.element_handle()
        page.locator(ROWS).nth(49).scroll_into_view_if_needed()
        page.wait_for_selector(f"{MORE}[data-state=loading]")
        page.evaluate("() => document.querySelector('[data-testid=inbox-more]').scrollIntoView({block: 'end'})")
        shot(page, "loading", size, tmp_path)
        for route in held:
            route.continue_()
        page.unroute(re.compile(r"/api/messages\?cursor="))
        page.wait_for_function("() => document.querySelectorAll('[data-testid=inbox-item]').length >= 100")
        # The rows drawn before are the same elements: the page was added below, nothing drawn again.
        assert page.evaluate("row => row === document.querySelector('[data-testid=inbox-item]')", first_row)

        context.set_offline(True)  # a page asked for offline waits, then loads when the connection is back
        page.mouse.wheel(0, 20000)
        page.wait_for_selector(f"{MORE}[data-state=failed]")
        assert page.is_visible("[data-testid=inbox-more-retry]")
        context.set_offline(False)
        page.evaluate("() => dispatchEvent(new Event('online'))")
        scroll_to_end(page, total)
        assert subjects(page) == before  # every message once, newest first

        # New mail, then the refresh a pull does: it comes on top, and every loaded row stays.
        later.append(1000 + len(later))
        seal_many(server, later[-1], 1)
        page.click("[data-testid=refresh]")
        page.wait_for_function(f"() => document.querySelectorAll('[data-testid=inbox-item]').length === {total + 1}")
        assert subjects(page) == [f"Figures {later[-1]}", *before]
        assert page.locator("[data-testid=inbox-count]").text_content() == f"{total + 1} messages, {total + 1} unread"
    finally:
        context.close()
