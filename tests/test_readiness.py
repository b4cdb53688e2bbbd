"""`/readyz`: ready while the database, the blob store and the outbound queue answer and the oldest
queued mail is younger than `ready_queue_age_seconds`; each check named in a JSON answer that carries no
secret; `/healthz` stays the liveness answer."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailseal.readiness import CHECK_SECONDS
from support.mailseal_app import running_app
from support.s3 import CREDENTIALS


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port bound but not listening: an SMTP server that refuses every connection."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


async def test_ready_names_each_check(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        response = await app.http.get("/readyz")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "ok"
        assert [(c["name"], c["ok"]) for c in body["checks"]] == [("database", True), ("blobs", True), ("queue", True)]
        assert response.headers["cache-control"] == "no-store"
        assert (await app.http.get("/healthz")).status_code == 200


async def test_a_stuck_queue_is_not_ready_and_says_why_without_secrets(tmp_path: Path, closed_port: int) -> None:
    smtp_url = f"smtp://mailseal:hunter2-password@127.0.0.1:{closed_port}"
    async with running_app(tmp_path, smtp_url=smtp_url, ready_queue_age_seconds=60) as app:
        assert (await app.http.get("/readyz")).status_code == 200
        store = app.services.instance.store

        async def queue_an_old_mail() -> None:
            await store.mail_queue.add(mail_from="no-reply@localhost", recipients=("bob@gmail.com",),
                                       message=b"Subject: x\r\n\r\nx\r\n", at=int(time.time()) - 600)

        await app.in_app(queue_an_old_mail)
        response = await app.http.get("/readyz")
        assert response.status_code == 503, response.text
        checks = {c["name"]: c for c in response.json()["checks"]}
        assert checks["database"]["ok"] and checks["blobs"]["ok"]
        assert not checks["queue"]["ok"]
        assert "more than 60 s" in checks["queue"]["detail"]
        assert "hunter2" not in response.text and str(closed_port) not in response.text


async def test_an_unreachable_blob_store_is_not_ready(tmp_path: Path, closed_port: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    blob_url = f"s3://envelopes/mailseal?endpoint=http://127.0.0.1:{closed_port}&region=us-east-1"
    async with running_app(tmp_path, blob_url=blob_url) as app:
        began = time.monotonic()
        response = await app.http.get("/readyz")
        assert time.monotonic() - began < CHECK_SECONDS + 3, "a check that hangs is cut off"
        assert response.status_code == 503, response.text
        checks = {c["name"]: c for c in response.json()["checks"]}
        assert checks["database"]["ok"] and not checks["blobs"]["ok"]
        assert CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in response.text and str(closed_port) not in response.text
