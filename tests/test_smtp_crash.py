"""SIGKILL while mail is being submitted loses nothing that was acknowledged with 250.

A real `mailseal serve` in a subprocess; a client submits mails to the relay in a loop (every other one
sealed by a rule, the rest passed on); the server is killed with SIGKILL in the middle of the stream and
started again on the same data folder. Every mail that got its 250 must be in the outbox: a wrapper
mail for a sealed one (found by its subject, which the template shows), the passed-on mail itself
(found by its Message-ID) otherwise.
"""

from __future__ import annotations

import email.parser
import email.policy
import os
import random
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mailseal.mail.outbox import MaildirOutbox
from support.mail_listeners import SEAL_SECURE, plain_mail
from support.smtp_sink import free_port

ROOT = Path(__file__).resolve().parent.parent
KILL_AFTER = 12
STARTUP_SECONDS = 60


def relay_ready(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            return sock.recv(100).startswith(b"220")
    except OSError:
        return False


@contextmanager
def serve(data: Path, log: Path, ports: dict[str, int]) -> Iterator[subprocess.Popen[bytes]]:
    command = [
        sys.executable, "-m", "mailseal", "--data", str(data), "serve",
        "--port", str(ports["http"]), "--relay-port", str(ports["relay"]), "--inbound-port", str(ports["inbound"]),
    ]
    env = {**os.environ, "MAILSEAL_LOG_LEVEL": "WARNING", "MAILSEAL_PUBLIC_URL": "https://mailseal.test",
           "MAILSEAL_MAIL_FROM": "no-reply@example.org"}
    with log.open("ab") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not relay_ready(ports["relay"]):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mailseal serve did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def message(number: int) -> bytes:
    subject = f"[secure] mail {number}" if number % 2 else f"plain mail {number}"
    return plain_mail(subject, f"Body of mail {number}.\r\n").replace(
        b"Message-ID: <m1@example.org>", f"Message-ID: <mail-{number}@example.org>".encode()
    )


def submit_until_refused(port: int, acknowledged: list[int], stop: threading.Event) -> None:
    """Send mail after mail on one connection (reconnecting once refused) until the server is gone."""
    number = 0
    while not stop.is_set():
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                while not stop.is_set():
                    number += 1
                    client.sendmail("alice@example.org", ["bob@partner.example"], message(number))
                    acknowledged.append(number)
        except (OSError, smtplib.SMTPException):
            return


def outbox_markers(data: Path) -> tuple[set[str], set[str]]:
    """Subjects of wrapper mails and Message-IDs of passed-on mails in the outbox."""
    outbox = MaildirOutbox(data / "outbox")
    parser = email.parser.BytesHeaderParser(policy=email.policy.default)
    subjects, message_ids = set(), set()
    for entry in outbox.list():
        headers = parser.parsebytes(outbox.read_mail(entry.key).message)
        if headers["X-Mailseal"]:
            subjects.add(str(headers["Subject"]))
        else:
            message_ids.add(str(headers["Message-ID"]))
    return subjects, message_ids


@pytest.mark.slow
def test_sigkill_mid_stream_loses_no_acknowledged_mail(data_dir: Path, tmp_path: Path) -> None:
    (data_dir / "rules.toml").write_text(SEAL_SECURE, encoding="utf-8")
    ports = {"http": free_port(), "relay": free_port(), "inbound": free_port()}
    log = tmp_path / "serve.log"
    acknowledged: list[int] = []
    stop = threading.Event()
    with serve(data_dir, log, ports) as server:
        client = threading.Thread(target=submit_until_refused, args=(ports["relay"], acknowledged, stop))
        client.start()
        deadline = time.monotonic() + 120
        while len(acknowledged) < KILL_AFTER and client.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(random.uniform(0, 0.03))  # land somewhere inside the next transaction
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=20)
        client.join(timeout=30)
        stop.set()
    assert not client.is_alive()
    assert len(acknowledged) >= KILL_AFTER, log.read_text(errors="replace")[-3000:]

    with serve(data_dir, log, ports):
        subjects, message_ids = outbox_markers(data_dir)
        missing = [
            number for number in acknowledged
            if (f"[secure] mail {number}" not in subjects if number % 2
                else f"<mail-{number}@example.org>" not in message_ids)
        ]
        assert missing == [], f"acknowledged but not in the outbox: {missing}"
        # The restarted server takes mail again.
        with smtplib.SMTP("127.0.0.1", ports["relay"], timeout=10) as client_again:
            client_again.sendmail("alice@example.org", ["bob@partner.example"], message(10_001))
    with sqlite3.connect(data_dir / "mailseal.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # A file cut short by the kill can only be in tmp/; every mail in new/ is whole.
    for file in (data_dir / "outbox" / "new").iterdir():
        assert file.read_bytes().endswith(b"\r\n")
