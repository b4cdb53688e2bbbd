"""Push end to end in Chromium: a mail submitted to the relay is sealed, the server pushes to a loopback
push service (which checks VAPID and decrypts), and the payload delivered to the app's service worker
shows a generic notification that opens the message."""

from __future__ import annotations

import asyncio
import smtplib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.browser import sign_in
from support.live_server import LiveServer, live_server
from support.mailseal_app import simple_mail
from support.push_service import LoopbackPushService

SEAL_EVERYTHING = '[[rule]]\nname = "Seal everything"\npriority = 1\naction = { seal = "encrypt-only" }\n'


class PushServiceThread:
    """The asyncio loopback push service, on its own loop in a thread, for a synchronous test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.service: LoopbackPushService = self.call(LoopbackPushService().start())

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def close(self) -> None:
        self.call(self.service.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@pytest.fixture
def push_server(tmp_path: Path) -> Iterator[tuple[LiveServer, PushServiceThread]]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "rules.toml").write_text(SEAL_EVERYTHING)
    pusher = PushServiceThread()
    try:
        with live_server(data, push_allow_loopback="true", push_contact="mailto:push@example.org") as server:
            yield server, pusher
    finally:
        pusher.close()


def test_a_new_message_shows_a_notification(browser: Any, push_server: tuple[LiveServer, PushServiceThread]) -> None:
    server, pusher = push_server
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  base_url=server.url)
    context.grant_permissions(["notifications"], origin=server.url)
    try:
        page = context.new_page()
        sign_in(page, server, "hana@gmail.com")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        key = page.evaluate("fetch('/api/push/key').then(r => r.json()).then(j => j.publicKey)")
        subscription = pusher.service.new_subscription(key)
        status = page.evaluate(
            """async (sub) => {
                const csrf = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
                const r = await fetch('/api/push/subscriptions', {method: 'POST', body: JSON.stringify(sub),
                    headers: {'content-type': 'application/json', 'x-csrftoken': csrf}});
                return r.status;
            }""",
            subscription,
        )
        assert status == 201
        sub_id = pusher.service.id_of(subscription)

        raw = simple_mail(subject="Merger plans", body="Codename Heron.", to="hana@gmail.com")
        with smtplib.SMTP("127.0.0.1", int(server.env["MAILSEAL_RELAY_PORT"]), timeout=30) as smtp:
            smtp.sendmail("alice@example.org", ["hana@gmail.com"], raw)
        pusher.call(asyncio.wait_for(pusher.service.arrived(sub_id).wait(), timeout=20))
        [payload] = pusher.service.payloads_for(sub_id)
        text = payload.decode()
        assert "Merger" not in text and "Heron" not in text and "@" not in text

        cdp = context.new_cdp_session(page)
        registrations: list[dict[str, Any]] = []
        cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
        cdp.send("ServiceWorker.enable")
        page.wait_for_timeout(300)
        registration = next(r for r in registrations if r["scopeURL"] == server.url + "/")
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": server.url, "registrationId": registration["registrationId"], "data": text.rstrip(" \x00"),
        })
        notifications: list[dict[str, Any]] = []
        for _ in range(100):  # bounded: up to ~10 s for the worker to show it
            notifications = page.evaluate(
                """() => navigator.serviceWorker.ready.then(r => r.getNotifications())
                     .then(ns => ns.map(n => ({title: n.title, body: n.body, data: n.data})))"""
            )
            if notifications:
                break
            page.wait_for_timeout(100)
        [notification] = notifications
        assert notification["title"] == "New protected message"
        assert "Merger" not in notification["body"] and "alice" not in notification["body"].lower()
        # notificationclick opens data.url (the target logic is unit-tested in pwa/tests/sw-notify.test.js:
        # a synthetic click event cannot call waitUntil, so Chromium's real click is the only other way).
        assert "/m/" in str(notification["data"])
    finally:
        context.close()
