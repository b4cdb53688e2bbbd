"""A real S3 endpoint on loopback: moto's server mode in a child process, on a free port.

One server per test session; each test gets its own bucket. The server process is separate so that
its memory (moto keeps objects in memory) and its CPU time are not counted as the client's.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

SERVER = r"""
import sys
from moto.server import ThreadedMotoServer

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()  # until the parent closes our stdin
server.stop()
"""

# moto accepts any credentials; obstore reads these from the environment like any AWS client.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "mailseal-test", "AWS_SECRET_ACCESS_KEY": "mailseal-test-secret"}
REGION = "us-east-1"
_buckets = itertools.count(1)


def moto_available() -> bool:
    try:
        import moto.server  # noqa: F401
    except ImportError:
        return False
    return True


def require_moto() -> None:
    """Skip in a user's clone without moto; fail in CI (`MAILSEAL_REQUIRE_S3=1`), as for the corpora."""
    if moto_available():
        return
    if os.environ.get("MAILSEAL_REQUIRE_S3"):
        pytest.fail("MAILSEAL_REQUIRE_S3 is set but moto[server] is not installed (pip install -e '.[test]')")
    pytest.skip("moto[server] is not installed: no S3 endpoint for the S3 blob store tests")


@contextmanager
def moto_server() -> Iterator[str]:
    """Start moto's S3 on 127.0.0.1, port 0; yields its endpoint URL."""
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeError("moto's server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def create_bucket(endpoint: str, name: str | None = None) -> str:
    """A new, empty bucket (moto takes an unsigned PUT); returns its name."""
    bucket = name or f"mailseal-{os.getpid()}-{next(_buckets)}"
    request = urllib.request.Request(f"{endpoint}/{bucket}", method="PUT")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
    return bucket


def blob_url(endpoint: str, bucket: str, prefix: str = "envelopes") -> str:
    return f"s3://{bucket}/{prefix}?endpoint={endpoint}&region={REGION}"


@contextmanager
def moto_with_credentials() -> Iterator[str]:
    """moto's S3 server, with the test credentials in the environment while it runs (tests and bench)."""
    saved = {name: os.environ.get(name) for name in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    try:
        with moto_server() as endpoint:
            yield endpoint
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 for the whole session, with test credentials in the environment."""
    require_moto()
    with moto_with_credentials() as endpoint:
        yield endpoint


@pytest.fixture
def s3_blob_url(s3_endpoint: str) -> str:
    """An `s3://` blob URL on a fresh bucket of the session's moto server."""
    return blob_url(s3_endpoint, create_bucket(s3_endpoint))
