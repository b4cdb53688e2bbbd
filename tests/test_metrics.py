"""Metrics through the real app: after a seal, an open, a refusal and a push, one scrape of `/metrics`
(with the admin token) finds each counted; without the token nothing is shown; no label carries an
address or a message id."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mailseal.admin_tokens import AdminTokens
from support.mailseal_app import MailsealClient, running_app, simple_mail
from support.push_service import LoopbackPushService
from support.secrets import remember

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def admin_token(app: MailsealClient) -> str:
    token, _ = await AdminTokens(app.services.instance.store).create("prometheus")
    remember(token)
    return token


async def scrape(app: MailsealClient, token: str) -> tuple[str, Samples]:
    response = await app.http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return response.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_a_seal_an_open_a_refusal_and_a_push_are_counted(tmp_path: Path) -> None:
    async with LoopbackPushService() as service, running_app(
        tmp_path, push_allow_loopback=True, push_contact="mailto:push@example.org"
    ) as app:
        token = await admin_token(app)
        await app.sign_in("bob@gmail.com")
        key = (await app.http.get("/api/push/key")).json()["publicKey"]
        subscription = service.new_subscription(key)
        assert (await app.post("/api/push/subscriptions", json=subscription)).status_code == 201
        _, before = await scrape(app, token)

        sealed = await app.seal(simple_mail(subject="Counted, not named"))
        await asyncio.wait_for(service.arrived(service.id_of(subscription)).wait(), timeout=10)
        await app.in_app(app.services.push.drain)
        route = "/api/messages/{message_id}"  # the template, whatever the id
        assert (await app.http.get(f"/api/messages/{sealed.message_id}")).status_code == 200
        assert (await app.http.get(f"/api/messages/{sealed.message_id}")).status_code == 200
        revoked = await app.http.post(f"/api/admin/messages/{sealed.message_id}/revoke",
                                      headers={"Authorization": f"Bearer {token}"})
        assert revoked.status_code == 200
        refused = await app.http.get(f"/api/messages/{sealed.message_id}")
        assert refused.status_code == 410 or refused.json()["code"] == "policy.revoked", refused.text

        text, after = await scrape(app, token)
        assert grew(before, after, "mailseal_seals_total") == 1
        assert grew(before, after, "mailseal_opens_total", purpose="open") >= 2
        assert grew(before, after, "mailseal_refusals_total", reason="policy.revoked") == 1
        assert grew(before, after, "mailseal_push_total", outcome="sent") == 1
        assert grew(before, after, "mailseal_view_cache_lookups_total", result="hit") >= 1
        assert grew(before, after, "mailseal_http_requests_total", route=route, method="GET", status="200") == 2
        assert grew(before, after, "mailseal_http_requests_total", route=route, method="GET",
                    status=str(refused.status_code)) == 1
        assert grew(before, after, "mailseal_http_request_duration_seconds_count", route=route, method="GET") == 3
        # The Maildir outbox holds bob's passcode mail: the queue's depth is read at each scrape.
        assert value(after, "mailseal_mail_queue_depth") == len(app.outbox.list()) == 1
        for private in (sealed.message_id, "bob@gmail.com", "alice@example.org", "Counted, not named", token):
            assert private not in text


async def test_metrics_need_the_admin_token(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")  # a person's session is not an admin's token
        for headers in ({}, {"Authorization": "Bearer mailseal_admin_" + "A" * 43}):
            response = await app.http.get("/metrics", headers=headers)
            assert response.status_code == 401, response.text
            assert "mailseal_" not in response.text


async def test_smtp_sessions_and_answers_are_counted_by_listener(tmp_path: Path) -> None:
    import aiosmtplib

    async with running_app(tmp_path) as app:
        token = await admin_token(app)
        _, before = await scrape(app, token)
        inbound = app.http.app.state.mail_listeners.inbound
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=inbound.port, timeout=10)
        await client.connect()
        await client.mail("someone@example.net")
        code = 0
        try:
            await client.rcpt("nobody-here@in.localhost")
        except aiosmtplib.SMTPRecipientRefused as exc:
            code = exc.code
        await client.quit()
        assert code == 550
        _, after = await scrape(app, token)
        assert grew(before, after, "mailseal_smtp_sessions_total", listener="inbound") == 1
        assert grew(before, after, "mailseal_smtp_replies_total", listener="inbound", answer="5xx") >= 1
        assert grew(before, after, "mailseal_smtp_replies_total", listener="inbound", answer="2xx") >= 3
        assert grew(before, after, "mailseal_smtp_sessions_total", listener="relay") == 0

        # A session that spends its budget of commands without mail is closed with 421: counted as 4xx too.
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=inbound.port, timeout=10)
        await client.connect()
        with pytest.raises(aiosmtplib.SMTPResponseException) as closed:
            for _ in range(100):
                await client.noop()
        assert closed.value.code == 421
        client.close()
        _, last = await scrape(app, token)
        assert grew(after, last, "mailseal_smtp_replies_total", listener="inbound", answer="4xx") == 1


async def test_metrics_on_their_own_listener_still_need_the_token(tmp_path: Path) -> None:
    import httpx

    async with running_app(tmp_path, metrics_listen="127.0.0.1:0") as app:
        token = await admin_token(app)
        port = app.http.app.state.metrics_listener.port
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            assert (await http.get("/metrics")).status_code == 401
            assert (await http.get("/metrics", headers={"Authorization": "Bearer nope"})).status_code == 401
            assert (await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})).status_code == 404
            response = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        assert "mailseal_seals_total" in response.text and "mailseal_mail_queue_depth" in response.text


def test_metrics_listen_is_checked(tmp_path: Path) -> None:
    import pytest

    from mailseal.config import load_settings
    from mailseal.errors import SettingError

    assert load_settings({}, data=str(tmp_path), metrics_listen="127.0.0.1:9464").metrics_listen == "127.0.0.1:9464"
    for wrong in ("9464", "localhost:http", "127.0.0.1:70000"):
        with pytest.raises(SettingError, match="metrics_listen"):
            load_settings({}, data=str(tmp_path), metrics_listen=wrong)
    with pytest.raises(SettingError, match="log_format"):
        load_settings({}, data=str(tmp_path), log_format="xml")
