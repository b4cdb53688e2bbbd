"""`mailseal rules init` and `mailseal rules test MESSAGE.eml`: what the rules would do, nothing sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailseal import cli
from mailseal.rules import example_rules_text
from support.mail_listeners import plain_mail


def run(data: Path, *args: str) -> int:
    return cli.main(["--data", str(data), *args])


def test_rules_init_writes_the_example_once(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "rules", "init") == 0
    assert (data_dir / "rules.toml").read_text(encoding="utf-8") == example_rules_text()
    (data_dir / "rules.toml").write_text("version = 1\n", encoding="utf-8")
    assert run(data_dir, "rules", "init") == 1
    assert "exists" in capsys.readouterr().err
    assert (data_dir / "rules.toml").read_text(encoding="utf-8") == "version = 1\n"
    assert run(data_dir, "rules", "init", "--force") == 0
    assert (data_dir / "rules.toml").read_text(encoding="utf-8") == example_rules_text()


def test_rules_test_explains_the_decision(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "rules", "init") == 0
    capsys.readouterr()
    secure = tmp_path / "secure.eml"
    secure.write_bytes(plain_mail("[secure] Q3 numbers", to="bob@partner.example"))
    assert run(data_dir, "rules", "test", str(secure)) == 0
    out = capsys.readouterr().out
    assert out.startswith("Decision: seal with template 'encrypt-only'")
    assert "Decided by: rule 'Secure subject'" in out
    confidential = tmp_path / "confidential.eml"
    confidential.write_bytes(plain_mail("Plans", extra=[("Sensitivity", "Company-Confidential")]))
    assert run(data_dir, "rules", "test", str(confidential), "--from", "ceo@example.org", "--to", "x@y.example") == 0
    assert "template 'do-not-forward'" in capsys.readouterr().out
    plain = tmp_path / "plain.eml"
    plain.write_bytes(plain_mail("Lunch"))
    assert run(data_dir, "rules", "test", str(plain)) == 0
    assert capsys.readouterr().out.startswith("Decision: do not seal")
    assert not (data_dir / "outbox").exists()


def test_rules_test_with_a_broken_file_names_the_line(data_dir: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (data_dir / "rules.toml").write_text("version = 1\n\n[[rule]]\nname = \n", encoding="utf-8")
    message = tmp_path / "m.eml"
    message.write_bytes(plain_mail())
    assert run(data_dir, "rules", "test", str(message)) == 1
    err = capsys.readouterr().err
    assert "line 4" in err and "rules.invalid" in err
