"""A person's browser against real `mailseal serve` processes: cookies, the CSRF header, codes by mail.

The server's cookies are `Secure`; a browser sends them to `http://127.0.0.1` (loopback counts as a
secure context), where Python's cookie jar would not, so this client keeps them itself. One `Browser`
can talk to several servers of one installation, as it would behind a load balancer: the session
cookie made by one is sent to the other.
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import re
import time
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx

from mailseal.mail.outbox import MaildirOutbox
from support.live_server import LiveServer
from support.secrets import remember

CODE = re.compile(r"\b(\d{8})\b")
SESSION_COOKIE = "__Host-mailseal"


class Browser:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.cookies: dict[str, str] = {}

    async def request(self, server: LiveServer, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {})}
        if self.cookies:
            headers["cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if method not in ("GET", "HEAD") and "csrftoken" in self.cookies:
            headers["x-csrftoken"] = self.cookies["csrftoken"]
        response = await self.http.request(method, server.url + path, headers=headers, **kwargs)
        self._keep(response)
        return response

    def _keep(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    async def get(self, server: LiveServer, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request(server, "GET", path, **kwargs)

    async def post(self, server: LiveServer, path: str, **kwargs: Any) -> httpx.Response:
        if "csrftoken" not in self.cookies:
            await self.get(server, "/healthz")
        return await self.request(server, "POST", path, **kwargs)

    async def ask_code(self, server: LiveServer, address: str) -> httpx.Response:
        return await self.post(server, "/api/auth/code", json={"email": address})

    async def verify(self, server: LiveServer, address: str, code: str) -> httpx.Response:
        return await self.post(server, "/api/auth/verify", json={"email": address, "code": code})

    async def sign_in(self, server: LiveServer, address: str) -> None:
        """Ask `server` for a code, read it from that server's outbox, verify it there."""
        before = len(mails_to(server.data, address))
        assert (await self.ask_code(server, address)).status_code == 202
        # The passcode mail is written just after the answer (so timing tells nothing): wait for it.
        code = await wait_for_code(server.data, address, after=before)
        response = await self.verify(server, address, code)
        assert response.status_code == 200, response.text
        remember(self.cookies.get(SESSION_COOKIE, ""))


def mails_to(data: Path, address: str) -> list[email.message.EmailMessage]:
    """The mails in a server's Maildir outbox to `address`, oldest first."""
    outbox = MaildirOutbox(data / "outbox")
    entries = sorted((e for e in outbox.list() if address in e.recipients), key=lambda e: (e.written_at, e.key))
    found = []
    for entry in entries:
        message = email.message_from_bytes(outbox.read(entry.key), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        found.append(message)
    return found


def code_in(message: email.message.EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = CODE.search(body.get_content())
    assert found, "no 8-digit code in the passcode mail"
    remember(found.group(1))
    return found.group(1)


async def wait_for_code(data: Path, address: str, *, after: int, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        mails = mails_to(data, address)
        if len(mails) > after:
            return code_in(mails[-1])
        assert time.monotonic() < deadline, f"no passcode mail to {address} in {data / 'outbox'}"
        await asyncio.sleep(0.05)
