"""Request ids: every HTTP answer carries `X-Request-Id`, every log line of that request names it, and an
incoming id is kept only from a trusted proxy (and only when it looks like an id). SMTP sessions get
their own id in their log lines too."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from mailseal.api.observe import observe_middleware
from support.log_capture import LOG_CAPTURE
from support.mailseal_app import running_app

HEX_ID = re.compile(r"[0-9a-f]{16}")


def records_since(start: int) -> list[dict[str, Any]]:
    return [json.loads(line) for line in LOG_CAPTURE.json_lines[start:]]


async def test_every_answer_has_its_own_id_and_its_log_lines_name_it(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        first = await app.http.get("/healthz")
        start = len(LOG_CAPTURE.json_lines)
        response = await app.post("/api/auth/code", json={"email": "bob@gmail.com"},
                                  headers={"X-Request-Id": "chosen-by-the-client"})
        assert response.status_code == 202
        request_id = response.headers["x-request-id"]
        assert HEX_ID.fullmatch(request_id), "a client that is not a trusted proxy does not choose the id"
        assert HEX_ID.fullmatch(first.headers["x-request-id"]) and first.headers["x-request-id"] != request_id
        await app.in_app(lambda: __import__("asyncio").sleep(0.2))  # the passcode mail is queued after the answer
        named = [r for r in records_since(start) if r["request_id"] == request_id]
        assert named, "no log line of the request names its id"
        assert all(r["request_id"] != "chosen-by-the-client" for r in records_since(start))
        missing = await app.http.get("/api/messages/" + "a" * 26)
        assert HEX_ID.fullmatch(missing.headers["x-request-id"]), "a problem answer has an id too"


async def test_an_smtp_session_names_its_id_in_its_log_lines(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        forward_address = (await app.http.get("/api/me")).json()["forwardAddress"]
        inbound = app.http.app.state.mail_listeners.inbound
        start = len(LOG_CAPTURE.json_lines)
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=inbound.port, timeout=10)
        await client.connect()
        for _ in range(2):  # two mails in one session: one id for both
            with pytest.raises(aiosmtplib.SMTPResponseException):
                await client.sendmail("someone@example.net", [forward_address],
                                      b"Subject: no sealed message here\r\n\r\nJust text.\r\n")
        await client.quit()
        refused = [r for r in records_since(start) if r["message"].startswith("inbound: mail refused")]
        assert len(refused) == 2
        assert {r["request_id"] for r in refused} != {"-"}
        assert len({r["request_id"] for r in refused}) == 1, "one session, one id"


async def _echo_id(trusted: tuple[str, ...], peer: str, incoming: bytes | None) -> str:
    """Run the middleware around a bare ASGI app; the id the answer carries."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    headers = [(b"x-request-id", incoming)] if incoming is not None else []
    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers, "client": (peer, 40000)}
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    await observe_middleware(app, trusted_proxies=trusted)(scope, receive, send)  # type: ignore[arg-type]
    return dict(sent[0]["headers"])[b"x-request-id"].decode()


@pytest.mark.parametrize(("trusted", "peer", "incoming", "kept"), [
    (("127.0.0.0/8",), "127.0.0.1", b"proxy-7f3a.1", True),       # the proxy's id joins the logs
    ((), "127.0.0.1", b"proxy-7f3a.1", False),                     # nobody trusted
    (("127.0.0.0/8",), "203.0.113.9", b"proxy-7f3a.1", False),     # not from the proxy
    (("127.0.0.0/8",), "127.0.0.1", b"two words", False),           # not the shape of an id
    (("127.0.0.0/8",), "127.0.0.1", b"x" * 65, False),              # too long for a log line
    (("127.0.0.0/8",), "127.0.0.1", b"id\r\nX-Injected: 1", False),
])
async def test_an_incoming_id_is_kept_only_from_a_trusted_proxy(
    trusted: tuple[str, ...], peer: str, incoming: bytes, kept: bool
) -> None:
    answered = await _echo_id(trusted, peer, incoming)
    assert (answered == incoming.decode()) is kept
    if not kept:
        assert HEX_ID.fullmatch(answered)
