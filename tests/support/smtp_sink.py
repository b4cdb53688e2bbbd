"""A real SMTP server on 127.0.0.1 that records what it receives: the other end of our SMTP client.

Built on aiosmtpd, running in the test's own event loop. Optional STARTTLS or implicit TLS with a
self-signed certificate made here by `cryptography` (the client trusts it through `client_context()`),
optional AUTH LOGIN/PLAIN, and scripted answers (`data_replies`, `rcpt_replies`) to play a server that
says 451 or 550. `hold_data` keeps a DATA command waiting, to cut a send off before the 250.

    async with SmtpSink() as sink:
        ...send to sink.url...
        await sink.wait_for(1)
        assert sink.received[0].rcpt_tos == ["bob@example.org"]
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"
ACCEPTED = "250 2.0.0 OK: queued"
RCPT_OK = "250 2.1.5 OK"


class SelfSignedCert:
    """A P-256 key and a self-signed certificate for 127.0.0.1 and localhost."""

    def __init__(self) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        self.cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        self.key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory() as folder:
            cert_file, key_file = Path(folder) / "cert.pem", Path(folder) / "key.pem"
            cert_file.write_bytes(self.cert_pem)
            key_file.write_bytes(self.key_pem)
            context.load_cert_chain(cert_file, key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only this certificate (hostname checked)."""
        return ssl.create_default_context(cadata=self.cert_pem.decode("ascii"))


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None
    tls: bool


@dataclass
class SmtpSink:
    """The server. Set `port` to reuse a port (a server that comes back up)."""

    port: int = 0
    starttls: bool = False
    implicit_tls: bool = False
    auth: tuple[str, str] | None = None
    cert: SelfSignedCert | None = None
    received: list[ReceivedMail] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    hold_data: asyncio.Event | None = None
    data_started: asyncio.Event = field(default_factory=asyncio.Event)
    auth_failures: int = 0
    _server: asyncio.base_events.Server | None = None
    _connections: list[SMTP] = field(default_factory=list)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        userinfo = ""
        if self.auth:
            userinfo = f"{quote(self.auth[0], safe='')}:{quote(self.auth[1], safe='')}@"
        if self.implicit_tls:
            return f"smtps://{userinfo}{HOST}:{self.port}"
        query = "" if self.starttls else "?starttls=false"
        return f"smtp://{userinfo}{HOST}:{self.port}{query}"

    def client_context(self) -> ssl.SSLContext | None:
        return self.cert.client_context() if self.cert else None

    async def start(self) -> SmtpSink:
        if (self.starttls or self.implicit_tls) and self.cert is None:
            self.cert = SelfSignedCert()
        server_tls = self.cert.server_context() if self.cert else None
        loop = asyncio.get_running_loop()
        handler = _Handler(self)

        def protocol() -> SMTP:
            smtp = SMTP(
                handler,
                hostname="sink.localhost",
                tls_context=server_tls if self.starttls else None,
                require_starttls=self.starttls,
                authenticator=self._authenticate if self.auth else None,
                auth_required=bool(self.auth) and not self.implicit_tls,
                auth_require_tls=not self.implicit_tls,
                loop=loop,
            )
            self._connections.append(smtp)
            return smtp

        self._server = await loop.create_server(
            protocol, host=HOST, port=self.port, ssl=server_tls if self.implicit_tls else None
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for smtp in self._connections:
            if smtp.transport is not None and not smtp.transport.is_closing():
                smtp.transport.close()
        self._connections.clear()
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> SmtpSink:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_for(self, count: int, timeout: float = 20.0) -> list[ReceivedMail]:
        """Wait until `count` mails have arrived (the timeout only guards against a hung test)."""
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.received) >= count), timeout)
        return self.received

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                      auth_data: Any) -> AuthResult:
        if self.auth and isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if (login, password) == self.auth:
                return AuthResult(success=True, auth_data=login)
        self.auth_failures += 1
        return AuthResult(success=False, handled=False)

    async def _record(self, mail: ReceivedMail) -> None:
        async with self._arrived:
            self.received.append(mail)
            self._arrived.notify_all()


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        replies = self.sink.rcpt_replies.get(address.lower())
        if replies:
            reply = replies.pop(0)
            if not reply.startswith("250"):
                return reply
        envelope.rcpt_tos.append(address)
        return RCPT_OK

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.sink.data_started.set()
        if self.sink.hold_data is not None:
            await self.sink.hold_data.wait()
        if self.sink.data_replies:
            reply = self.sink.data_replies.pop(0)
            if not reply.startswith("250"):
                return reply
        content = envelope.original_content or b""
        login = session.auth_data if isinstance(session.auth_data, str) else None
        await self.sink._record(ReceivedMail(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            data=content if isinstance(content, bytes) else content.encode(),
            login=login,
            tls=session.ssl is not None or self.sink.implicit_tls,
        ))
        return ACCEPTED


def free_port() -> int:
    """A port nobody listens on right now (for a server that is down, then comes up)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port
