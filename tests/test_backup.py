"""`mailseal backup` of a running server under load, `mailseal restore`, and revocations after a backup.

A real `mailseal serve` seals mail from its relay while `mailseal backup` runs in another process; the
backup must be one consistent instant (every envelope row with its blob, an intact database, counts that
match the manifest), and a restore into an empty folder must open every message for its recipient, byte
for byte. A restore refuses a non-empty folder and a changed backup, and demands the revocations made
after the backup (docs/backup.md says why: the backup holds their content keys).
"""

from __future__ import annotations

import json
import os
import smtplib
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mailseal.cli import main
from support.live_server import live_server
from support.mail_listeners import SEAL_SECURE, plain_mail
from support.mailseal_app import simple_mail
from support.secrets import remember
from support.softhsm import make_token, use_in_this_process

RECIPIENT = "bob@partner.example"


def numbered_mail(number: int) -> bytes:
    return plain_mail(f"[secure] mail {number}", f"Body of mail {number}.\r\n").replace(
        b"Message-ID: <m1@example.org>", f"Message-ID: <mail-{number}@example.org>".encode()
    )


def submit_until(port: int, acknowledged: list[int], stop: threading.Event) -> None:
    """Seal mail after mail through the relay until told to stop."""
    number = 0
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        while not stop.is_set():
            number += 1
            client.sendmail("alice@example.org", [RECIPIENT], numbered_mail(number))
            acknowledged.append(number)


def mailseal(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailseal", *args], capture_output=True, text=True,
                          env=env or dict(os.environ), timeout=120)


def table_ids(database: Path, table: str) -> set[str]:
    with sqlite3.connect(database) as db:
        return {row[0] for row in db.execute(f"SELECT message_id FROM {table}")}


def modes(root: Path) -> set[tuple[str, int]]:
    return {("dir" if p.is_dir() else "file", p.stat().st_mode & 0o777) for p in [root, *root.rglob("*")]}


