"""Downloading a file that lives inside a part (a uuencoded block, a TNEF entry) unpacks it in the job
pool, not on a thread of the server: the pool's events show the job, a job past its time limit is
stopped and answered with its problem, and a full pool answers 503 with Retry-After."""

from __future__ import annotations

import asyncio
import binascii
import email.message
import email.policy
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import tnefparse

from mailseal.jobs import JobEvent, JobLimits
from support.corpora import corpora_path
from support.mailseal_app import MailsealClient, running_app

FILE = bytes(range(256)) * 400  # 100 KiB: its uuencoded text is a large text part


def uuencoded_mail(data: bytes = FILE) -> bytes:
    lines = [binascii.b2a_uu(data[i:i + 45]).decode().rstrip("\n") for i in range(0, len(data), 45)]
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"], message["To"], message["Subject"] = "alice@example.org", "bob@gmail.com", "Old client"
    message.set_content("Here is the file.\n\nbegin 644 table.bin\n" + "\n".join(lines) + "\n`\nend\n")
    return message.as_bytes()


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[MailsealClient]:
    async with running_app(tmp_path) as running:
        await running.sign_in("bob@gmail.com")
        yield running


async def offered(app: MailsealClient, raw: bytes) -> tuple[str, dict[str, dict[str, Any]]]:
    sealed = await app.seal(raw)
    view = await app.http.get(f"/api/messages/{sealed.message_id}")
    assert view.status_code == 200, view.text
    return sealed.message_id, {a["filename"]: a for a in view.json()["attachments"]}


def watch(app: MailsealClient) -> list[tuple[str, str]]:
    events: list[tuple[str, str]] = []

    def seen(event: JobEvent) -> None:
        events.append((event.kind, event.name))

    app.services.jobs.observer = seen
    return events


async def test_a_uuencoded_file_is_unpacked_in_the_pool(app: MailsealClient) -> None:
    message_id, files = await offered(app, uuencoded_mail())
    events = watch(app)
    answer = await app.http.get(f"/api/messages/{message_id}/attachments/{files['table.bin']['index']}")
    assert answer.status_code == 200 and answer.content == FILE
    assert ("started", "unpack") in events and ("finished", "unpack") in events


async def test_tnef_files_are_unpacked_in_the_pool(app: MailsealClient) -> None:
    path = corpora_path() / "tnef" / "two-files.tnef"
    if not path.is_file():
        pytest.skip("the shared corpora (tnef/) are not here")
    blob = path.read_bytes()
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"], message["To"], message["Subject"] = "alice@example.org", "bob@gmail.com", "Outlook"
    message.set_content("")
    message.add_attachment(blob, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    message_id, files = await offered(app, message.as_bytes())
    events = watch(app)
    for entry in tnefparse.TNEF(blob).attachments:
        index = files[entry.long_filename() or entry.name]["index"]
        answer = await app.http.get(f"/api/messages/{message_id}/attachments/{index}")
        assert answer.status_code == 200 and answer.content == entry.data
    assert events.count(("started", "unpack")) == len(tnefparse.TNEF(blob).attachments)


async def test_a_file_of_its_own_in_a_small_message_is_streamed_without_a_job(app: MailsealClient) -> None:
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"], message["To"], message["Subject"] = "alice@example.org", "bob@gmail.com", "Report"
    message.set_content("See the report.")
    message.add_attachment(FILE, maintype="application", subtype="pdf", filename="report.pdf")
    message_id, files = await offered(app, message.as_bytes())
    events = watch(app)
    answer = await app.http.get(f"/api/messages/{message_id}/attachments/{files['report.pdf']['index']}")
    assert answer.status_code == 200 and answer.content == FILE
    assert events == []


async def test_an_unpacking_past_its_time_limit_is_stopped_and_answered(app: MailsealClient) -> None:
    message_id, files = await offered(app, uuencoded_mail())
    app.services.jobs.limits = JobLimits(workers=1, time_limit_seconds=0.001)
    events = watch(app)
    answer = await app.http.get(f"/api/messages/{message_id}/attachments/{files['table.bin']['index']}")
    assert answer.status_code == 503 and answer.json()["code"] == "server.job-timeout"
    assert ("stopped", "unpack") in events


async def test_unpacking_beyond_the_pools_places_is_answered_503_with_retry_after(app: MailsealClient) -> None:
    message_id, files = await offered(app, uuencoded_mail())
    app.services.jobs.limits = JobLimits(workers=1, waiting=0)
    url = f"/api/messages/{message_id}/attachments/{files['table.bin']['index']}"
    events = watch(app)
    # The pool lives on the app's event loop (the test client's portal): a job that holds its one place.
    holding = asyncio.wrap_future(app.http.blocking_portal.start_task_soon(
        lambda: app.services.jobs.run(time.sleep, 1.0, name="hold")))
    async with asyncio.timeout(30):
        while ("started", "hold") not in events:
            await asyncio.sleep(0.01)
    busy = await app.http.get(url)
    assert busy.status_code == 503 and busy.json()["code"] == "server.busy"
    assert int(busy.headers["retry-after"]) >= 1
    await holding
    assert (await app.http.get(url)).content == FILE
