"""The SMTP listeners on the server's own event loop: the relay and the inbound listener.

aiosmtpd's `Controller` runs its own loop in a thread; our handlers share the database and the outbound
transport with the web app, so they must run on the app's loop. `SmtpListener` is a plain
`loop.create_server` with aiosmtpd's protocol and the bounds of `SessionLimits`: connections in all and
per client (the next one gets 421 and is closed before any session starts), an idle timeout, a deadline
for the whole session, and a budget of commands that move no mail.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, AnyStr, Final, cast

from aiosmtpd.smtp import SMTP, AuthenticatorType

from mailseal import log_context, metrics
from mailseal.errors import ConfigError
from mailseal.mail import smtp_status
from mailseal.mail import smtp_status as status
from mailseal.mail.foreign import SNIFF_BYTES, not_email
from mailseal.mail.smtp_limits import (
    COMMANDS_WITHOUT_MAIL,
    COUNTED_WHEN_REFUSED,
    ConnectionTally,
    SessionLimits,
    client_key,
)
from mailseal.mail.smtp_log import quiet_protocol_log
from mailseal.mail.smtp_session import is_loopback

log = logging.getLogger("mailseal.mail.listeners")

BUILTIN_AUTH_MECHANISMS = ("LOGIN", "PLAIN")
CRLF: Final = b"\r\n"

Command = Callable[[str | None], Awaitable[None]]


def _close_with(transport: asyncio.BaseTransport, reply: str) -> None:
    """Send a last reply and close. A TCP transport can always write; uvloop's are not `WriteTransport`
    subclasses, so no `isinstance` check here (one silently dropped the reply under uvicorn)."""
    if not transport.is_closing():
        cast(asyncio.Transport, transport).write(reply.encode("ascii") + CRLF)
    transport.close()


class _Gate(asyncio.Protocol):
    """The first protocol of every connection: once the client's address is known, the listener either
    hands the connection to an SMTP session or refuses it with 421 (no session, no handler, no reads)."""

    def __init__(self, listener: SmtpListener) -> None:
        self._listener = listener

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        connection = self._listener.admit(transport)
        if connection is not None:
            transport.set_protocol(connection)
            connection.connection_made(transport)


LINE_TOO_LONG: Final = "500 Line too long"


class _Connection(SMTP):
    """aiosmtpd's protocol within the listener's `SessionLimits`, telling its listener when it ends, and
    allowing AUTH without TLS on loopback."""

    def __init__(self, listener: SmtpListener, client: str, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._listener = listener
        self.client = client
        self._limits = listener.limits
        self._deadline: asyncio.TimerHandle | None = None
        self._expired = False
        self._in_data = False
        self._data_head = bytearray()
        self._last_reply = ""
        self._commands_without_mail = 0
        for command in COMMANDS_WITHOUT_MAIL | COUNTED_WHEN_REFUSED:
            if command in self._smtp_methods:
                self._smtp_methods[command] = self._counted(command, self._smtp_methods[command])
        self._smtp_methods["DATA"] = self._finishing(self._smtp_methods["DATA"])

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._deadline is None:
            # Before aiosmtpd starts the session's task, which copies this context: its log lines name the id.
            log_context.start_work()
        super().connection_made(transport)  # again after STARTTLS, with the TLS transport
        if self._deadline is None:  # the first time: a new session, not the same one after STARTTLS
            metrics.smtp_session(self._listener.name)
            self._deadline = self.loop.call_later(self._limits.session_seconds, self._deadline_passed)
        if self._listener.plain_auth_on_loopback and is_loopback(transport.get_extra_info("peername")):
            # Loopback traffic cannot be read off a network: AUTH may go without TLS there.
            self._auth_require_tls = False

    def connection_lost(self, error: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._listener.forget(self)
        super().connection_lost(error)

    async def push(self, status: AnyStr) -> None:
        if self._in_data and isinstance(status, str) and status.startswith(LINE_TOO_LONG):
            refusal = not_email(bytes(self._data_head))  # an Outlook .msg or a .zip sent as a mail
            if refusal is not None:
                status = smtp_status.status_for(refusal)
        self._last_reply = status if isinstance(status, str) else status.decode("ascii", "replace")
        metrics.smtp_reply(self._listener.name, self._last_reply)
        await super().push(status)

    def _close_with(self, reply: str) -> None:
        """The session's last reply, counted like every other, then the end of the connection."""
        if self.transport is not None:
            metrics.smtp_reply(self._listener.name, reply)
            _close_with(self.transport, reply)

    def _record_data_head(self) -> Callable[[], None]:
        """Keep the first bytes of DATA (aiosmtpd drops a mail with a too long line before our handler
        sees it), so that a binary file sent as a mail is named instead of "Line too long"."""
        reader = self._reader
        readuntil, read = reader.readuntil, reader.read
        self._data_head = bytearray()

        def keep(data: bytes) -> bytes:
            if len(self._data_head) < SNIFF_BYTES:
                self._data_head += data[: SNIFF_BYTES - len(self._data_head)]
            return data

        async def recording_readuntil(separator: bytes = b"\n") -> bytes:
            return keep(await readuntil(separator))

        async def recording_read(n: int = -1) -> bytes:
            return keep(await read(n))

        reader.readuntil = recording_readuntil  # type: ignore[method-assign, assignment]
        reader.read = recording_read  # type: ignore[method-assign]

        def restore() -> None:
            reader.readuntil, reader.read = readuntil, read  # type: ignore[method-assign]

        return restore

    def _deadline_passed(self) -> None:
        """The session has had its time: close it now, or right after the reply to a mail being received."""
        self._expired = True
        if self._in_data or self.transport is None:
            return
        log.info("%s: session of %s closed at its deadline", self._listener.name, self.client)
        self._close_with(status.SESSION_TOO_LONG)

    def _counted(self, command: str, method: Command) -> Command:
        """A command that moves no mail spends the budget (NOOP and its kind always; AUTH, MAIL and RCPT
        when refused); past it, the session gets 421 and is closed."""
        always = command in COMMANDS_WITHOUT_MAIL

        @functools.wraps(method)
        async def counted(arg: str | None) -> None:
            if always:
                self._commands_without_mail += 1
                if self._over_budget(command):
                    return
            await method(arg)
            if not always and not status.is_success(self._last_reply):
                self._commands_without_mail += 1
                self._over_budget(command)

        return counted

    def _over_budget(self, command: str) -> bool:
        if self._commands_without_mail <= self._limits.max_commands_without_mail or self.transport is None:
            return False
        log.info("%s: session of %s closed after too many commands without a mail (the last: %s)",
                 self._listener.name, self.client, command)
        self._close_with(status.TOO_MANY_COMMANDS_WITHOUT_MAIL)
        return True

    def _finishing(self, method: Command) -> Command:
        """DATA: an accepted mail renews the budget of commands; a deadline that passed during it closes after."""

        @functools.wraps(method)
        async def data(arg: str | None) -> None:
            self._in_data = True
            restore = self._record_data_head()
            try:
                await method(arg)
            finally:
                restore()
                self._in_data = False
                self._data_head = bytearray()
            if status.is_success(self._last_reply):
                self._commands_without_mail = 0
            if self._expired and self.transport is not None:
                self._close_with(status.SESSION_TOO_LONG)

        return data


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
        limits: SessionLimits | None = None,
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
        self.limits = limits or SessionLimits()
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._tally = ConnectionTally(self.limits)
        self._told: set[str] = set()  # clients (and "total") whose refusal was logged, until they drop below

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

    def admit(self, transport: asyncio.BaseTransport) -> _Connection | None:
        """A session for a new connection, or None after refusing it with 421 for the bound it would break."""
        client = client_key(transport.get_extra_info("peername"))
        refusal = self._tally.refusal(client)
        if refusal is not None:
            self._log_refusal(client, refusal)
            reply = status.TOO_MANY_CONNECTIONS if refusal == "total" else status.TOO_MANY_CLIENT_CONNECTIONS
            metrics.smtp_reply(self.name, reply)
            _close_with(transport, reply)
            return None
        connection = _Connection(
            self,
            client,
            self.handler,
            data_size_limit=self.data_size_limit,
            hostname=self.hostname,
            ident=status.GREETING_IDENT,
            tls_context=self.tls_context,
            timeout=self.limits.idle_seconds,
            authenticator=self.authenticator,
            auth_exclude_mechanism=() if self.authenticator else BUILTIN_AUTH_MECHANISMS,
            loop=asyncio.get_running_loop(),
        )
        self._connections.add(connection)
        self._tally.add(client)
        return connection

    def forget(self, connection: _Connection) -> None:
        if connection in self._connections:
            self._connections.discard(connection)
            self._tally.remove(connection.client)
            self._told.discard(connection.client)
            self._told.discard("total")

    def open_from(self, client: str) -> int:
        """How many connections `client` (a `client_key`) holds now."""
        return self._tally.of(client)

    def _log_refusal(self, client: str, refusal: str) -> None:
        """One line when a client (or everyone) reaches a bound, not one per refused connection."""
        told = "total" if refusal == "total" else client
        if told in self._told:
            return
        self._told.add(told)
        if refusal == "total":
            log.warning("%s: refusing connections, %d open (the limit)", self.name, self._tally.total)
        else:
            log.warning("%s: refusing connections from %s, %d open from there (the limit)",
                        self.name, client, self._tally.of(client))

    def _protocol(self) -> asyncio.BaseProtocol:
        return _Gate(self)

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
        self._tally.clear()
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
