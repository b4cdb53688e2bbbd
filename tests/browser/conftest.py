"""Browser tests: Debian's Chromium driven by Playwright (executable_path; no browser downloads)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.live_server import LiveServer, live_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (./scripts/test installs it where it can)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("live") / "data"
    with live_server(data) as running:
        yield running


@pytest.fixture
def context(browser: Any, server: LiveServer) -> Iterator[Any]:
    ctx = browser.new_context(**PHONE, base_url=server.url)
    yield ctx
    ctx.close()


@pytest.fixture
def persistent_context(browser: Any, server: LiveServer, tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """A phone context on a profile folder of its own, so that what it stores (IndexedDB…) is on disk to read."""
    profile = tmp_path / "profile"
    ctx = browser.browser_type.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, base_url=server.url, **PHONE
    )
    yield ctx, profile
    ctx.close()
