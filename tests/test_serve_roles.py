"""`mailseal serve --role all|web|smtp|worker`: which parts each role runs, how `smtp_listeners` folds in,
the settings that go with roles, and a key ring that several roles create at once on first start."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mailseal.cli import main
from mailseal.config import load_settings
from mailseal.errors import SettingError
from mailseal.keys.file_ring import FileKeyRing
from mailseal.roles import Parts, parts_of


@pytest.mark.parametrize(("role", "smtp_listeners", "parts"), [
    ("all", "true", Parts(web=True, smtp=True, worker=True)),
    ("all", "false", Parts(web=True, smtp=False, worker=True)),
    ("web", "true", Parts(web=True, smtp=False, worker=False)),
    ("smtp", "true", Parts(web=False, smtp=True, worker=False)),
    ("worker", "true", Parts(web=False, smtp=False, worker=True)),
    ("worker", "false", Parts(web=False, smtp=False, worker=True)),
])
def test_each_role_runs_its_parts(tmp_path: Path, role: str, smtp_listeners: str, parts: Parts) -> None:
    settings = load_settings({"MAILSEAL_ROLE": role, "MAILSEAL_SMTP_LISTENERS": smtp_listeners}, data=str(tmp_path))
    assert parts_of(settings) == parts


def test_the_default_is_everything_in_one_process(tmp_path: Path) -> None:
    settings = load_settings({}, data=str(tmp_path))
    assert (settings.role, settings.web_workers) == ("all", 1)
    assert parts_of(settings) == Parts(web=True, smtp=True, worker=True)


def test_settings_that_contradict_the_role_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(SettingError, match="role") as smtp_off:
        load_settings({"MAILSEAL_SMTP_LISTENERS": "false"}, data=str(tmp_path), role="smtp")
    assert "smtp_listeners = false" in smtp_off.value.detail
    with pytest.raises(SettingError, match="web_workers") as many:
        load_settings({}, data=str(tmp_path), web_workers=2)
    assert "role = web" in many.value.detail
    with pytest.raises(SettingError, match="role"):
        load_settings({"MAILSEAL_ROLE": "mail"}, data=str(tmp_path))
    with pytest.raises(SettingError, match="mail_queue_lease_seconds"):
        load_settings({"MAILSEAL_MAIL_QUEUE_LEASE_SECONDS": "1"}, data=str(tmp_path))
    assert load_settings({}, data=str(tmp_path), role="web", web_workers=4).web_workers == 4


def test_serve_names_a_wrong_combination_before_anything_listens(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(tmp_path), "serve", "--role", "smtp", "--workers", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mailseal: web_workers (flag --web-workers): 2 HTTP workers need role = web"), err


RACE = """
import hashlib, sys, time
from pathlib import Path
from mailseal.keys.file_ring import FileKeyRing
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
ring, created = FileKeyRing.load_or_create(Path(sys.argv[2]))
print(hashlib.sha256(ring.keys()[0].key).hexdigest(), created)
"""


def test_roles_starting_at_once_share_one_new_key_ring(tmp_path: Path) -> None:
    """systemd starts web, smtp and worker together on the first day: each must use the one ring on disk."""
    go, ring = tmp_path / "go", tmp_path / "keys" / "ring.json"
    children = [subprocess.Popen([sys.executable, "-c", RACE, str(go), str(ring)], stdout=subprocess.PIPE, text=True)
                for _ in range(6)]
    time.sleep(1.5)  # every child imported and waiting
    go.touch()
    answers = [child.communicate(timeout=60)[0].split() for child in children]
    keys = {key for key, _ in answers}
    assert len(keys) == 1, f"{len(keys)} different key rings in use"
    assert keys == {hashlib.sha256(FileKeyRing.load(ring).keys()[0].key).hexdigest()}
    assert [created for _, created in answers].count("True") == 1
    assert not list(ring.parent.glob("*.new"))
