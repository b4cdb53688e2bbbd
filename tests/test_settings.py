"""Settings are checked in one place at start: any problem is one line that names the setting, where
its value came from and what is allowed, with a non-zero exit status; `mailseal config` shows the
values the server uses."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailseal.cli import main
from mailseal.config import load_settings
from mailseal.logs import configure_logging


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import os

    for name in [n for n in os.environ if n.startswith("MAILSEAL_")]:
        monkeypatch.delenv(name)
    yield
    configure_logging("DEBUG")  # as conftest left it


def refusal(data: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run `mailseal config` (or `args`), expect exit status 1 and exactly one line on stderr."""
    assert main(["--data", str(data), *(args or ("config",))]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert captured.out == ""
    assert lines[0].startswith("mailseal: ") and lines[0].endswith("[config.invalid]"), lines[0]
    return lines[0]


def test_log_level_in_any_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILSEAL_LOG_LEVEL", "debug")
    settings = load_settings(data=str(tmp_path))
    assert settings.log_level == "DEBUG"
    configure_logging(settings.log_level)  # what `serve` does first; "debug" raised ValueError here


def test_an_unknown_log_level_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MAILSEAL_LOG_LEVEL", "verbose")
    line = refusal(tmp_path, capsys)
    assert "log_level (environment variable MAILSEAL_LOG_LEVEL)" in line
    assert "'verbose'" in line and "DEBUG, INFO, WARNING, ERROR" in line


def test_an_unknown_key_in_the_file_is_refused_with_its_line(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "mailseal.toml"
    config.write_text('# Mailseal\nport = 8081\norg_nme = "Contoso"\n')
    line = refusal(tmp_path, capsys)
    assert f"org_nme ({config} line 3): not a setting" in line and "did you mean org_name?" in line


def test_a_wrong_type_in_the_file_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "mailseal.toml"
    config.write_text('org_name = "Contoso"\n\nport = "eighty"\n')
    assert f"port ({config} line 3): 'eighty' is not a whole number" in refusal(tmp_path, capsys)


def test_variables_and_flags_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MAILSEAL_DEV", "maybe")
    assert "dev (environment variable MAILSEAL_DEV): 'maybe' is not one of" in refusal(tmp_path, capsys)
    monkeypatch.delenv("MAILSEAL_DEV")
    monkeypatch.setenv("MAILSEAL_CODE_TTL_MINUTES", "60")
    assert "code_ttl_minutes (environment variable MAILSEAL_CODE_TTL_MINUTES)" in refusal(tmp_path, capsys)
    monkeypatch.delenv("MAILSEAL_CODE_TTL_MINUTES")
    result = serve(tmp_path, "--relay-port", "70000")  # a subprocess: if it started, it would stop
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "mailseal: relay_port (flag --relay-port): 70000 is not a port; allowed: 0 to 65535 (0: any free port) "
        "[config.invalid]"
    ]


@pytest.mark.parametrize(
    ("public_url", "problem"),
    [
        ("http://192.168.1.5:8080", "plain http on another machine"),
        ("https://mail.example.org/mailseal", "has a path"),
        ("mail.example.org", "is not an origin"),
        ("https://mail.example.org:99999", "is not a URL"),
    ],
)
def test_a_public_url_that_cannot_work_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str], public_url: str,
                                                  problem: str) -> None:
    monkeypatch.setenv("MAILSEAL_PUBLIC_URL", public_url)
    line = refusal(tmp_path, capsys)
    assert "public_url (environment variable MAILSEAL_PUBLIC_URL)" in line and problem in line


def test_listening_everywhere_needs_a_public_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MAILSEAL_HOST", "0.0.0.0")
    line = refusal(tmp_path, capsys)
    assert "public_url (not set, so http://0.0.0.0:8080 from host (environment variable MAILSEAL_HOST)" in line
    assert "set public_url to https://" in line


@pytest.mark.parametrize("public_url", ["https://mail.example.org", "https://192.168.1.5:8443/",
                                        "http://localhost:8080", "http://127.0.0.1:9000", "http://[::1]:8080"])
def test_public_urls_that_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, public_url: str) -> None:
    monkeypatch.setenv("MAILSEAL_PUBLIC_URL", public_url)
    assert load_settings(data=str(tmp_path)).base_url == public_url.rstrip("/")


def test_config_prints_effective_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MAILSEAL_PORT", "9090")
    monkeypatch.setenv("MAILSEAL_LOG_LEVEL", "warning")
    assert main(["--data", str(tmp_path), "config"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["public_url"] == "http://127.0.0.1:9090"
    assert shown["log_level"] == "WARNING"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def serve(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`mailseal serve` on free ports, in a child that is stopped if it starts after all."""
    command = [sys.executable, "-m", "mailseal", "--data", str(data), "serve", "--port", str(free_port()),
               "--inbound-port", "0", *args]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        try:
            out, err = child.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
        return subprocess.CompletedProcess(command, child.returncode, out, err)


def test_a_relay_port_in_use_is_one_line_before_the_banner(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        result = serve(tmp_path, "--relay-port", str(busy))
    assert result.returncode == 1
    assert result.stdout == ""  # no banner
    assert result.stderr.splitlines() == [
        f"mailseal: relay_port (flag --relay-port): cannot listen on 127.0.0.1:{busy} (Address already in use); "
        "allowed: a free port [config.invalid]"
    ]
