"""A real Web Push service on 127.0.0.1: the other end of our push sender.

It plays the browser too: `new_subscription()` makes the subscription keys (a P-256 key pair and an
auth secret) and returns the browser-style PushSubscription JSON pointing at itself. For every
`POST /push/<id>` it checks the VAPID `Authorization` header (ES256 signature, aud, exp, sub), checks
`Content-Encoding: aes128gcm`, decrypts the body per RFC 8291 with its own code (HMAC-based HKDF and
AES-GCM from `cryptography`, independent of http_ece), and records what it got. It can be told to
answer 404/410/500/3xx, to hold an answer until released, or never to answer. Plain HTTP/1.1 on
asyncio streams, optional TLS with a self-signed certificate for a test host name (SNI recorded).

    async with LoopbackPushService() as service:
        sub = service.new_subscription(keys.application_server_key)
        ...
        assert service.received[0].payload == b"..."

`FakeDns` and `CountingBackend` are the injectable resolver and network backend: they record every
look-up and every TCP connection our side attempts.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import hmac
import json
import secrets
import ssl
import tempfile
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpcore
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

REASONS = {
    200: "OK",
    201: "Created",
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    411: "Length Required",
    413: "Content Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def b64d(text: str | bytes) -> bytes:
    raw = text.encode("ascii") if isinstance(text, str) else text
    raw = raw.rstrip(b"=")
    return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# ---- RFC 8291 / RFC 8188, written from the RFCs (not from http_ece) -------------------------------


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


@dataclass(frozen=True)
class Rfc8291Keys:
    ecdh_secret: bytes
    prk_key: bytes
    key_info: bytes
    ikm: bytes
    prk: bytes
    cek: bytes
    nonce: bytes


def derive_rfc8291(
    ua_private: ec.EllipticCurvePrivateKey, as_public: bytes, auth_secret: bytes, salt: bytes
) -> Rfc8291Keys:
    """RFC 8291 section 3.4 and RFC 8188 section 2.2, every intermediate exposed for the vector test."""
    ua_public = ua_private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public)
    ecdh_secret = ua_private.exchange(ec.ECDH(), peer)
    prk_key = _hmac(auth_secret, ecdh_secret)
    key_info = b"WebPush: info\x00" + ua_public + as_public
    ikm = _hmac(prk_key, key_info + b"\x01")
    prk = _hmac(salt, ikm)
    cek = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
    nonce = _hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12]
    return Rfc8291Keys(ecdh_secret, prk_key, key_info, ikm, prk, cek, nonce)


class DecryptError(Exception):
    pass


def decrypt_rfc8291(body: bytes, ua_private: ec.EllipticCurvePrivateKey, auth_secret: bytes) -> bytes:
    """Decrypt an aes128gcm Web Push body; returns the plaintext without RFC 8188 padding."""
    if len(body) < 21:
        raise DecryptError("body shorter than the aes128gcm header")
    salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    as_public = body[21 : 21 + idlen]
    if idlen != 65 or rs < 18:
        raise DecryptError("bad aes128gcm header for Web Push")
    keys = derive_rfc8291(ua_private, as_public, auth_secret, salt)
    content = body[21 + idlen :]
    records = [content[i : i + rs] for i in range(0, len(content), rs)] or [b""]
    plaintext = b""
    for seq, record in enumerate(records):
        nonce = bytes(a ^ b for a, b in zip(keys.nonce, seq.to_bytes(12, "big"), strict=True))
        try:
            padded = AESGCM(keys.cek).decrypt(nonce, record, None)
        except InvalidTag as exc:
            raise DecryptError("record does not authenticate") from exc
        stripped = padded.rstrip(b"\x00")
        last = seq == len(records) - 1
        if not stripped or stripped[-1] != (2 if last else 1):
            raise DecryptError("bad record delimiter")
        plaintext += stripped[:-1]
    return plaintext


# ---- VAPID (RFC 8292) ---------------------------------------------------------------------------------


class VapidError(Exception):
    pass


def verify_vapid(header: str, *, audience: str, expected_key: str | None, now: float) -> dict[str, Any]:
    """Check `vapid t=<jwt>, k=<key>` and return the claims; raises VapidError."""
    scheme, _, params = header.partition(" ")
    if scheme.lower() != "vapid":
        raise VapidError("not the vapid scheme")
    parts = dict(item.strip().split("=", 1) for item in params.split(",") if "=" in item)
    token, key_text = parts.get("t"), parts.get("k")
    if not token or not key_text:
        raise VapidError("t or k missing")
    if expected_key is not None and key_text != expected_key:
        raise VapidError("k is not the applicationServerKey of this subscription")
    try:
        header_b64, claims_b64, sig_b64 = token.split(".")
        jose = json.loads(b64d(header_b64))
        claims = json.loads(b64d(claims_b64))
        sig = b64d(sig_b64)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(key_text))
    except ValueError as exc:
        raise VapidError(f"malformed token: {exc}") from exc
    if jose.get("alg") != "ES256" or len(sig) != 64:
        raise VapidError("not ES256")
    try:
        public.verify(
            encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
            f"{header_b64}.{claims_b64}".encode("ascii"),
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature as exc:
        raise VapidError("bad signature") from exc
    if claims.get("aud") != audience:
        raise VapidError(f"aud {claims.get('aud')!r} is not {audience!r}")
    exp = claims.get("exp")
    if not isinstance(exp, int) or not now < exp <= now + 24 * 3600:
        raise VapidError("exp missing, past, or more than 24 h ahead")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
        raise VapidError("sub is not mailto: or https:")
    return dict(claims)


# ---- the service ----------------------------------------------------------------------------------------


@dataclass
class BrowserKeys:
    id: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    application_server_key: str | None


@dataclass
class ReceivedPush:
    subscription_id: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    payload: bytes | None = None
    claims: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class _Script:
    statuses: list[int] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    hold: asyncio.Event | None = None
    stall: bool = False
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


class LoopbackPushService:
    def __init__(self, *, tls: TlsPair | None = None, url_host: str = "127.0.0.1") -> None:
        self._tls = tls
        self.url_host = url_host
        self.port = 0
        self.connections = 0
        self.received: list[ReceivedPush] = []
        self.log: list[str] = []
        self.sni_names: list[str | None] = []
        self._browsers: dict[str, BrowserKeys] = {}
        self._scripts: dict[str, _Script] = {}
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._closing = asyncio.Event()

    @property
    def origin(self) -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{self.url_host}:{self.port}"

    async def start(self) -> LoopbackPushService:
        context = None
        if self._tls is not None:
            context = self._tls.server_context
            context.sni_callback = lambda _sock, name, _ctx: self.sni_names.append(name)
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        self._closing.set()
        for script in self._scripts.values():
            if script.hold is not None:
                script.hold.set()
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()

    async def __aenter__(self) -> LoopbackPushService:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- the browser side --

    def new_subscription(self, application_server_key: str | None = None) -> dict[str, Any]:
        """A PushSubscription.toJSON() for a fresh browser, pointing at this service."""
        sub_id = secrets.token_urlsafe(16)
        key = ec.generate_private_key(ec.SECP256R1())
        browser = BrowserKeys(sub_id, key, secrets.token_bytes(16), application_server_key)
        self._browsers[sub_id] = browser
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.origin}/push/{sub_id}",
            "expirationTime": None,
            "keys": {"p256dh": b64e(public), "auth": b64e(browser.auth)},
        }

    @staticmethod
    def id_of(subscription: dict[str, Any]) -> str:
        return str(subscription["endpoint"]).rsplit("/", 1)[1]

    # -- scripting --

    def _script(self, sub_id: str) -> _Script:
        return self._scripts.setdefault(sub_id, _Script())

    def answer(self, sub_id: str, *statuses: int, headers: dict[str, str] | None = None) -> None:
        """Answer the next requests for `sub_id` with these statuses (then 201 again)."""
        script = self._script(sub_id)
        script.statuses.extend(statuses)
        script.headers.update(headers or {})

    def always(self, sub_id: str, status: int) -> None:
        self.answer(sub_id, *([status] * 100))

    def hold(self, sub_id: str) -> asyncio.Event:
        """Keep requests for `sub_id` waiting until the returned event is set."""
        event = asyncio.Event()
        self._script(sub_id).hold = event
        return event

    def stall(self, sub_id: str) -> None:
        """Never answer requests for `sub_id` (a dead push service that accepted the connection)."""
        self._script(sub_id).stall = True

    def arrived(self, sub_id: str) -> asyncio.Event:
        return self._script(sub_id).arrived

    def requests_for(self, sub_id: str) -> list[ReceivedPush]:
        return [r for r in self.received if r.subscription_id == sub_id]

    def payloads_for(self, sub_id: str) -> list[bytes]:
        return [r.payload for r in self.requests_for(sub_id) if r.payload is not None]

    # -- HTTP --

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _version = lines[0].split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                if "content-length" not in headers:
                    await self._send(writer, 411)
                    return
                body = await reader.readexactly(int(headers["content-length"]))
                keep = await self._respond(writer, method, path, headers, body)
                if not keep or headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _respond(
        self, writer: asyncio.StreamWriter, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> bool:
        sub_id = path.rsplit("/", 1)[-1] if path.startswith("/push/") else ""
        record = ReceivedPush(sub_id, method, path, headers, body)
        self.received.append(record)
        self.log.append(f"received:{sub_id}")
        script = self._script(sub_id)
        script.arrived.set()
        browser = self._browsers.get(sub_id)
        if method != "POST" or browser is None:
            record.status = 404
        else:
            record.status = self._check(record, browser)
        if script.stall:
            await self._closing.wait()
            return False
        if script.hold is not None:
            await script.hold.wait()
        extra: dict[str, str] = {}
        if record.status == 201 and script.statuses:
            record.status = script.statuses.pop(0)
            extra.update(script.headers)
        if record.status == 201:
            extra["Location"] = f"/message/{len(self.received)}"
        if 300 <= record.status < 400:
            extra.setdefault("Location", f"{self.origin}/push/{sub_id}/again")
        await self._send(writer, record.status, extra)
        self.log.append(f"answered:{sub_id}")
        return True

    def _check(self, record: ReceivedPush, browser: BrowserKeys) -> int:
        try:
            record.claims = verify_vapid(
                record.headers.get("authorization", ""),
                audience=self.origin,
                expected_key=browser.application_server_key,
                now=time.time(),
            )
        except VapidError as exc:
            record.error = f"vapid: {exc}"
            return 403
        if record.headers.get("content-encoding") != "aes128gcm" or "ttl" not in record.headers:
            record.error = "content-encoding or TTL"
            return 400
        try:
            record.payload = decrypt_rfc8291(record.body, browser.private_key, browser.auth)
        except (DecryptError, ValueError) as exc:
            record.error = f"decrypt: {exc}"
            return 400
        return 201

    async def _send(self, writer: asyncio.StreamWriter, status: int, headers: dict[str, str] | None = None) -> None:
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}", "Content-Length: 0"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()


# ---- TLS for a test host name ------------------------------------------------------------------------------


@dataclass
class TlsPair:
    server_context: ssl.SSLContext
    client_context: ssl.SSLContext


def make_tls_pair(hostname: str) -> TlsPair:
    """A self-signed certificate for `hostname`, a server context using it and a client context trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with (
        tempfile.NamedTemporaryFile(suffix=".pem") as cert_file,
        tempfile.NamedTemporaryFile(suffix=".pem") as key_file,
    ):
        cert_file.write(cert_pem)
        cert_file.flush()
        key_file.write(key_pem)
        key_file.flush()
        server.load_cert_chain(cert_file.name, key_file.name)
    client = ssl.create_default_context(cadata=cert_pem.decode("ascii"))
    return TlsPair(server, client)


