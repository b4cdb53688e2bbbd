"""Large uploads do not stall the server: a real uvicorn on a free loopback port, anonymous 25 MB mails
posted to the share target, and the order of events (not clocks) shows `/healthz` answered while they
are being parsed; a full pool answers 503 with Retry-After; a parse past its time limit is stopped."""

from __future__ import annotations

import asyncio
import email.message
import email.policy
import io
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from mailseal import format as fmt
from mailseal.api.state import Services
from mailseal.jobs import JobEvent, JobLimits
from mailseal.messages.protect import protect
from mailseal.server import build_app
from mailseal.templates import policy_for
from support import job_probes
from support.mailseal_app import BASE_URL, make_settings, simple_mail

MiB = 1024 * 1024


class LiveApp:
    def __init__(self, client: httpx.AsyncClient, services: Services) -> None:
        self.http = client
        self.services = services

    async def seal_page(self) -> tuple[str, bytes]:
        """A message sealed here, and its `message.html`."""
        policy = policy_for("encrypt-only", expires_days=None, now=time.time())
        sealed = await protect(
            self.services.instance.messages, io.BytesIO(simple_mail()), sender="alice@example.org",
            recipients=("bob@gmail.com",), policy=policy, actor="test",
        )
        page = io.BytesIO()
        with self.services.instance.blobs.open(sealed.message_id) as envelope:
            fmt.armor(envelope, page, view_url=f"{BASE_URL}/m/{sealed.message_id}", org_name="Example",
                      sender="alice@example.org")
        return sealed.message_id, page.getvalue()

    async def share(self, content: bytes, name: str = "forwarded.eml") -> httpx.Response:
        return await self.http.post(
            "/share-target", files={"file": (name, content, "message/rfc822")},
            headers={"sec-fetch-site": "same-origin", "origin": BASE_URL},
        )


@asynccontextmanager
async def serving(data: Path, **overrides: Any) -> AsyncIterator[LiveApp]:
    """The app under uvicorn on this test's event loop, on a free port."""
    app = build_app(make_settings(data, **overrides))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            assert not task.done(), "the server did not start"
            await asyncio.sleep(0.01)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        async with httpx.AsyncClient(base_url=url, timeout=120, follow_redirects=False) as client:
            yield LiveApp(client, app.state.services)
    finally:
        server.should_exit = True
        await task
        sock.close()


def forwarded_mail(page: bytes, *, padding_mib: int) -> bytes:
    """A mail carrying `message.html` as a base64 attachment beside a large file: only a whole MIME parse
    finds the envelope (the cheap look at the top of the file does not)."""
    mail = email.message.EmailMessage(policy=email.policy.SMTP)
    mail["From"] = "bob@gmail.com"
    mail["To"] = "bob@in.localhost"
    mail["Subject"] = "Fwd: a protected message"
    mail.set_content("Forwarded.")
    mail.add_attachment(os.urandom(padding_mib * MiB), maintype="application", subtype="octet-stream",
                        filename="scan.pdf")
    mail.add_attachment(page, maintype="text", subtype="html", filename="message.html", cte="base64")
    return mail.as_bytes()


def upload_events(events: list[str], started: asyncio.Event) -> Any:
    def observe(event: JobEvent) -> None:
        if event.name == "anonymous upload":
            events.append(event.kind)
            if event.kind == "started":
                started.set()

    return observe


async def test_healthz_is_answered_while_six_large_uploads_are_parsed(tmp_path: Path) -> None:
    async with serving(tmp_path, jobs_workers=2, jobs_waiting=10) as app:  # anonymous: half of 12
        message_id, page = await app.seal_page()
        mail = forwarded_mail(page, padding_mib=18)
        assert len(mail) > 24 * MiB
        events: list[str] = []
        parsing = asyncio.Event()
        app.services.jobs.observer = upload_events(events, parsing)

        uploads = [asyncio.create_task(app.share(mail)) for _ in range(6)]
        await asyncio.wait_for(parsing.wait(), 90)  # never set when the parse runs on the loop
        health = await app.http.get("/healthz")
        at_health = list(events)
        assert health.status_code == 200
        assert at_health.count("started") > at_health.count("finished"), (
            f"a parse had started and not finished when /healthz was answered: {at_health}"
        )
        answers = await asyncio.gather(*uploads)
        assert [a.headers["location"] for a in answers] == [f"/m/{message_id}"] * 6
        assert events.count("finished") == 6


async def test_a_full_pool_answers_503_with_retry_after_and_cheap_shares_still_pass(tmp_path: Path) -> None:
    async with serving(tmp_path, jobs_workers=1, jobs_waiting=0) as app:
        message_id, page = await app.seal_page()
        started: list[str] = []
        busy = asyncio.Event()

        def observe(event: JobEvent) -> None:
            if event.kind == "started":
                started.append(event.name)
                busy.set()

        app.services.jobs.observer = observe
        holder = asyncio.create_task(app.services.jobs.run(job_probes.sleep, 3))
        await asyncio.wait_for(busy.wait(), 60)

        refused = await app.share(forwarded_mail(page, padding_mib=1))
        assert refused.status_code == 503, refused.text
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["code"] == "server.busy"
        # The page itself is recognised from its signed header, on the loop: no job, no wait.
        direct = await app.share(page, name="message.html")
        assert direct.status_code == 303 and direct.headers["location"] == f"/m/{message_id}"
        assert started == ["sleep"], "neither share became a job"
        await holder


async def test_a_parse_past_its_time_limit_is_stopped_and_answered(tmp_path: Path) -> None:
    async with serving(tmp_path, jobs_workers=1) as app:
        _, page = await app.seal_page()
        # The limit is a whole number of seconds in the settings; a hundredth makes this test quick.
        app.services.jobs.limits = JobLimits(workers=1, time_limit_seconds=0.01)
        events: list[JobEvent] = []
        app.services.jobs.observer = events.append
        answer = await app.share(forwarded_mail(page, padding_mib=18))
        assert answer.status_code == 303 and answer.headers["location"] == "/?error=server.job-timeout"
        assert [e.kind for e in events][:2] == ["started", "stopped"]
        assert (await app.http.get("/healthz")).status_code == 200
