"""Passkeys in real Chromium with a virtual authenticator (DevTools' WebAuthn domain): registered after a
code sign-in, then used from a wrapper link on a fresh browser to reach the message text; another site's
passkey, a removed passkey and an authenticator without user verification get nowhere.

WebAuthn needs a host name (not an IP address) and a secure context: the server's public_url is
http://localhost:PORT here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.browser import outbox_code, outbox_names, seal
from support.live_server import LiveServer, live_server
from support.mailseal_app import simple_mail

BODY = "The numbers are good."
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("passkeys") / "data"
    with live_server(data, public_host="localhost") as running:
        yield running


def origin(server: LiveServer) -> str:
    return f"http://localhost:{server.port}"


def phone(browser: Any, server: LiveServer) -> Any:
    return browser.new_context(**PHONE, base_url=origin(server))


def authenticator(page: Any, *, verified: bool = True) -> tuple[Any, str]:
    """A platform authenticator with resident keys and user verification (Face ID, fingerprint)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": verified, "automaticPresenceSimulation": True,
    }})
    return cdp, added["authenticatorId"]


def credentials(cdp: Any, authenticator_id: str) -> list[dict[str, Any]]:
    answer = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    found: list[dict[str, Any]] = answer["credentials"]
    return found


def code_sign_in(page: Any, server: LiveServer, address: str, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("#email")
    page.fill("#email", address)
    before = outbox_names(server.data)
    page.click("[data-testid=send-code]")
    page.wait_for_selector("[data-testid=reference]")
    page.fill("#code", outbox_code(server.data, address, after=before))


def register_after_code(browser: Any, server: LiveServer, tmp_path: Path, address: str) -> tuple[str, dict[str, Any]]:
    """Sign in by code from a wrapper link, read the message, take the offer: the message id and the
    passkey as the authenticator holds it (with its private key, as a synced passkey would travel)."""
    message_id, _ = seal(server, simple_mail(to=address), tmp_path, to=address)
    context = phone(browser, server)
    try:
        page = context.new_page()
        cdp, authenticator_id = authenticator(page)
        code_sign_in(page, server, address, f"/m/{message_id}")
        page.wait_for_selector("[data-testid=message-body]")
        page.wait_for_selector("[data-testid=passkey-offer]:not([hidden])")
        page.click("[data-testid=passkey-offer-add]")
        page.wait_for_selector("[data-testid=passkey-offer]", state="detached")
        (credential,) = credentials(cdp, authenticator_id)
        page.goto("/settings")
        page.wait_for_selector("[data-testid=passkey]")
        assert page.get_attribute("[data-testid=passkey]", "data-this-device") == "true"
        # Offered once: the next message read shows no offer.
        page.goto(f"/m/{message_id}")
        page.wait_for_selector("[data-testid=message-body]")
        assert page.query_selector("[data-testid=passkey-offer]") is None
        return message_id, credential
    finally:
        context.close()


def sign_in_with(browser: Any, server: LiveServer, path: str, credential: dict[str, Any] | None, *,
                 verified: bool = True, autofill: bool = False) -> tuple[Any, Any]:
    """A fresh browser holding `credential` opens `path`, and either taps the passkey button, or (with
    `autofill`) lets the browser's passkey autofill answer: Chromium's virtual authenticator picks the
    passkey for a conditional request at once, as a person would from the address field's suggestions."""
    context = phone(browser, server)
    page = context.new_page()
    if not autofill:
        page.add_init_script("PublicKeyCredential.isConditionalMediationAvailable = async () => false;")
    cdp, authenticator_id = authenticator(page, verified=verified)
    if credential is not None:
        cdp.send("WebAuthn.addCredential", {"authenticatorId": authenticator_id, "credential": credential})
    page.goto(path)
    if not autofill:
        page.click("[data-testid=passkey-sign-in]")
    return context, page


def test_register_after_a_code_then_sign_in_from_a_wrapper_link(browser: Any, server: LiveServer,
                                                                   tmp_path: Path) -> None:
    message_id, credential = register_after_code(browser, server, tmp_path, "bob@gmail.com")
    context, page = sign_in_with(browser, server, f"/m/{message_id}", credential)
    try:
        page.wait_for_selector(f"[data-testid=message][data-id='{message_id}']")
        page.wait_for_function(
            f"() => document.querySelector('[data-testid=message-body]')?.textContent.includes({BODY!r})")
        assert page.evaluate("() => location.pathname") == f"/m/{message_id}"
        # No code was asked for on this browser: the passkey was enough.
        assert page.evaluate("() => localStorage.getItem('mailseal.pending-sign-in')") is None
    finally:
        context.close()


def test_passkey_autofill_signs_in_from_the_address_field(browser: Any, server: LiveServer, tmp_path: Path) -> None:
    message_id, credential = register_after_code(browser, server, tmp_path, "gus@gmail.com")
    context, page = sign_in_with(browser, server, f"/m/{message_id}", credential, autofill=True)
    try:
        page.wait_for_function(
            f"() => document.querySelector('[data-testid=message-body]')?.textContent.includes({BODY!r})")
    finally:
        context.close()


def test_a_passkey_of_another_site_gets_nowhere(browser: Any, server: LiveServer, tmp_path: Path) -> None:
    message_id, credential = register_after_code(browser, server, tmp_path, "carol@gmail.com")
    elsewhere = {**credential, "rpId": "example.com"}
    context, page = sign_in_with(browser, server, f"/m/{message_id}", elsewhere)
    try:
        page.wait_for_selector("[data-testid=passkey-error]:not([hidden])")
        assert page.query_selector("[data-testid=message]") is None
        assert page.evaluate("() => fetch('/api/me').then((r) => r.status)") == 401
    finally:
        context.close()


def test_a_removed_passkey_is_refused(browser: Any, server: LiveServer, tmp_path: Path) -> None:
    message_id, credential = register_after_code(browser, server, tmp_path, "dora@gmail.com")
    context, page = sign_in_with(browser, server, f"/m/{message_id}", credential)
    try:
        page.wait_for_selector("[data-testid=message-body]")
        page.goto("/settings")
        page.on("dialog", lambda dialog: dialog.accept())
        page.click("[data-testid=remove-passkey]")
        # Removing it ends the session it started: this very device is signed out.
        page.wait_for_function("() => fetch('/api/me').then((r) => r.status === 401)")
    finally:
        context.close()
    context, page = sign_in_with(browser, server, f"/m/{message_id}", credential)
    try:
        page.wait_for_selector("[data-testid=passkey-error]:not([hidden])")
        assert "not accepted" in page.inner_text("[data-testid=passkey-error]")
        assert page.evaluate("() => fetch('/api/me').then((r) => r.status)") == 401
    finally:
        context.close()


def test_without_user_verification_it_gets_nowhere(browser: Any, server: LiveServer, tmp_path: Path) -> None:
    message_id, credential = register_after_code(browser, server, tmp_path, "erin@gmail.com")
    context, page = sign_in_with(browser, server, f"/m/{message_id}", credential, verified=False)
    try:
        page.wait_for_selector("[data-testid=passkey-error]:not([hidden])")
        assert page.query_selector("[data-testid=message]") is None
        assert page.evaluate("() => fetch('/api/me').then((r) => r.status)") == 401
    finally:
        context.close()


def test_the_code_screen_says_when_and_from_whom(context: Any, server: LiveServer, tmp_path: Path) -> None:
    """From a wrapper link the address is filled in; the code step names the sender of the mail, says to
    look in spam, and counts down before another code may be asked for."""
    message_id, _ = seal(server, simple_mail(to="fay@gmail.com"), tmp_path, to="fay@gmail.com")
    page = context.new_page()
    page.goto(f"/m/{message_id}#to=fay%40gmail.com")
    page.wait_for_selector("#email")
    assert page.input_value("#email") == "fay@gmail.com"
    page.click("[data-testid=send-code]")
    page.wait_for_selector("[data-testid=code-sent-note]:has-text('spam')")
    note = page.inner_text("[data-testid=code-sent-note]")
    assert "no-reply@localhost" in note
    page.wait_for_selector("[data-testid=resend][data-waiting=true]")
    assert page.is_disabled("[data-testid=resend]")
    assert "60" in page.inner_text("[data-testid=resend]") or "59" in page.inner_text("[data-testid=resend]")
