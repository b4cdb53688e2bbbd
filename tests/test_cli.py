"""The `mailseal` command end to end: keys, protect, open, revoke, audit, config, failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mailseal.cli import main
from support.mailseal_app import simple_mail


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    assert main(["--data", str(folder), "keys", "init"]) == 0
    return folder


def protect(data: Path, tmp_path: Path, *extra: str, to: tuple[str, ...] = ("bob@gmail.com",)) -> tuple[str, Path]:
    source = tmp_path / "in.eml"
    source.write_bytes(simple_mail(attachment=("a.bin", "application/octet-stream", bytes(range(256)) * 100)))
    out = tmp_path / "message.html"
    args = ["--data", str(data), "protect", str(source), "--from", "alice@example.org", "-o", str(out), *extra]
    for address in to:
        args += ["--to", address]
    result = subprocess.run([sys.executable, "-m", "mailseal", *args], capture_output=True, text=True, check=True)
    return result.stdout.strip(), out


def test_protect_then_open_gives_the_same_bytes(data: Path, tmp_path: Path) -> None:
    message_id, page = protect(data, tmp_path, to=("bob@gmail.com", "carol@yahoo.com"))
    assert len(message_id) == 26
    assert b"-----BEGIN MAILSEAL MESSAGE-----" in page.read_bytes()
    assert b"<script" not in page.read_bytes().lower()
    out = tmp_path / "out.eml"
    assert main(["--data", str(data), "open", "--as", "Carol@Yahoo.com", str(page), "-o", str(out)]) == 0
    assert out.read_bytes() == (tmp_path / "in.eml").read_bytes()


def test_open_refusals_write_nothing(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, page = protect(data, tmp_path)
    out = tmp_path / "out.eml"
    assert main(["--data", str(data), "open", "--as", "mallory@evil.test", str(page), "-o", str(out)]) == 1
    assert "not sent to" in capsys.readouterr().err
    damaged = tmp_path / "damaged.html"
    text = page.read_text()
    start = text.index("-----END MAILSEAL MESSAGE-----") - 200  # inside the payload
    damaged.write_text(text[:start] + ("A" if text[start] != "A" else "B") + text[start + 1:])
    assert main(["--data", str(data), "open", "--as", "bob@gmail.com", str(damaged), "-o", str(out)]) == 1
    assert "damaged" in capsys.readouterr().err
    assert not out.exists()
    assert list(tmp_path.glob(".out.eml*")) == []


def test_revoke_kills_every_copy(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message_id, page = protect(data, tmp_path)
    copy = tmp_path / "copy.html"
    copy.write_bytes(page.read_bytes())
    assert main(["--data", str(data), "revoke", message_id]) == 0
    for envelope in (page, copy):
        out = tmp_path / "out.eml"
        assert main(["--data", str(data), "open", "--as", "bob@gmail.com", str(envelope), "-o", str(out)]) == 1
        assert "revoked" in capsys.readouterr().err
        assert not out.exists()
    assert main(["--data", str(data), "audit", message_id, "--json"]) == 0
    actions = [json.loads(line)["action"] for line in capsys.readouterr().out.splitlines()]
    assert actions == ["seal", "revoke", "refuse", "refuse"]


def test_unknown_key_and_not_a_message(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other"
    assert main(["--data", str(other), "keys", "init"]) == 0
    _, page = protect(other, tmp_path)
    out = tmp_path / "out.eml"
    assert main(["--data", str(data), "open", "--as", "bob@gmail.com", str(page), "-o", str(out)]) == 1
    assert "not sealed here" in capsys.readouterr().err
    junk = tmp_path / "junk.html"
    junk.write_text("<html>hello</html>")
    assert main(["--data", str(data), "open", "--as", "bob@gmail.com", str(junk), "-o", str(out)]) == 1
    assert not out.exists()


def test_rotation_keeps_old_messages_open(data: Path, tmp_path: Path) -> None:
    _, page = protect(data, tmp_path)
    assert main(["--data", str(data), "keys", "rotate"]) == 0
    out = tmp_path / "out.eml"
    assert main(["--data", str(data), "open", "--as", "bob@gmail.com", str(page), "-o", str(out)]) == 0


def test_config_hides_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILSEAL_SMTP_URL", "smtp://user:hunter2@mail.example.org:587")
    assert main(["--data", str(tmp_path), "config"]) == 0
    output = capsys.readouterr().out
    assert "hunter2" not in output and "user:***@mail.example.org" in output


def test_readme_documents_every_setting() -> None:
    from mailseal.config import Settings

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    import msgspec

    missing = [f.name for f in msgspec.structs.fields(Settings) if f"`{f.name}`" not in readme]
    assert missing == [], f"settings missing from the README: {missing}"
