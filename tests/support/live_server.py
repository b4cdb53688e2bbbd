"""A real `mailseal serve` in a child process on free loopback ports, for browser and crash tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    def __init__(self, data: Path, port: int, process: subprocess.Popen[bytes], env: dict[str, str]) -> None:
        self.data = data
        self.port = port
        self.process = process
        self.env = env

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mailseal serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("mailseal serve did not start in time")


@contextmanager
def live_server(data: Path, *, public_host: str = "127.0.0.1", **settings: str) -> Iterator[LiveServer]:
    """`public_host`: the host of `public_url` (`localhost` for WebAuthn, which refuses IP addresses)."""
    port = free_port()
    env = {
        **os.environ,
        "MAILSEAL_DATA": str(data),
        "MAILSEAL_PORT": str(port),
        "MAILSEAL_PUBLIC_URL": f"http://{public_host}:{port}",
        "MAILSEAL_RELAY_PORT": str(free_port()),
        "MAILSEAL_INBOUND_PORT": str(free_port()),
        "MAILSEAL_LOG_LEVEL": "WARNING",
        **{f"MAILSEAL_{k.upper()}": v for k, v in settings.items()},
    }
    log = open(data.parent / f"server-{port}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "mailseal", "serve", "--dev"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}", process)
        yield LiveServer(data, port, process, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
