"""A real `mailseal serve` (or the same app under granian) on free loopback ports, and a signed-in session."""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import httpx

HOST = "127.0.0.1"
INBOUND_DOMAIN = "in.mailseal.bench"
SESSION_COOKIE = "__Host-mailseal"
CSRF_COOKIE = "csrftoken"
_CODE = re.compile(r"\b(\d{8})\b")
ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    data: Path
    port: int
    inbound_port: int
    process: subprocess.Popen[bytes]
    asgi: str

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def pid(self) -> int:
        """The process that runs the app: the server itself, or granian's single worker."""
        if self.asgi == "uvicorn":
            return self.process.pid
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return int(children[0]) if children else self.process.pid


def server_env(data: Path, port: int, inbound_port: int, database_url: str = "") -> dict[str, str]:
    """The environment of `mailseal serve` or a `mailseal` command on `data` (and `database_url`, when
    given, instead of the SQLite file in the data folder)."""
    return {
        **os.environ,
        **({"MAILSEAL_DATABASE_URL": database_url} if database_url else {}),
        "MAILSEAL_DATA": str(data),
        "MAILSEAL_HOST": HOST,
        "MAILSEAL_PORT": str(port),
        "MAILSEAL_PUBLIC_URL": f"http://{HOST}:{port}",
        "MAILSEAL_RELAY_PORT": str(free_port()),
        "MAILSEAL_INBOUND_PORT": str(inbound_port),
        "MAILSEAL_INBOUND_DOMAIN": INBOUND_DOMAIN,
        "MAILSEAL_DEV": "true",
        "MAILSEAL_LOG_LEVEL": "WARNING",
    }


def protect_cli(data: Path, message: Path, out: Path, *, sender: str, to: str, database_url: str = "") -> str:
    """Seal with `python -m mailseal protect`, as an administrator would; returns the message id."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "mailseal", "--data", str(data), "protect", "--from", sender, "--to", to,
         str(message), "-o", str(out)],
        capture_output=True, text=True, timeout=120, check=False, env=server_env(data, 0, 0, database_url), cwd=ROOT,
    )
    if result.returncode != 0:
        raise RuntimeError(f"mailseal protect failed: {result.stderr.strip()[-500:]}")
    return result.stdout.strip().splitlines()[-1]


def _command(asgi: str, port: int) -> list[str]:
    if asgi == "uvicorn":
        return [sys.executable, "-m", "mailseal", "serve", "--dev"]
    return [str(VENV_BIN / "granian"), "--interface", "asgi", "--factory", "benchmarks.asgi:app_from_env",
            "--host", HOST, "--port", str(port), "--workers", "1", "--loop", "uvloop", "--no-access-log",
            "--log-level", "warning"]


@contextmanager
def running_server(data: Path, *, asgi: str = "uvicorn", log: Path | None = None,
                   database_url: str = "") -> Iterator[Server]:
    port, inbound_port = free_port(), free_port()
    env = server_env(data, port, inbound_port, database_url)
    log_file = open(log or data.parent / f"server-{asgi}.log", "wb")
    process = subprocess.Popen(_command(asgi, port), env=env, stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT)  # noqa: S603
    try:
        server = Server(data, port, inbound_port, process, asgi)
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log_file.close()


def _wait_until_up(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode}; see {server.data.parent}")
        try:
            if httpx.get(server.url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start in time")


@dataclass(frozen=True)
class SignedIn:
    cookie: str  # the whole Cookie header a browser would send: CSRF token and session
    forward_address: str | None


def _cookie_from(response: httpx.Response, name: str) -> str:
    """The server sets Secure cookies; over plain http to 127.0.0.1 we carry them ourselves."""
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if name in jar:
            return jar[name].value
    raise RuntimeError(f"the server set no {name} cookie")


def _code_from_outbox(data: Path, address: str, after: float) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for path in sorted((data / "outbox" / "new").glob("*"), key=lambda p: p.stat().st_mtime, reverse=True):
            if path.stat().st_mtime < after - 1:
                continue
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address not in str(message.get("To", "")):
                continue
            body = message.get_body(preferencelist=("plain",))
            found = _CODE.search(body.get_content() if body is not None else "")
            if found:
                return found.group(1)
        time.sleep(0.1)
    raise RuntimeError("no passcode mail arrived in the outbox (passcodes are rate-limited per address)")


def sign_in(server: Server, address: str) -> SignedIn:
    """GET /healthz for the CSRF cookie, ask for a code, read it from the Maildir outbox, verify it."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        csrf = _cookie_from(client.get("/healthz"), CSRF_COOKIE)
        headers = {"x-csrftoken": csrf, "cookie": f"{CSRF_COOKIE}={csrf}"}
        asked = time.time()
        response = client.post("/api/auth/code", json={"email": address}, headers=headers)
        if response.status_code != 202:
            raise RuntimeError(f"asking for a code failed: {response.status_code}")
        code = _code_from_outbox(server.data, address, asked)
        response = client.post("/api/auth/verify", json={"email": address, "code": code}, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"verifying the code failed: {response.status_code}")
        session = _cookie_from(response, SESSION_COOKIE)
        forward = response.json().get("forwardAddress")
    return SignedIn(cookie=f"{CSRF_COOKIE}={csrf}; {SESSION_COOKIE}={session}", forward_address=forward)
