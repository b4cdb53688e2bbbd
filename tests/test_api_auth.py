"""Sign-in through the real app: codes by mail, sessions in cookies, CSRF, limits, problem details."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from mailseal.errors import InvalidCode
from mailseal.mail.outbox import MaildirOutbox
from mailseal.server import build_app
from support.mailseal_app import BASE_URL, MailsealClient, make_settings, running_app


@pytest.mark.engines
async def test_sign_in_with_the_code_from_the_outbox(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        response = await app.post("/api/auth/code", json={"email": "Bob@Gmail.com"})
        assert response.status_code == 202
        reference = response.json()["reference"]
        mail = app.last_mail_to("bob@gmail.com")
        assert reference in mail.get_body(preferencelist=("plain",)).get_content()
        me = await app.post("/api/auth/verify", json={"email": "bob@gmail.com", "code": app.code_for("bob@gmail.com")})
        assert me.status_code == 200
        assert me.json()["addresses"] == ["bob@gmail.com"]
        cookie = me.headers["set-cookie"]
        assert "__Host-mailseal=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower() and "Domain" not in cookie
        assert (await app.http.get("/api/me")).json()["addresses"] == ["bob@gmail.com"]


async def test_unknown_and_known_addresses_get_the_same_answer(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        first = await app.post("/api/auth/code", json={"email": "someone@nowhere.test"})
        second = await app.post("/api/auth/code", json={"email": "bob@gmail.com"})
        assert first.status_code == second.status_code == 202
        assert set(first.json()) == set(second.json()) == {"reference", "expiresInMinutes", "codeLength", "mailFrom"}
        assert first.json()["mailFrom"] == second.json()["mailFrom"] == app.settings.mail_from
        assert first.json()["codeLength"] == second.json()["codeLength"] == 8


async def test_a_guarded_address_gets_long_codes_that_work_from_any_client(tmp_path: Path) -> None:
    """Twenty failed guesses from elsewhere: an 8-digit code is not checked any more, the answer to a new
    request says 16 digits, the mail has them (in groups of four), and typed so they sign in."""
    async with running_app(tmp_path) as app:
        identity = app.services.identity
        await identity.request_code("bob@gmail.com", client="203.0.113.1")
        for i in range(20):
            with pytest.raises(InvalidCode):
                await identity.verify_code("bob@gmail.com", "12345678", client=f"203.0.113.{i}", session_id=None,
                                           device_name="x")
        short = app.code_for("bob@gmail.com")
        response = await app.post("/api/auth/verify", json={"email": "bob@gmail.com", "code": short})
        assert response.status_code == 401 and response.json()["code"] == "auth.long-code-needed"

        answer = await app.post("/api/auth/code", json={"email": "bob@gmail.com"})
        assert answer.status_code == 202 and answer.json()["codeLength"] == 16
        code = app.code_for("bob@gmail.com")
        assert len(code) == 16
        typed = " ".join(code[i:i + 4] for i in range(0, 16, 4))
        me = await app.post("/api/auth/verify", json={"email": "bob@gmail.com", "code": typed})
        assert me.status_code == 200 and me.json()["addresses"] == ["bob@gmail.com"]


@pytest.mark.engines
async def test_wrong_code_then_sixth_try_refused(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.post("/api/auth/code", json={"email": "bob@gmail.com"})
        right = app.code_for("bob@gmail.com")
        wrong = "00000000" if right != "00000000" else "11111111"
        for _ in range(5):
            response = await app.post("/api/auth/verify", json={"email": "bob@gmail.com", "code": wrong})
            assert response.status_code == 401
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == "auth.invalid-code"
        response = await app.post("/api/auth/verify", json={"email": "bob@gmail.com", "code": right})
        assert response.status_code == 429
        assert response.json()["code"] == "auth.too-many-tries"
        assert (await app.http.get("/api/me")).status_code == 401


async def test_expired_code(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.post("/api/auth/code", json={"email": "bob@gmail.com"})
        code = app.code_for("bob@gmail.com")
        real_clock = app.services.identity._clock
        app.services.identity._clock = lambda: real_clock() + 11 * 60
        response = await app.post("/api/auth/verify", json={"email": "bob@gmail.com", "code": code})
        assert response.status_code == 401
        assert response.json()["code"] == "auth.code-expired"


async def test_state_changes_need_the_csrf_token(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.http.get("/healthz")
        response = await app.http.post("/api/auth/code", json={"email": "bob@gmail.com"})
        assert response.status_code == 403
        assert response.json()["code"] == "csrf.failed"
        assert app.outbox.list() == []


async def test_me_requires_sign_in(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        response = await app.http.get("/api/me")
        assert response.status_code == 401
        assert response.json()["code"] == "auth.required"


@pytest.mark.engines
async def test_two_addresses_one_session_and_logout(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        old_cookie = app.http.cookies["__Host-mailseal"]
        me = await app.sign_in("bob@work.example")
        assert sorted(me["addresses"]) == ["bob@gmail.com", "bob@work.example"]
        assert app.http.cookies["__Host-mailseal"] != old_cookie, "the session id must rotate at sign-in"
        devices = (await app.http.get("/api/devices")).json()["devices"]
        assert len(devices) == 1 and devices[0]["current"]
        assert (await app.post("/api/auth/logout")).status_code == 204
        assert (await app.http.get("/api/me")).status_code == 401


@pytest.mark.parametrize("body", [{"email": "not an address"}, {"mail": "x"}, {"email": "a@b.c" * 100}])
async def test_bad_input_is_a_problem(tmp_path: Path, body: dict[str, str]) -> None:
    async with running_app(tmp_path) as app:
        response = await app.post("/api/auth/code", json=body)
        assert response.status_code == 400
        assert response.json()["code"].startswith("input.")


async def test_security_headers_everywhere(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        for path in ["/", "/healthz", "/api/me", "/manifest.json", "/nope"]:
            response = await app.http.get(path)
            headers = response.headers
            assert "default-src" in headers["content-security-policy"], path
            assert "frame-ancestors 'none'" in headers["content-security-policy"], path
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "no-referrer"
            assert headers["strict-transport-security"].startswith("max-age=")
        assert (await app.http.get("/api/me")).headers["cache-control"] == "no-store"


async def test_dev_outbox_shows_the_passcode_mail(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.post("/api/auth/code", json={"email": "bob@gmail.com"})
        listing = await app.http.get("/dev/outbox/")
        assert listing.status_code == 200 and "bob@gmail.com" in listing.text
        key = app.outbox.list()[0].key
        page = await app.http.get(f"/dev/outbox/{key}")
        assert app.code_for("bob@gmail.com") in page.text
        part = await app.http.get(f"/dev/outbox/{key}/html")
        assert part.headers["content-security-policy"].startswith("sandbox")


async def test_no_dev_outbox_outside_dev_mode(tmp_path: Path) -> None:
    async with running_app(tmp_path, dev=False) as app:
        assert (await app.http.get("/dev/outbox/")).status_code == 404


class AnswerWatcher:
    """The app as its client sees it: notes in `events` when each answer has gone out in full."""

    def __init__(self, app: Any, events: list[str], mails: Any) -> None:
        self.app = app
        self.events = events
        self.mails = mails

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def watched(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.events.append(f"answered {scope['path']} with {self.mails()} mails in the outbox")

        await self.app(scope, receive, watched)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)


class EventLog(logging.Handler):
    def __init__(self, events: list[str]) -> None:
        super().__init__(logging.INFO)
        self.events = events

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("passcode"):
            self.events.append(record.getMessage().split(":")[0].split(" (")[0])


@pytest.mark.engines
async def test_code_answer_goes_out_before_the_mail_whether_or_not_one_is_sent(tmp_path: Path) -> None:
    """Queueing the mail took ~10 ms that a suppressed send did not: the answer told whether an address
    had asked for codes recently. Now the mail is queued after the answer has gone, in both cases."""
    events: list[str] = []
    settings = make_settings(tmp_path)
    handler = EventLog(events)
    logger = logging.getLogger("mailseal.identity.service")
    logger.addHandler(handler)
    try:
        outbox = MaildirOutbox(settings.data_path / "outbox")
        watched = AnswerWatcher(build_app(settings), events, lambda: len(outbox.list()))
        async with AsyncTestClient(app=watched, base_url=BASE_URL) as http:
            app = MailsealClient(http, settings)
            logger.setLevel(logging.INFO)
            for sent in range(4):  # the fourth within 15 minutes is not mailed
                await app.csrf()
                events.clear()
                response = await app.post("/api/auth/code", json={"email": "bob@gmail.com"})
                assert response.status_code == 202
                assert events[0] == f"answered /api/auth/code with {min(sent, 3)} mails in the outbox", events
                assert events[1:] == (["passcode sent"] if sent < 3 else ["passcode not sent"]), events
            assert len(outbox.list()) == 3
    finally:
        logger.removeHandler(handler)


@pytest.mark.engines
async def test_a_shared_address_does_not_let_one_person_sign_out_another(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.sign_in("team@example.org")
        carol = app.http.cookies["__Host-mailseal"]
        app.http.cookies.clear()
        await app.sign_in("bob@gmail.com")
        await app.sign_in("team@example.org")
        (bob_device,) = [d["id"] for d in (await app.http.get("/api/devices")).json()["devices"] if d["current"]]
        bob = app.http.cookies["__Host-mailseal"]

        app.http.cookies.clear()
        app.http.cookies.set("__Host-mailseal", carol, domain="mailseal.test")
        devices = (await app.http.get("/api/devices")).json()["devices"]
        assert [d["current"] for d in devices] == [True], "Carol sees her own device only"
        response = await app.delete(f"/api/devices/{bob_device}")
        assert response.status_code == 404 and response.json()["code"] == "not-found"

        app.http.cookies.clear()
        app.http.cookies.set("__Host-mailseal", bob, domain="mailseal.test")
        assert (await app.http.get("/api/me")).json()["addresses"] == ["bob@gmail.com", "team@example.org"]
