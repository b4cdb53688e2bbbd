"""A real Mailseal app for tests: data folder in tmp, Maildir outbox, Litestar's async test client.

The base URL is https so that the `__Host-` session cookie (Secure) is sent back, as a browser would.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
import re
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from litestar.testing import AsyncTestClient

from mailseal.api.state import Services
from mailseal.config import Settings
from mailseal.mail.outbox import MaildirOutbox
from mailseal.messages.protect import Sealed, protect
from mailseal.server import build_app
from mailseal.templates import policy_for
from support.engines import storage_settings
from support.secrets import remember

BASE_URL = "https://mailseal.test"
CODE = re.compile(r"\b(\d{4} \d{4} \d{4} \d{4}|\d{8})\b")
T = TypeVar("T")


def make_settings(data: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data": str(data), "public_url": BASE_URL, "dev": True, "org_domains": ("example.org",),
        "relay_port": 0, "inbound_port": 0,  # free ports: tests never collide with a running server
    }
    values.update(storage_settings(overrides))
    values.update(overrides)
    return Settings(**values)


class MailsealClient:
    """The test client plus what a test needs to act as a person: CSRF header, codes from the outbox."""

    def __init__(self, client: AsyncTestClient[Any], settings: Settings) -> None:
        self.http = client
        self.settings = settings

    @property
    def services(self) -> Services:
        services: Services = self.http.app.state.services
        return services

    @property
    def outbox(self) -> MaildirOutbox:
        return MaildirOutbox(self.settings.data_path / "outbox")

    async def csrf(self) -> dict[str, str]:
        if "csrftoken" not in self.http.cookies:
            await self.http.get("/healthz")
        return {"x-csrftoken": self.http.cookies["csrftoken"]}

    async def post(self, url: str, **kwargs: Any) -> Any:
        headers = {**(await self.csrf()), **kwargs.pop("headers", {})}
        return await self.http.post(url, headers=headers, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> Any:
        headers = {**(await self.csrf()), **kwargs.pop("headers", {})}
        return await self.http.delete(url, headers=headers, **kwargs)

    def last_mail_to(self, address: str) -> email.message.EmailMessage:
        entries = [e for e in self.outbox.list() if address in e.recipients]
        assert entries, f"no mail to {address} in the outbox"
        latest = max(entries, key=lambda e: (e.written_at, e.key))
        message = email.message_from_bytes(self.outbox.read(latest.key), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        return message

    def code_for(self, address: str) -> str:
        body = self.last_mail_to(address).get_body(preferencelist=("plain",))
        assert body is not None
        found = CODE.search(body.get_content())
        assert found, "no 8- or 16-digit code in the passcode mail"
        code = found.group(1).replace(" ", "")
        remember(code)
        return code

    async def sign_in(self, address: str) -> dict[str, Any]:
        response = await self.post("/api/auth/code", json={"email": address})
        assert response.status_code == 202, response.text
        response = await self.post("/api/auth/verify", json={"email": address, "code": self.code_for(address)})
        assert response.status_code == 200, response.text
        remember(self.http.cookies.get("__Host-mailseal", ""))
        result: dict[str, Any] = response.json()
        return result

    async def seal(
        self, raw: bytes, *, sender: str = "alice@example.org", recipients: Sequence[str] = ("bob@gmail.com",),
        template: str = "encrypt-only", expires_days: int | None = None,
    ) -> Sealed:
        import time

        async def run() -> Sealed:
            return await protect(
                self.services.instance.messages, io.BytesIO(raw), sender=sender, recipients=recipients,
                policy=policy_for(template, expires_days=expires_days, now=time.time()), actor="test",
            )

        return await self.in_app(run)

    async def in_app(self, function: Any, *args: Any) -> Any:
        """Run a coroutine function on the app's own event loop (the test client runs it in a portal)."""
        return await asyncio.to_thread(self.http.blocking_portal.call, function, *args)

    async def run(self, awaitable: Awaitable[T]) -> T:
        """Await a service call on the app's own event loop: `await app.run(app.services.x.y(...))`.

        The test client runs the app in a thread with a loop of its own; a PostgreSQL pool belongs to the
        loop that opened it and refuses calls from the test's loop (`WrongEventLoop`), where SQLite's
        engine, working through a thread, would not notice."""

        async def on_app_loop() -> T:
            return await awaitable

        result: T = await self.in_app(on_app_loop)
        return result

    def envelope_bytes(self, message_id: str) -> bytes:
        with self.services.instance.blobs.open(message_id) as handle:
            return handle.read()


@asynccontextmanager
async def running_app(data: Path, **overrides: Any) -> AsyncIterator[MailsealClient]:
    settings = make_settings(data, **overrides)
    app = build_app(settings)
    async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
        yield MailsealClient(client, settings)


def simple_mail(subject: str = "Quarterly numbers", body: str = "The numbers are good.", *,
                html: str | None = None, attachment: tuple[str, str, bytes] | None = None,
                sender: str = "alice@example.org", to: str = "bob@gmail.com") -> bytes:
    remember(subject, body)
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Alice Example <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Fri, 27 Nov 2026 09:00:00 +0000"
    message["Message-ID"] = "<original-1@example.org>"
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    if attachment is not None:
        name, ctype, data = attachment
        maintype, subtype = ctype.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()
