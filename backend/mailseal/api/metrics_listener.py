"""`metrics_listen`: `/metrics` on a listener of its own (a private address the scraper reaches, apart from
the public proxy), still behind the admin token. Off unless set.

One GET per connection, parsed by h11 (uvicorn's HTTP/1.1 parser): a second uvicorn server in the same
process would take over the main server's signal handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import h11

from mailseal.errors import AdminTokenRequired

log = logging.getLogger("mailseal.api.metrics_listener")

MAX_REQUEST_BYTES = 16 * 1024
READ_SECONDS = 10.0
Scrape = Callable[[], Awaitable[tuple[bytes, str]]]
Authorize = Callable[[str], Awaitable[object]]


async def _answer(conn: h11.Connection, writer: asyncio.StreamWriter, status: int, body: bytes,
                  content_type: str = "text/plain; charset=utf-8", extra: tuple[tuple[str, str], ...] = ()) -> None:
    headers = [("content-type", content_type), ("content-length", str(len(body))), ("connection", "close"),
               ("cache-control", "no-store"), *extra]
    writer.write(conn.send(h11.Response(status_code=status, headers=headers)) or b"")
    writer.write(conn.send(h11.Data(data=body)) or b"")
    writer.write(conn.send(h11.EndOfMessage()) or b"")
    await writer.drain()


async def _read_request(conn: h11.Connection, reader: asyncio.StreamReader) -> h11.Request | None:
    received = 0
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(4096)
            received += len(data)
            if received > MAX_REQUEST_BYTES:
                return None
            conn.receive_data(data)
            continue
        return event if isinstance(event, h11.Request) else None


class MetricsListener:
    def __init__(self, address: str, *, scrape: Scrape, authorize: Authorize) -> None:
        host, _, port = address.rpartition(":")
        self.host = host.strip("[]")
        self.requested_port = int(port)
        self._scrape = scrape
        self._authorize = authorize
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            return self.requested_port
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, host=self.host, port=self.requested_port)
        log.info("metrics listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)
        try:
            request = await asyncio.wait_for(_read_request(conn, reader), READ_SECONDS)
            if request is None:
                return
            await self._respond(conn, writer, request)
        except (TimeoutError, h11.ProtocolError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _respond(self, conn: h11.Connection, writer: asyncio.StreamWriter, request: h11.Request) -> None:
        if request.target.split(b"?")[0] != b"/metrics" or request.method != b"GET":
            await _answer(conn, writer, 404, b"not found\n")
            return
        authorization = dict(request.headers).get(b"authorization", b"").decode("latin-1")
        scheme, _sep, token = authorization.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise AdminTokenRequired()
            await self._authorize(token.strip())
        except AdminTokenRequired:
            await _answer(conn, writer, 401, b"an admin token is needed (Authorization: Bearer ...)\n",
                          extra=(("www-authenticate", "Bearer"),))
            return
        body, content_type = await self._scrape()
        await _answer(conn, writer, 200, body, content_type)
