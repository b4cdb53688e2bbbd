"""Data at rest: the data folder is 0700 and every file in it 0600 whatever the umask, and wider ones are named.

A real `mailseal serve` and real `mailseal` commands in child processes started with umask 022 (the
usual default, under which SQLite, `mkdir` and `open` make 0644 files and 0755 folders).
"""

from __future__ import annotations

import os
import smtplib
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailseal.cli import main
from mailseal.private_data import wider_than_private
from support.live_server import live_server
from support.mail_listeners import plain_mail

BOB = "bob@partner.example"


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mailseal(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailseal", "--data", str(data), *args],
                          capture_output=True, text=True, check=True)


def modes(root: Path) -> dict[str, tuple[str, int]]:
    """Every entry under `root` (and `root` itself, as "."): its kind and permission bits."""
    found = {}
    for path in [root, *root.rglob("*")]:
        info = path.lstat()
        kind = "folder" if stat.S_ISDIR(info.st_mode) else "file" if stat.S_ISREG(info.st_mode) else "other"
        found[str(path.relative_to(root))] = (kind, stat.S_IMODE(info.st_mode))
    return found


def test_everything_the_server_and_the_cli_write_is_private(tmp_path: Path, umask_022: None) -> None:
    data = tmp_path / "data"  # made by the first command, as a new user's would be
    assert "warning" not in mailseal(data, "rules", "init").stderr
    with live_server(data) as server:
        with smtplib.SMTP("127.0.0.1", int(server.env["MAILSEAL_RELAY_PORT"]), timeout=30) as client:
            client.sendmail("alice@example.org", [BOB], plain_mail("[secure] Board pack", to=BOB))
        message = tmp_path / "in.eml"
        message.write_bytes(plain_mail("By hand", to=BOB))
        mailseal(data, "protect", str(message), "--from", "alice@example.org", "--to", BOB,
                 "-o", str(tmp_path / "message.html"))
        deadline = time.monotonic() + 30
        while not list((data / "outbox" / "new").glob("*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        seen = modes(data)  # while the server runs: the WAL and SHM files exist
    files = {name for name, (kind, _) in seen.items() if kind == "file"}
    assert {"mailseal.sqlite", "mailseal.sqlite-wal", "mailseal.sqlite-shm", "rules.toml",
            "keys/ring.json", "keys/secret"} <= files
    assert any(name.startswith("blobs/") for name in files)
    assert any(name.startswith("outbox/new/") for name in files)
    assert {kind for kind, _ in seen.values()} == {"file", "folder"}
    wider = {name: oct(mode) for name, (kind, mode) in seen.items() if mode != (0o600 if kind == "file" else 0o700)}
    assert wider == {}


def test_wider_permissions_are_named_in_one_line_at_start(tmp_path: Path, umask_022: None,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "mailseal.toml").write_text('org_name = "Contoso"\n', encoding="utf-8")  # 0644 by the umask
    assert main(["--data", str(data), "keys", "init"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warnings == [
        f"mailseal: warning: {data} has mode 0755 (and 1 more): the data folder should be 0700 and its files"
        f" 0600, readable by this account only (chmod -R go= {data})"
    ]
    with live_server(data) as server:
        log = (data.parent / f"server-{server.port}.log")
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if "has mode" in line]
    assert len(lines) == 1
    assert "WARNING" in lines[0] and "mailseal.server" in lines[0]
    assert f"{data} has mode 0755 (and 1 more)" in lines[0]

    os.chmod(data, 0o700)
    os.chmod(data / "mailseal.toml", 0o600)
    assert main(["--data", str(data), "keys", "list"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_the_walk_is_bounded_and_names_entries_in_order(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir(mode=0o700)
    for name in ("a", "b", "c", "d"):
        (root / name).write_bytes(b"")
        os.chmod(root / name, 0o640)
    os.symlink("/etc/passwd", root / "link")  # a link's own mode says nothing: not reported, not followed
    assert [entry.path.name for entry in wider_than_private(root)] == ["a", "b", "c", "d"]
    assert [entry.path.name for entry in wider_than_private(root, limit=3)] == ["a", "b"]
    assert wider_than_private(tmp_path / "missing") == []
