"""The SMTP listeners on the server's own event loop: the relay and the inbound listener.

aiosmtpd's `Controller` runs its own loop in a thread; our handlers share the database and the outbound
transport with the web app, so they must run on the app's loop. `SmtpListener` is a plain
`loop.create_server` with aiosmtpd's protocol, a bound on concurrent connections (the next one gets
421 and is closed), and an idle timeout.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthenticatorType

from mailseal.errors import ConfigError
from mailseal.mail import smtp_status as status
from mailseal.mail.smtp_log import quiet_protocol_log
from mailseal.mail.smtp_session import is_loopback

log = logging.getLogger("mailseal.mail.listeners")

BUILTIN_AUTH_MECHANISMS = ("LOGIN", "PLAIN")
MAX_CONNECTIONS = 100
IDLE_TIMEOUT_SECONDS = 120.0


class _Refusal(asyncio.Protocol):
    """Answers a connection over the limit with 421 and closes it."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if isinstance(transport, asyncio.WriteTransport):
            transport.write(status.TOO_MANY_CONNECTIONS.encode("ascii") + b"\r\n")
        transport.close()


class _Connection(SMTP):
    """aiosmtpd's protocol, telling its listener when it ends, and allowing AUTH without TLS on loopback."""

    def __init__(self, listener: SmtpListener, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._listener = listener

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self._listener.plain_auth_on_loopback and is_loopback(transport.get_extra_info("peername")):
            # Loopback traffic cannot be read off a network: AUTH may go without TLS there.
            self._auth_require_tls = False

    def connection_lost(self, error: Exception | None) -> None:
        self._listener.forget(self)
        super().connection_lost(error)


def tls_context_from_files(cert_file: str, key_file: str) -> ssl.SSLContext | None:
    """A server context for STARTTLS, or None when neither file is set."""
    if not cert_file and not key_file:
        return None
    if not cert_file or not key_file:
        raise ConfigError("relay_tls_cert_file and relay_tls_key_file go together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(Path(cert_file), Path(key_file))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError("the relay's TLS certificate or key cannot be loaded") from exc
    return context


class SmtpListener:
    """One SMTP server socket serving `handler` (an object with aiosmtpd `handle_*` hooks)."""

    def __init__(
        self,
        handler: Any,
        *,
        name: str,
        host: str,
        port: int,
        hostname: str,
        data_size_limit: int,
        tls_context: ssl.SSLContext | None = None,
        authenticator: AuthenticatorType | None = None,
        plain_auth_on_loopback: bool = False,
        max_connections: int = MAX_CONNECTIONS,
        timeout: float = IDLE_TIMEOUT_SECONDS,
    ) -> None:
        self.handler = handler
        self.name = name
        self.host = host
        self.requested_port = port
        self.hostname = hostname
        self.data_size_limit = data_size_limit
        self.tls_context = tls_context
        self.authenticator = authenticator
        self.plain_auth_on_loopback = plain_auth_on_loopback and authenticator is not None
        self.max_connections = max_connections
        self.timeout = timeout
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()

    @property
    def port(self) -> int:
        """The bound port (the requested one, or the one the system chose for port 0)."""
        if self._server is None or not self._server.sockets:
            return self.requested_port
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def running(self) -> bool:
        return self._server is not None

    def forget(self, connection: _Connection) -> None:
        self._connections.discard(connection)

    def _protocol(self) -> asyncio.BaseProtocol:
        if len(self._connections) >= self.max_connections:
            log.warning("%s: connection refused, %d already open", self.name, len(self._connections))
            return _Refusal()
        connection = _Connection(
            self,
            self.handler,
            data_size_limit=self.data_size_limit,
            hostname=self.hostname,
            ident=status.GREETING_IDENT,
            tls_context=self.tls_context,
            timeout=self.timeout,
            authenticator=self.authenticator,
            auth_exclude_mechanism=() if self.authenticator else BUILTIN_AUTH_MECHANISMS,
            loop=asyncio.get_running_loop(),
        )
        self._connections.add(connection)
        return connection

    async def start(self) -> None:
        if self._server is not None:
            return
        quiet_protocol_log()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, host=self.host, port=self.requested_port)
        log.info("%s listening on %s:%d", self.name, self.host, self.port)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for connection in list(self._connections):
            if connection.transport is not None and not connection.transport.is_closing():
                connection.transport.close()
        self._connections.clear()
        await server.wait_closed()


class MailListeners:
    """The relay and the inbound listener, started and stopped together."""

    def __init__(self, relay: SmtpListener, inbound: SmtpListener) -> None:
        self.relay = relay
        self.inbound = inbound

    @property
    def all(self) -> Sequence[SmtpListener]:
        return (self.relay, self.inbound)

    async def start(self, *, required: bool = True) -> None:
        """Start both; with `required=False` a listener whose port is taken is logged and left off."""
        started: list[SmtpListener] = []
        try:
            for listener in self.all:
                try:
                    await listener.start()
                except OSError as exc:
                    if required:
                        raise
                    log.error("%s not started: %s:%d: %s", listener.name, listener.host, listener.port, exc.strerror)
                    continue
                started.append(listener)
        except BaseException:
            for listener in started:
                await listener.stop()
            raise

    async def stop(self) -> None:
        for listener in self.all:
            await listener.stop()
