"""Sign in with an identity provider in real Chromium: a wrapper link, the provider's button, the local
provider on loopback, and back to the message's text; a refusal comes back to the sign-in screen."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.browser import seal
from support.live_server import LiveServer, live_server
from support.mailseal_app import simple_mail
from support.oidc_provider import LocalProvider, local_provider

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

SHOTS = Path(os.environ.get("MAILSEAL_SHOTS", "")) if os.environ.get("MAILSEAL_SHOTS") else None


@pytest.fixture(scope="module")
def provider() -> Iterator[LocalProvider]:
    with local_provider("google") as running:
        yield running


@pytest.fixture(scope="module")
def oidc_server(tmp_path_factory: pytest.TempPathFactory, provider: LocalProvider) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("oidc") / "data"
    with live_server(data, **{name: str(value) for name, value in provider.settings().items()}) as running:
        yield running


def test_sign_in_with_a_provider_from_a_wrapper_link(browser: Any, oidc_server: LiveServer, tmp_path: Path) -> None:
    message_id, _ = seal(oidc_server, simple_mail(subject="Through Google", body="Signed in without a code."),
                         tmp_path, to="bob@gmail.com")
    context = browser.new_context(**PHONE, base_url=oidc_server.url)
    try:
        page = context.new_page()
        page.goto(f"/m/{message_id}")
        button = page.wait_for_selector("[data-testid=sign-in-with-google]")
        assert button.inner_text() == "Continue with Google"
        if SHOTS:
            page.screenshot(path=str(SHOTS / "sign-in-providers-light.png"))
        button.click()
        page.wait_for_selector(f"[data-testid=message][data-id='{message_id}']")
        assert page.inner_text("[data-testid=message-subject]") == "Through Google"
        assert page.evaluate("() => location.pathname") == f"/m/{message_id}"
        names = {cookie["name"] for cookie in context.cookies()}
        assert "__Host-mailseal" in names and "__Host-mailseal-signin" not in names
    finally:
        context.close()


def test_an_unverified_address_comes_back_with_the_reason(
    browser: Any, oidc_server: LiveServer, provider: LocalProvider,
) -> None:
    provider.account.email_verified = False
    context = browser.new_context(**PHONE, base_url=oidc_server.url)
    try:
        page = context.new_page()
        page.goto("/sign-in")
        page.click("[data-testid=sign-in-with-google]")
        error = page.wait_for_selector("[data-testid=provider-error]:not([hidden])")
        assert "does not confirm" in error.inner_text()
        assert page.is_visible("#email"), "the passcode is still there"
        if SHOTS:
            page.screenshot(path=str(SHOTS / "sign-in-providers-refused-light.png"))
    finally:
        provider.account.email_verified = True
        context.close()


@pytest.mark.parametrize("scheme", ["dark"])
def test_the_choices_in_the_dark_at_360(browser: Any, oidc_server: LiveServer, scheme: str) -> None:
    """The buttons fit a small phone in the dark: nothing wider than the screen."""
    context = browser.new_context(**{**PHONE, "viewport": {"width": 360, "height": 640}}, color_scheme=scheme,
                                  base_url=oidc_server.url)
    try:
        page = context.new_page()
        page.goto("/sign-in")
        page.wait_for_selector("[data-testid=sign-in-with-google]")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
        assert "null" not in page.inner_text("[data-testid=sign-in]")
        if SHOTS:
            page.screenshot(path=str(SHOTS / f"sign-in-providers-{scheme}-360x640.png"), full_page=True)
    finally:
        context.close()
