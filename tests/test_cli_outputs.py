"""The `mailseal` command's edges: addresses checked before sealing, outputs written before the seal is
kept (standard output, fifos and devices included, never replaced by a regular file), and the answers of
revoke, keys list and the relay users helper."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mailseal.cli import EXIT_NOT_FOUND, EXIT_NOTHING_TO_DO, main
from mailseal.mail.relay_users import RelayUsers
from support.mailseal_app import simple_mail


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    assert main(["--data", str(folder), "keys", "init"]) == 0
    return folder


@pytest.fixture
def mail(tmp_path: Path) -> Path:
    source = tmp_path / "in.eml"
    source.write_bytes(simple_mail())
    return source


def protect_args(data: Path, mail: Path, output: Path | str, *, sender: str = "alice@example.org",
                 to: tuple[str, ...] = ("bob@gmail.com",)) -> list[str]:
    args = ["--data", str(data), "protect", str(mail), "--from", sender, "-o", str(output)]
    for address in to:
        args += ["--to", address]
    return args


def nothing_was_kept(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(data), "audit", "--json"]) == 0
    assert capsys.readouterr().out == "", "nothing sealed, nothing audited"
    assert [p for p in (data / "blobs").rglob("*") if p.is_file()] == []


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


@pytest.mark.parametrize(
    ("flag", "sender", "to"),
    [
        ("--from", "not an address", ("bob@gmail.com",)),
        ("--to", "alice@example.org", ("bob",)),
        ("--to", "alice@example.org", ("",)),
        ("--to", "alice@example.org", ("bob@gmail.com", "carol at yahoo")),
    ],
)
def test_addresses_are_checked_before_sealing(data: Path, mail: Path, tmp_path: Path, flag: str, sender: str,
                                              to: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "message.html"
    assert main(protect_args(data, mail, out, sender=sender, to=to)) == 1
    line = one_error_line(capsys)
    assert line.startswith(f"mailseal: {flag} ") and line.endswith("[input.invalid-address]")
    assert not out.exists()
    nothing_was_kept(data, capsys)


def test_an_output_that_fails_keeps_nothing(data: Path, mail: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for out in (blocker / "message.html", tmp_path):  # a folder that cannot exist; a folder
        assert main(protect_args(data, mail, out)) == 1
        assert one_error_line(capsys).endswith("[output.cannot-write]")
        nothing_was_kept(data, capsys)
    assert blocker.read_text() == "not a folder"


def test_dash_is_standard_output(data: Path, mail: Path, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "mailseal", *protect_args(data, mail, "-")],
                            capture_output=True, cwd=tmp_path, check=True)
    assert result.stdout.startswith(b"<!DOCTYPE html>") and b"-----BEGIN MAILSEAL MESSAGE-----" in result.stdout
    message_id = result.stderr.decode().strip()
    assert len(message_id) == 26 and message_id.encode() in result.stdout
    assert not (tmp_path / "-").exists()
    page = tmp_path / "page.html"
    page.write_bytes(result.stdout)
    opened = subprocess.run([sys.executable, "-m", "mailseal", "--data", str(data), "open", "--as", "bob@gmail.com",
                             str(page), "-o", "-"], capture_output=True, cwd=tmp_path, check=True)
    assert opened.stdout == mail.read_bytes()
    assert not (tmp_path / "-").exists()


class FifoReader:
    """Reads a fifo to its end in a thread (a writer opening it blocks until a reader is there)."""

    def __init__(self, path: Path) -> None:
        self.data = b""
        self._thread = threading.Thread(target=self._read, args=(path,), daemon=True)
        self._thread.start()

    def _read(self, path: Path) -> None:
        with open(path, "rb") as fifo:
            self.data = fifo.read()

    def result(self) -> bytes:
        self._thread.join(timeout=30)
        return self.data


@pytest.mark.parametrize("through_a_link", [False, True])
def test_a_fifo_is_written_in_place_never_replaced(data: Path, mail: Path, tmp_path: Path,
                                                   through_a_link: bool) -> None:
    """As /dev/null would be: renaming over it turned the device into a regular file."""
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    target = fifo
    if through_a_link:
        target = tmp_path / "link"
        target.symlink_to(fifo)
    reader = FifoReader(fifo)
    assert main(protect_args(data, mail, target)) == 0
    page = reader.result()
    assert b"-----BEGIN MAILSEAL MESSAGE-----" in page
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert target.is_symlink() == through_a_link

    saved = tmp_path / "page.html"
    saved.write_bytes(page)
    reader = FifoReader(fifo)
    assert main(["--data", str(data), "open", "--as", "bob@gmail.com", str(saved), "-o", str(target)]) == 0
    assert reader.result() == mail.read_bytes()
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_revoke_twice_says_so(data: Path, mail: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(protect_args(data, mail, tmp_path / "m.html")) == 0
    message_id = capsys.readouterr().out.strip()
    assert main(["--data", str(data), "revoke", message_id]) == 0
    assert capsys.readouterr().out.startswith(f"revoked {message_id}")
    assert main(["--data", str(data), "revoke", message_id]) == EXIT_NOTHING_TO_DO == 3
    line = one_error_line(capsys)
    assert f"{message_id} was already revoked at " in line and line.endswith("nothing changed [policy.revoked]")
    assert main(["--data", str(data), "audit", message_id, "--json"]) == 0
    actions = [json.loads(entry)["action"] for entry in capsys.readouterr().out.splitlines()]
    assert actions == ["seal", "revoke"]


def test_an_unknown_id_carries_its_code(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(data), "revoke", "a" * 26]) == EXIT_NOT_FOUND == 2
    assert one_error_line(capsys) == f"mailseal: no message {'a' * 26} was sealed here [not-found]"


def test_keys_list_marks_the_current_key(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(data), "keys", "rotate"]) == 0
    capsys.readouterr()
    assert main(["--data", str(data), "keys", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].split() == [lines[0]]  # the older key: its id alone
    assert lines[1].endswith("(current: new seals use it)")


def relay_users(login: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailseal.mail.relay_users", login], input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_relay_users_without_a_terminal(tmp_path: Path) -> None:
    empty = relay_users("relay-bot", "")
    assert empty.returncode == 1 and "Traceback" not in empty.stderr
    assert empty.stderr.splitlines() == [
        "no password: give it as the first line of standard input, or run this in a terminal"
    ]
    piped = relay_users("relay-bot", "correct horse\n")
    assert piped.returncode == 0, piped.stderr
    users = tmp_path / "relay_users"
    users.write_text(piped.stdout)
    loaded = RelayUsers.load(users)
    assert loaded.check("relay-bot", b"correct horse") and not loaded.check("relay-bot", b"correct horse\n")
