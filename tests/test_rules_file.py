"""The rules file on disk: reload on change, refuse a broken edit and keep the last good rules."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from mailseal.rules import EMPTY_RULES, RULES_FILE_NAME, RulesError, RulesFile, example_rules_text, load_rules_file


def rules_text(*names: str, seal: str = "encrypt-only") -> str:
    return "".join(
        f'[[rule]]\nname = "{name}"\npriority = {i}\naction = {{ seal = "{seal}" }}\n\n' for i, name in enumerate(names)
    )


def write(path: Path, text: str) -> None:
    """Write and move the mtime forward, so a change is seen even within the filesystem's time granularity."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


@pytest.fixture
def path(data_dir: Path) -> Path:
    return data_dir / RULES_FILE_NAME


def test_no_file_means_no_rules(path: Path) -> None:
    watched = RulesFile(path)
    assert watched.current() is EMPTY_RULES
    assert watched.last_error is None


def test_loads_and_reloads_when_the_file_changes(path: Path) -> None:
    write(path, rules_text("One"))
    watched = RulesFile(path)
    first = watched.current()
    assert [rule.name for rule in first.rules] == ["One"]
    assert watched.current() is first  # unchanged file: not read again

    write(path, rules_text("One", "Two"))
    second = watched.current()
    assert [rule.name for rule in second.rules] == ["One", "Two"]
    assert second.digest != first.digest


def test_a_file_replaced_by_rename_is_reloaded(path: Path) -> None:
    write(path, rules_text("Old"))
    watched = RulesFile(path)
    assert watched.current().rules[0].name == "Old"
    fresh = path.with_suffix(".new")
    fresh.write_text(rules_text("New"), encoding="utf-8")
    os.replace(fresh, path)
    assert watched.current().rules[0].name == "New"


@pytest.mark.parametrize(
    ("broken", "line", "reason"),
    [
        ('[[rule]]\nname = "Broken\n', 2, "rules.toml, line 2, column 15: "),
        (rules_text("X") + "[rule.conditions]\nsubjet_contains = 'x'\n", 7, "unknown key 'subjet_contains'"),
        (rules_text("X") + "[rule.conditions]\nsubject_matches = '(?P=n)'\n", 7, "subject_matches: "),
        (rules_text("X", seal="top-secret"), 4, "unknown template 'top-secret'"),
    ],
    ids=["syntax", "unknown-key", "bad-regex", "unknown-template"],
)
def test_a_broken_edit_is_refused_and_the_last_good_rules_stay(
    path: Path, broken: str, line: int, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    write(path, rules_text("Good"))
    watched = RulesFile(path)
    good = watched.current()

    write(path, broken)
    caplog.clear()  # other tests may leave INFO on, so the first load's record would be here too
    with caplog.at_level(logging.ERROR, logger="mailseal.rules"):
        assert watched.current() is good
    error = watched.last_error
    assert error is not None and error.line == line
    assert reason in error.detail and f"line {line}" in error.detail
    assert [r.message for r in caplog.records] == [
        f"rules file refused; the last good rules stay in force: {error.detail}"
    ]

    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="mailseal.rules"):
        assert watched.current() is good  # the same broken file is not reported again
    assert caplog.records == []

    write(path, rules_text("Fixed"))
    assert watched.current().rules[0].name == "Fixed"
    assert watched.last_error is None


def test_a_file_that_never_loaded_defers_mail_instead_of_sealing_nothing(path: Path) -> None:
    write(path, "[[rule]\n")
    watched = RulesFile(path)
    with pytest.raises(RulesError) as caught:
        watched.current()
    assert caught.value is watched.last_error
    assert caught.value.line == 1
    with pytest.raises(RulesError):
        watched.current()
    write(path, rules_text("Now good"))
    assert watched.current().rules[0].name == "Now good"


def test_removing_the_file_removes_the_rules(path: Path) -> None:
    write(path, rules_text("Gone soon"))
    watched = RulesFile(path)
    assert len(watched.current()) == 1
    path.unlink()
    assert watched.current() is EMPTY_RULES


def test_load_rules_file(path: Path) -> None:
    with pytest.raises(RulesError, match="no such rules file"):
        load_rules_file(path)
    path.write_bytes(rules_text("A").encode() + b"# caf\xe9\n")
    with pytest.raises(RulesError) as caught:
        load_rules_file(path)
    assert caught.value.line == 6
    assert "not valid UTF-8" in caught.value.detail
    path.write_text(example_rules_text(), encoding="utf-8")
    loaded = load_rules_file(path)
    assert loaded.source == str(path)
    assert loaded.rules[0].name == "Company confidential"


def test_a_huge_file_is_refused_without_reading_it_all(path: Path) -> None:
    with path.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)
    with pytest.raises(RulesError, match="too large"):
        load_rules_file(path)