# ---- injectable resolver and network backend ------------------------------------------------------------


class FakeDns:
    """A resolver that answers from a table (a list per host, or a list of answers consumed in turn)."""

    def __init__(
        self,
        table: dict[str, Sequence[str] | list[Sequence[str]]] | None = None,
        *,
        default: Sequence[str] | None = None,
    ) -> None:
        self.table: dict[str, Any] = dict(table or {})
        self.default = default
        self.calls: list[str] = []

    def set(self, host: str, *answers: str) -> None:
        self.table[host] = list(answers)

    def sequence(self, host: str, *answer_sets: Sequence[str]) -> None:
        """Answer `host` with each set in turn (the last one repeats): a rebinding DNS."""
        self.table[host] = ("sequence", [list(a) for a in answer_sets])

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        entry = self.table.get(host)
        if isinstance(entry, tuple) and entry and entry[0] == "sequence":
            sets = entry[1]
            return list(sets.pop(0) if len(sets) > 1 else sets[0])
        if entry is not None:
            return list(entry)
        if self.default is not None:
            return list(self.default)
        raise OSError(f"no such host {host}")


class CountingBackend(httpcore.AsyncNetworkBackend):
    """Wraps the real network backend and records every TCP connection attempt (host, port)."""

    def __init__(self) -> None:
        self.inner = httpcore.AnyIOBackend()
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        return await self.inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise AssertionError("no unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


# ---- a whole stack: database, VAPID key, PushService, loopback push service -----------------------------

TEST_CONTACT = "mailto:push-admin@example.org"
TEST_PUBLIC_URL = "https://mail.example.org"


@dataclass
class PushStack:
    db: Any
    vapid: Any
    push: Any
    service: LoopbackPushService
    dns: FakeDns
    backend: CountingBackend

    async def subscribe_device(self, device_id: str, **kwargs: Any) -> dict[str, Any]:
        subscription = self.service.new_subscription(self.vapid.application_server_key)
        await self.push.subscribe(device_id, subscription, **kwargs)
        return subscription


@asynccontextmanager
async def push_stack(
    tmp_path: Path, *, tls: TlsPair | None = None, url_host: str = "127.0.0.1", **config: Any
) -> AsyncIterator[PushStack]:
    """Everything the push tests need, with short retry delays; `config` overrides PushConfig fields."""
    from mailseal.push import PushConfig, PushService, load_or_create_vapid
    from support.store import engine_store

    settings: dict[str, Any] = {
        "contact": TEST_CONTACT,
        "public_url": TEST_PUBLIC_URL,
        "allow_loopback": True,
        "loopback_hosts": (url_host,),
        "max_attempts": 3,
        "retry_base_delay": 0.01,
        "retry_max_delay": 0.05,
        "connect_timeout": 5.0,
        "total_timeout": 5.0,
    }
    settings.update(config)
    db = await engine_store(tmp_path / "push.sqlite3")
    vapid = load_or_create_vapid(tmp_path / "keys")
    dns = FakeDns({url_host: ["127.0.0.1"]})
    backend = CountingBackend()
    service = LoopbackPushService(tls=tls, url_host=url_host)
    await service.start()
    push = PushService(
        db,
        vapid,
        PushConfig(**settings),
        resolver=dns,
        network_backend=backend,
        ssl_context=tls.client_context if tls else None,
    )
    await push.start()
    try:
        yield PushStack(db, vapid, push, service, dns, backend)
    finally:
        await push.stop()
        await service.close()
        await db.close()
