"""What browser tests do as a person: read the passcode from the outbox, sign in, seal a message."""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from support.live_server import LiveServer


def outbox_code(data: Path, address: str, *, wait: float = 10.0, after: frozenset[str] = frozenset()) -> str:
    """The code in the newest passcode mail to `address`, leaving out the mails named in `after` (those in
    the outbox before the request). The server answers before it queues the mail (so that the answer's
    timing tells nothing), so the mail may land a moment after the screen changes; without `after`, an
    earlier, used code to the same address could be read instead of the one just asked for."""
    deadline = time.monotonic() + wait
    while True:
        code = _newest_code(data / "outbox" / "new", address, after)
        if code is not None:
            return code
        if time.monotonic() > deadline:
            raise AssertionError(f"no passcode mail to {address}")
        time.sleep(0.05)


def outbox_names(data: Path) -> frozenset[str]:
    """The mails in the outbox now: pass them as `after` to wait for a new one."""
    folder = data / "outbox" / "new"
    return frozenset(path.name for path in folder.iterdir()) if folder.is_dir() else frozenset()


def _newest_code(folder: Path, address: str, after: frozenset[str] = frozenset()) -> str | None:
    if not folder.is_dir():
        return None
    for path in sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns, reverse=True):
        if path.name in after:
            continue
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in str(message.get("To", "")):
            body = message.get_body(preferencelist=("plain",))
            found = re.search(r"\b(\d{4} \d{4} \d{4} \d{4}|\d{8})\b", body.get_content() if body else "")
            if found:
                return found.group(1).replace(" ", "")
    return None


def sign_in(page: Any, server: LiveServer, address: str) -> None:
    page.goto("/sign-in")
    page.fill("#email", address)
    before = outbox_names(server.data)
    page.click("[data-testid=send-code]")
    page.wait_for_selector("[data-testid=reference]")
    page.fill("#code", outbox_code(server.data, address, after=before))
    page.wait_for_selector("[data-testid=inbox]")


def seal(server: LiveServer, raw: bytes, tmp: Path, *, to: str = "bob@gmail.com", template: str = "encrypt-only",
         expires_days: int | None = None) -> tuple[str, Path]:
    source = tmp / "in.eml"
    source.write_bytes(raw)
    page = tmp / "message.html"
    args = [sys.executable, "-m", "mailseal", "--data", str(server.data), "protect", str(source),
            "--from", "alice@example.org", "--to", to, "--template", template, "-o", str(page)]
    if expires_days:
        args += ["--expires-days", str(expires_days)]
    result = subprocess.run(args, capture_output=True, text=True, check=True, env=server.env)
    return result.stdout.strip(), page