@pytest.mark.slow
def test_backup_while_sealing_then_restore_opens_everything(tmp_path: Path) -> None:
    live = tmp_path / "live"
    live.mkdir(mode=0o700)
    (live / "rules.toml").write_text(SEAL_SECURE, encoding="utf-8")
    (live / "rules.toml").chmod(0o600)
    backup = tmp_path / "backup"
    acknowledged: list[int] = []
    stop = threading.Event()
    with live_server(live) as server:
        sender = threading.Thread(target=submit_until,
                                  args=(int(server.env["MAILSEAL_RELAY_PORT"]), acknowledged, stop))
        sender.start()
        try:
            deadline = time.monotonic() + 60
            while len(acknowledged) < 5 and sender.is_alive() and time.monotonic() < deadline:
                time.sleep(0.01)
            before = len(acknowledged)
            result = mailseal("backup", str(backup), env=server.env)
            during = len(acknowledged) - before
            time.sleep(0.5)
        finally:
            stop.set()
            sender.join(timeout=60)
        assert result.returncode == 0, result.stderr
        live_seals = table_ids(live / "mailseal.sqlite", "seals")
    assert during > 0, "no mail was sealed while the backup ran: this tested no load"

    manifest = json.loads((backup / "manifest.json").read_text())
    with sqlite3.connect(backup / "mailseal.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        counts = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("seals", "envelopes", "audit")}
    envelopes = table_ids(backup / "mailseal.sqlite", "envelopes")
    sealed = table_ids(backup / "mailseal.sqlite", "seals")
    assert {k: manifest["counts"][k] for k in counts} == counts and manifest["counts"]["blobs"] == len(envelopes)
    assert {f"blobs/{m[:2]}/{m}.seal" for m in envelopes} == {f for f in manifest["files"] if f.startswith("blobs/")}
    assert all((backup / "blobs" / m[:2] / f"{m}.seal").is_file() for m in envelopes)
    assert sealed == envelopes and len(sealed) >= 5
    assert sealed < live_seals, "sealing went on after the snapshot, and those seals are not in it"
    assert {"keys/ring.json", "keys/secret", "keys/vapid.pem", "rules.toml"} <= set(manifest["files"])
    assert modes(backup) == {("dir", 0o700), ("file", 0o600)}

    restored = tmp_path / "restored"
    assert main(["--data", str(restored), "restore", str(backup), "--no-revocations-since"]) == 0
    assert modes(restored) == {("dir", 0o700), ("file", 0o600)}
    opened_numbers = set()
    for message_id in sorted(sealed):
        out = tmp_path / "opened.eml"
        blob = restored / "blobs" / message_id[:2] / f"{message_id}.seal"
        assert main(["--data", str(restored), "open", str(blob), "--as", RECIPIENT, "-o", str(out)]) == 0
        opened = out.read_bytes()
        number = int(opened.split(b"[secure] mail ", 1)[1].split(b"\r\n", 1)[0])
        assert opened == numbered_mail(number)
        opened_numbers.add(number)
        out.unlink()
    assert len(opened_numbers) == len(sealed)


@pytest.fixture
def sealed_two(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """A live installation with two sealed messages, and a backup of it taken then."""
    live = tmp_path / "live"
    source = tmp_path / "in.eml"
    source.write_bytes(simple_mail())
    ids = []
    for _ in range(2):
        result = mailseal("--data", str(live), "protect", str(source), "--from", "alice@example.org",
                          "--to", "bob@gmail.com", "-o", str(tmp_path / "page.html"))
        assert result.returncode == 0, result.stderr
        ids.append(result.stdout.strip())
    backup = tmp_path / "backup"
    assert main(["--data", str(live), "backup", str(backup)]) == 0
    return live, backup, ids


def open_as_bob(data: Path, message_id: str, out: Path) -> int:
    blob = data / "blobs" / message_id[:2] / f"{message_id}.seal"
    return main(["--data", str(data), "open", str(blob), "--as", "bob@gmail.com", "-o", str(out)])


def test_restore_refuses_a_folder_that_is_not_empty(
    sealed_two: tuple[Path, Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, backup, _ = sealed_two
    target = tmp_path / "busy"
    target.mkdir()
    (target / "something").write_text("mine")
    assert main(["--data", str(target), "restore", str(backup), "--no-revocations-since"]) == 1
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in target.iterdir()] == ["something"]
    assert main(["--data", str(tmp_path / "live"), "restore", str(backup), "--no-revocations-since"]) == 1


@pytest.mark.parametrize("change", ["flip a byte", "add a file", "remove a file", "edit the manifest"])
def test_a_changed_backup_is_refused_and_nothing_is_written(
    sealed_two: tuple[Path, Path, list[str]], tmp_path: Path, change: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, backup, ids = sealed_two
    blob = backup / "blobs" / ids[0][:2] / f"{ids[0]}.seal"
    if change == "flip a byte":
        data = bytearray(blob.read_bytes())
        data[len(data) // 2] ^= 1
        blob.write_bytes(bytes(data))
    elif change == "add a file":
        (backup / "keys" / "extra").write_bytes(b"x")
    elif change == "remove a file":
        blob.unlink()
    else:
        manifest = json.loads((backup / "manifest.json").read_text())
        manifest["files"]["keys/ring.json"]["sha256"] = "0" * 64
        (backup / "manifest.json").write_text(json.dumps(manifest))
    target = tmp_path / "restored"
    assert main(["--data", str(target), "restore", str(backup), "--no-revocations-since"]) == 1
    assert "[backup.damaged]" in capsys.readouterr().err
    assert not target.exists() or not any(target.iterdir())


def test_a_revocation_after_the_backup_is_applied_again_from_the_old_installation(
    sealed_two: tuple[Path, Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live, backup, (revoked, kept) = sealed_two
    assert main(["--data", str(live), "revoke", revoked]) == 0
    capsys.readouterr()
    assert main(["--data", str(live), "revocations"]) == 0
    revocations = tmp_path / "revocations.jsonl"
    revocations.write_text(capsys.readouterr().out)
    assert [json.loads(line)["message_id"] for line in revocations.read_text().splitlines()] == [revoked]
    assert main(["--data", str(live), "audit", "--json"]) == 0
    audit = tmp_path / "audit.jsonl"
    audit.write_text(capsys.readouterr().out)
    out = tmp_path / "out.eml"

    # No decision about revocations since the backup: refused, nothing written.
    refused = tmp_path / "undecided"
    assert main(["--data", str(refused), "restore", str(backup)]) == 1
    assert "--revocations-from" in capsys.readouterr().err and not refused.exists()

    # With the old installation's list (either export), the revoked message stays revoked.
    for name, listing in (("from-revocations", revocations), ("from-audit", audit)):
        target = tmp_path / name
        assert main(["--data", str(target), "restore", str(backup), "--revocations-from", str(listing)]) == 0
        assert "re-applied 1 revocation" in capsys.readouterr().out
        assert open_as_bob(target, revoked, out) == 1
        assert "revoked" in capsys.readouterr().err and not out.exists()
        assert open_as_bob(target, kept, out) == 0
        out.unlink()

    # Saying there were none, as documented: the backup's copy of the content key opens it again.
    target = tmp_path / "none-given"
    assert main(["--data", str(target), "restore", str(backup), "--no-revocations-since"]) == 0
    assert open_as_bob(target, revoked, out) == 0


def test_an_envelope_missing_from_the_live_store_fails_the_backup_and_leaves_no_backup(
    sealed_two: tuple[Path, Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live, _, ids = sealed_two
    (live / "blobs" / ids[1][:2] / f"{ids[1]}.seal").unlink()
    target = tmp_path / "second"
    assert main(["--data", str(live), "backup", str(target)]) == 1
    assert ids[1] in capsys.readouterr().err and not target.exists()


def test_remote_stores_are_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MAILSEAL_DATABASE_URL", "postgresql://mailseal@127.0.0.1/mailseal")
    assert main(["--data", str(tmp_path / "data"), "backup", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err
    assert "pg_dump" in err and len(err.strip().splitlines()) == 1 and not (tmp_path / "b").exists()


@pytest.mark.parametrize("kind", ["passphrase", "pkcs11"])
def test_each_key_ring_kind_is_backed_up_as_it_is_and_restores(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [n for n in os.environ if n.startswith("MAILSEAL_") and n != "MAILSEAL_REQUIRE_SOFTHSM"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MAILSEAL_KEY_STORE", kind)
    ring_file = {"passphrase": "ring-passphrase.json", "pkcs11": "ring-pkcs11.json"}[kind]
    token = None
    if kind == "passphrase":
        passphrase = "a passphrase only for this test"
        remember(passphrase)
        monkeypatch.setenv("MAILSEAL_KEY_PASSPHRASE", passphrase)
    else:
        token = make_token(tmp_path / "softhsm")
        use_in_this_process(token, monkeypatch)
        for name, value in token.env().items():
            monkeypatch.setenv(name, value)
    live, backup, restored = tmp_path / "live", tmp_path / "backup", tmp_path / "restored"
    assert main(["--data", str(live), "keys", "init"]) == 0
    source = tmp_path / "in.eml"
    source.write_bytes(simple_mail())
    assert main(["--data", str(live), "protect", str(source), "--from", "alice@example.org", "--to", "bob@gmail.com",
                 "-o", str(tmp_path / "page.html")]) == 0
    message_id = capsys.readouterr().out.strip().splitlines()[-1]

    assert main(["--data", str(live), "backup", str(backup)]) == 0
    err = capsys.readouterr().err
    assert sorted(p.name for p in (backup / "keys").iterdir()) == sorted([ring_file, "secret"])
    assert (backup / "keys" / ring_file).read_bytes() == (live / "keys" / ring_file).read_bytes()
    if token is not None:  # the keys stay on the token: the backup says so, and holds none of them
        assert f"PKCS#11 token {token.label!r}" in err and "its own" in err
        assert not any(token.label in p.name or p.suffix == ".object" for p in backup.rglob("*"))
    assert main(["--data", str(restored), "restore", str(backup), "--no-revocations-since"]) == 0
    out = tmp_path / "out.eml"
    assert open_as_bob(restored, message_id, out) == 0
    assert out.read_bytes() == source.read_bytes()
