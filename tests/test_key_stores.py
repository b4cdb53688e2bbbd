"""The organisation key ring in each kind (`key_store`): file, passphrase, PKCS#11 on a real SoftHSM2 token.

Per kind: seal under one key, rotate, seal again, and after a fresh start both open; a move between
kinds keeps every message open (and a revoked one revoked); a wrong passphrase stops `mailseal serve` with
one line; with PKCS#11 no organisation key is in the data folder or the database, and the token's key
is sensitive and never extractable.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mailseal.cli import main
from mailseal.composition import open_instance
from mailseal.config import Settings
from mailseal.errors import DamagedEnvelope, WrongPassphrase
from mailseal.keys import Identity, KeyService
from mailseal.keys.passphrase_ring import PassphraseKeyRing
from mailseal.keys.service import NewSeal
from mailseal.keys.stores import init_key_ring, open_key_ring
from mailseal.keys.wrap import NONCE_SIZE, wrap_aad
from support.live_server import free_port, live_server
from support.mailseal_app import simple_mail
from support.softhsm import SoftToken, make_token, use_in_this_process

PASSPHRASE = "correct horse battery staple"
BOB = "bob@gmail.com"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in [n for n in os.environ if n.startswith("MAILSEAL_") and n != "MAILSEAL_REQUIRE_SOFTHSM"]:
        monkeypatch.delenv(name)


@pytest.fixture
def token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftToken:
    made = make_token(tmp_path / "softhsm")
    use_in_this_process(made, monkeypatch)
    return made


def settings_for(kind: str, data: Path, token: SoftToken | None = None) -> Settings:
    extra = {}
    if token is not None:
        extra = dict(pkcs11_module=token.module, pkcs11_token_label=token.label, pkcs11_pin_file=str(token.pin_file))
    return Settings(data=str(data), key_store=kind, **extra)


@pytest.fixture(params=["file", "passphrase", "pkcs11"])
def kind_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    token = request.getfixturevalue("token") if request.param == "pkcs11" else None
    return settings_for(request.param, tmp_path / "data", token)


ENVIRON = {"MAILSEAL_KEY_PASSPHRASE": PASSPHRASE}


async def seal(keys: KeyService, message_id: str, content_key: bytes) -> None:
    new = NewSeal(
        message_id=message_id, issuer="https://mail.example.org", sender="alice@example.org", recipients=(BOB,),
        template="encrypt-only", rights=("view",), created_at=1_800_000_000, expires_at=None,
        header_fingerprint=b"\x01" * 32,
    )
    async with keys.store.transaction() as tx:
        await keys.register(tx, new, content_key, key_id=keys.current_key_id, actor="test")


async def test_seal_rotate_then_old_and_new_open_after_a_fresh_start(
    kind_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each kind opened the way the server and the commands open it: by the composition root."""
    monkeypatch.setenv("MAILSEAL_KEY_PASSPHRASE", PASSPHRASE)
    keys_dir = kind_settings.data_path / "keys"
    ring, created = init_key_ring(kind_settings, keys_dir, kind_settings.key_store, environ=ENVIRON)  # type: ignore[arg-type]
    assert created and ring.kind == kind_settings.key_store
    ring.close()
    instance = await open_instance(kind_settings, create_keys=False)
    try:
        keys = instance.keys
        assert keys.ring is instance.ring and keys.ring.kind == kind_settings.key_store
        old_key = keys.current_key_id
        await seal(keys, "a" * 26, b"A" * 32)
        new_key = instance.ring.rotate()
        assert new_key != old_key and instance.ring.ids == [old_key, new_key] and keys.current_key_id == new_key
        await seal(keys, "b" * 26, b"B" * 32)
    finally:
        await instance.close()

    again = await open_instance(kind_settings, create_keys=False)
    try:
        keys = again.keys
        assert not again.created_keys and again.ring.ids == [old_key, new_key]
        assert (await keys.record("a" * 26)).key_id == old_key
        assert (await keys.record("b" * 26)).key_id == new_key
        assert (await keys.unwrap("a" * 26, Identity((BOB,)))).key == b"A" * 32
        assert (await keys.unwrap("b" * 26, Identity((BOB,)))).key == b"B" * 32
        # Bound to the message and the key, in every kind: a wrapped key moved to another row does not open.
        wrapped = (await keys.load("a" * 26)).wrapped_key
        assert wrapped is not None
        with pytest.raises(DamagedEnvelope):
            again.ring.unwrap(wrapped, message_id="b" * 26, key_id=old_key)
    finally:
        await again.close()


async def test_closing_the_instance_closes_its_token_ring(tmp_path: Path, token: SoftToken) -> None:
    """The composition root owns the ring: a PKCS#11 ring's session ends with the instance, not later."""
    import pkcs11

    settings = settings_for("pkcs11", tmp_path / "data", token)
    init_key_ring(settings, settings.data_path / "keys", "pkcs11")[0].close()
    instance = await open_instance(settings, create_keys=False)
    key_id = instance.ring.current_id()
    wrapped = instance.ring.wrap(b"K" * 32, message_id="a" * 26, key_id=key_id)
    await instance.close()
    with pytest.raises(pkcs11.exceptions.PKCS11Error):
        instance.ring.unwrap(wrapped, message_id="a" * 26, key_id=key_id)


# --- the command, across kinds -------------------------------------------------------------------------


def protect(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> tuple[str, Path]:
    source = tmp_path / f"{name}.eml"
    source.write_bytes(simple_mail(subject=f"message {name}"))
    page = tmp_path / f"{name}.html"
    assert main(["--data", str(data), "protect", str(source), "--from", "alice@example.org", "--to", BOB,
                 "-o", str(page)]) == 0
    return capsys.readouterr().out.strip(), page


def opens(data: Path, page: Path, capsys: pytest.CaptureFixture[str]) -> bool:
    out = page.with_suffix(".eml")
    status = main(["--data", str(data), "open", "--as", BOB, str(page), "-o", str(out)])
    capsys.readouterr()
    return status == 0 and b"Subject: message" in out.read_bytes()


def test_rotation_and_moves_across_kinds_keep_every_message_open(
    tmp_path: Path, token: SoftToken, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert main(["--data", str(data), "keys", "init"]) == 0
    _, first = protect(data, tmp_path, capsys, "first")
    revoked_id, revoked = protect(data, tmp_path, capsys, "revoked")
    assert main(["--data", str(data), "revoke", revoked_id]) == 0
    file_keys = json.loads((data / "keys" / "ring.json").read_text())["keys"]

    monkeypatch.setenv("MAILSEAL_KEY_PASSPHRASE", PASSPHRASE)
    capsys.readouterr()
    assert main(["--data", str(data), "keys", "migrate", "--to", "passphrase"]) == 0
    assert "set key_store = 'passphrase'" in capsys.readouterr().err
    assert sorted(p.name for p in (data / "keys").iterdir()) == ["ring-passphrase.json", "secret"]
    monkeypatch.setenv("MAILSEAL_KEY_STORE", "passphrase")
    assert opens(data, first, capsys)
    assert main(["--data", str(data), "keys", "rotate"]) == 0
    _, second = protect(data, tmp_path, capsys, "second")
    assert opens(data, first, capsys) and opens(data, second, capsys)

    for name, value in token.env().items():
        monkeypatch.setenv(name, value)
    assert main(["--data", str(data), "keys", "migrate", "--to", "pkcs11"]) == 0
    assert "2 content key(s) re-wrapped" in capsys.readouterr().out  # first and second; the revoked one has none
    assert sorted(p.name for p in (data / "keys").iterdir()) == ["ring-pkcs11.json", "secret"]
    monkeypatch.setenv("MAILSEAL_KEY_STORE", "pkcs11")
    monkeypatch.delenv("MAILSEAL_KEY_PASSPHRASE")
    assert opens(data, first, capsys) and opens(data, second, capsys)
    assert main(["--data", str(data), "keys", "rotate"]) == 0
    _, third = protect(data, tmp_path, capsys, "third")
    assert opens(data, first, capsys) and opens(data, second, capsys) and opens(data, third, capsys)
    assert not opens(data, revoked, capsys)  # revoked stays revoked: its key was destroyed, not moved

    assert main(["--data", str(data), "keys", "list"]) == 0
    listed = capsys.readouterr()
    assert listed.err.startswith(f"pkcs11 key ring: token {token.label!r}")
    token_ids = [line.split()[0] for line in listed.out.splitlines()]
    assert len(token_ids) == 2 and listed.out.splitlines()[-1].endswith("(current: new seals use it)")
    with sqlite3.connect(data / "mailseal.sqlite") as db:
        rows = db.execute("SELECT key_id, wrapped_key FROM seals").fetchall()
    assert {key_id for key_id, wrapped in rows if wrapped is not None} == set(token_ids)
    assert [wrapped for key_id, wrapped in rows if key_id == file_keys[0]["id"]] == [None]  # only the revoked one
    actions = [json.loads(line)["action"] for line in _audit(data, capsys)]
    assert "rekey" in actions


def test_a_move_to_pkcs11_that_stopped_half_way_finishes_when_run_again(
    tmp_path: Path, token: SoftToken, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stopped after the re-wrap committed but before the old ring file was deleted: run again, nothing is lost."""
    from mailseal.keys.file_ring import FileKeyRing

    data = tmp_path / "data"
    assert main(["--data", str(data), "keys", "init"]) == 0
    _, page = protect(data, tmp_path, capsys, "early")
    settings = settings_for("file", data, token)
    target, _ = init_key_ring(settings, data / "keys", "pkcs11", moving_from="file")

    async def rewrap() -> int:
        instance = await open_instance(settings, create_keys=False)
        try:
            assert isinstance(instance.ring, FileKeyRing)
            return await instance.keys.rewrap_all(target, actor="t")
        finally:
            await instance.close()

    assert asyncio.run(rewrap()) == 1
    target.close()
    for name, value in token.env().items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    assert main(["--data", str(data), "keys", "migrate", "--to", "pkcs11"]) == 0
    assert "0 content key(s) re-wrapped" in capsys.readouterr().out
    assert not (data / "keys" / "ring.json").exists()
    monkeypatch.setenv("MAILSEAL_KEY_STORE", "pkcs11")
    assert opens(data, page, capsys)


async def test_a_running_ring_opens_what_another_process_sealed_under_a_newer_token_key(
    tmp_path: Path, token: SoftToken
) -> None:
    """A server's instance (this process) and `mailseal keys rotate` + `protect` in another: the server still
    opens it."""
    import os

    data = tmp_path / "data"
    settings = settings_for("pkcs11", data, token)
    init_key_ring(settings, data / "keys", "pkcs11")[0].close()
    running = await open_instance(settings, create_keys=False)
    try:
        first_key = running.ring.current_id()
        env = {**os.environ, **token.env(), "MAILSEAL_KEY_STORE": "pkcs11"}
        child = [sys.executable, "-m", "mailseal", "--data", str(data)]
        subprocess.run([*child, "keys", "rotate"], env=env, check=True, capture_output=True, timeout=60)
        source = tmp_path / "in.eml"
        source.write_bytes(simple_mail())
        sealed = subprocess.run([*child, "protect", str(source), "--from", "alice@example.org", "--to", BOB, "-o",
                                 str(tmp_path / "m.html")], env=env, check=True, capture_output=True, text=True,
                                timeout=60)
        message_id = sealed.stdout.strip()
        assert (await running.keys.record(message_id)).key_id != first_key
        assert len((await running.keys.unwrap(message_id, Identity((BOB,)))).key) == 32
    finally:
        await running.close()


def _audit(data: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["--data", str(data), "audit", "--json"]) == 0
    return capsys.readouterr().out.splitlines()


def test_a_token_ring_is_not_replaced_by_a_new_file_ring(
    tmp_path: Path, token: SoftToken, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`key_store` left at its default on a folder whose keys are on a token: refuse, never start afresh."""
    data = tmp_path / "data"
    for name, value in token.env().items():
        monkeypatch.setenv(name, value)
    assert main(["--data", str(data), "keys", "init", "--store", "pkcs11"]) == 0
    capsys.readouterr()
    source = tmp_path / "in.eml"
    source.write_bytes(simple_mail())
    assert main(["--data", str(data), "protect", str(source), "--from", "alice@example.org", "--to", BOB,
                 "-o", str(tmp_path / "m.html")]) == 1
    line = capsys.readouterr().err.strip()
    assert line == (f"mailseal: key_store is file, but {data.resolve()}/keys/ring-pkcs11.json holds a pkcs11 key ring:"
                    " set key_store = pkcs11 [config.invalid]")
    assert not (data / "keys" / "ring.json").exists()


# --- the passphrase ring -------------------------------------------------------------------------------


def serve(data: Path, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    ports = {f"MAILSEAL_{name}": str(free_port()) for name in ("PORT", "RELAY_PORT", "INBOUND_PORT")}
    return subprocess.run([sys.executable, "-m", "mailseal", "--data", str(data), "serve"], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **ports, **env})


def test_a_wrong_passphrase_refuses_to_start_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    PassphraseKeyRing.create(data / "keys" / "ring-passphrase.json", PASSPHRASE.encode())
    wrong_file = tmp_path / "passphrase"
    wrong_file.write_text("correct horse battery stapler\n")
    wrong_file.chmod(0o600)
    expected = (f"mailseal: the key ring at {data.resolve()}/keys/ring-passphrase.json does not open with this"
                " passphrase (a wrong passphrase, or the file was changed) [keys.wrong-passphrase]")
    for env in ({"MAILSEAL_KEY_PASSPHRASE": "Correct horse battery staple"},
                {"MAILSEAL_KEY_PASSPHRASE_FILE": str(wrong_file), "MAILSEAL_KEY_PASSPHRASE": PASSPHRASE}):
        result = serve(data, MAILSEAL_KEY_STORE="passphrase", **env)
        assert result.returncode == 1
        assert result.stderr.splitlines() == [expected]
        assert result.stdout == ""
    missing = serve(data, MAILSEAL_KEY_STORE="passphrase")
    assert missing.returncode == 1 and missing.stderr.splitlines() == [
        "mailseal: key_passphrase_file (default): not set, and MAILSEAL_KEY_PASSPHRASE is empty or not set: the"
        " passphrase key store needs one of them [config.invalid]"
    ]


def test_the_right_passphrase_from_a_file_starts_the_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    PassphraseKeyRing.create(data / "keys" / "ring-passphrase.json", PASSPHRASE.encode())
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    passphrase_file.chmod(0o600)
    with live_server(data, key_store="passphrase", key_passphrase_file=str(passphrase_file)) as server:
        assert server.process.poll() is None


def test_the_passphrase_file_names_its_version_and_kdf_and_hides_the_keys(tmp_path: Path) -> None:
    path = tmp_path / "ring-passphrase.json"
    ring = PassphraseKeyRing.create(path, PASSPHRASE.encode())
    secret = ring.keys()[0].key
    raw = path.read_bytes()
    stored = json.loads(raw)
    assert stored["format"] == "mailseal-key-ring" and stored["version"] == 1 and stored["cipher"] == "aes-256-gcm"
    assert {k: v for k, v in stored["kdf"].items() if k != "salt"} == {
        "name": "argon2id", "memory_kib": 65536, "iterations": 3, "lanes": 4}
    assert secret not in raw and base64.b64encode(secret) not in raw
    assert PassphraseKeyRing.open(path, PASSPHRASE.encode()).ids == ring.ids
    # A cheaper KDF written into the file is refused: the parameters are bound to the ciphertext.
    stored["kdf"]["iterations"] = 1
    path.write_text(json.dumps(stored))
    with pytest.raises(WrongPassphrase):
        PassphraseKeyRing.open(path, PASSPHRASE.encode())


# --- PKCS#11: no organisation key outside the token ------------------------------------------------------


def wrapped_keys(database: Path) -> list[tuple[str, str, bytes]]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT message_id, key_id, wrapped_key FROM seals WHERE wrapped_key IS NOT NULL")
        return [(m, k, bytes(w)) for m, k, w in rows.fetchall()]


def candidate_keys(blob: bytes) -> Iterator[bytes]:
    """Every 32 bytes a file could hold a key as: raw at any offset, or inside a base64 or hex run."""
    for start in range(len(blob) - 31):
        yield blob[start:start + 32]
    for run in re.findall(rb"[A-Za-z0-9+/_-]{43,}={0,2}", blob):
        for size in (43, 44):
            for start in range(len(run) - size + 1):
                try:
                    decoded = base64.urlsafe_b64decode(run[start:start + size].replace(b"+", b"-").replace(b"/", b"_")
                                                       + b"=" * (-size % 4))
                except (binascii.Error, ValueError):
                    continue
                if len(decoded) == 32:
                    yield decoded
    for run in re.findall(rb"[0-9a-fA-F]{64,}", blob):
        for start in range(len(run) - 63):
            yield bytes.fromhex(run[start:start + 64].decode())


def keys_found(folder: Path, wrapped: list[tuple[str, str, bytes]]) -> set[str]:
    """The key ids whose organisation key is somewhere in `folder`, shown by unwrapping a content key with it."""
    message_id, key_id, sample = wrapped[0]
    found = set()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        for candidate in set(candidate_keys(path.read_bytes())):
            for message_id, key_id, sample in wrapped:
                try:
                    AESGCM(candidate).decrypt(sample[:NONCE_SIZE], sample[NONCE_SIZE:], wrap_aad(message_id, key_id))
                except InvalidTag:
                    continue
                found.add(key_id)
    return found


def seal_two_with_a_rotation(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    protect(data, tmp_path, capsys, "before")
    assert main(["--data", str(data), "keys", "rotate"]) == 0
    _, page = protect(data, tmp_path, capsys, "after")
    assert opens(data, page, capsys)


@pytest.mark.slow
def test_no_organisation_key_in_the_data_folder_or_database_with_pkcs11(
    tmp_path: Path, token: SoftToken, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The scanner finds the keys of a file ring (so its silence below means something).
    plain = tmp_path / "plain"
    assert main(["--data", str(plain), "keys", "init"]) == 0
    (tmp_path / "plain-mail").mkdir()
    seal_two_with_a_rotation(plain, tmp_path / "plain-mail", capsys)
    plain_wrapped = wrapped_keys(plain / "mailseal.sqlite")
    assert keys_found(plain, plain_wrapped) == {key_id for _, key_id, _ in plain_wrapped}

    data = tmp_path / "data"
    for name, value in token.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MAILSEAL_KEY_STORE", "pkcs11")
    assert main(["--data", str(data), "keys", "init"]) == 0
    seal_two_with_a_rotation(data, tmp_path, capsys)
    wrapped = wrapped_keys(data / "mailseal.sqlite")
    assert len({key_id for _, key_id, _ in wrapped}) == 2
    assert sorted(p.name for p in (data / "keys").iterdir()) == ["ring-pkcs11.json", "secret"]
    assert keys_found(data, wrapped) == set()

    import pkcs11
    from pkcs11 import Attribute

    ring, _ = open_key_ring(settings_for("pkcs11", data, token), data / "keys")
    for key_id in ring.ids:
        key = ring.key_object(key_id)  # type: ignore[attr-defined]
        assert key[Attribute.SENSITIVE] and key[Attribute.ALWAYS_SENSITIVE]
        assert not key[Attribute.EXTRACTABLE] and key[Attribute.NEVER_EXTRACTABLE]
        assert key[Attribute.LOCAL]  # generated on the token, never imported
        with pytest.raises(pkcs11.exceptions.AttributeSensitive):
            key[Attribute.VALUE]
    ring.close()


def test_pkcs11_problems_are_one_line(
    tmp_path: Path, token: SoftToken, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    for name, value in token.env().items():
        monkeypatch.setenv(name, value)
    assert main(["--data", str(data), "keys", "init", "--store", "pkcs11"]) == 0
    monkeypatch.setenv("MAILSEAL_KEY_STORE", "pkcs11")
    wrong_pin = tmp_path / "wrong-pin"
    wrong_pin.write_text("1234\n")
    wrong_pin.chmod(0o600)
    cases = {
        ("MAILSEAL_PKCS11_PIN_FILE", str(wrong_pin)):
            f"the token {token.label!r} through {token.module} refused the PIN from pkcs11_pin_file [keys.store]",
        ("MAILSEAL_PKCS11_TOKEN_LABEL", "another"):
            f"pkcs11_token_label (environment variable MAILSEAL_PKCS11_TOKEN_LABEL): 'another' is not the token that"
            f" holds the key ring ({token.label!r}, named in {data.resolve()}/keys/ring-pkcs11.json) [config.invalid]",
        ("MAILSEAL_PKCS11_MODULE", ""):
            "pkcs11_module (environment variable MAILSEAL_PKCS11_MODULE): not set; it is needed when key_store is"
            " pkcs11 [config.invalid]",
    }
    for (name, value), expected in cases.items():
        with monkeypatch.context() as changed:
            changed.setenv(name, value)
            capsys.readouterr()
            assert main(["--data", str(data), "keys", "list"]) == 1
            assert capsys.readouterr().err.splitlines() == [f"mailseal: {expected}"]


def test_the_settings_know_every_kind_of_key_ring() -> None:
    from mailseal.config import KEY_STORES
    from mailseal.keys import KEY_STORE_KINDS

    assert KEY_STORES == KEY_STORE_KINDS == ("file", "passphrase", "pkcs11")


def test_key_store_names_a_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MAILSEAL_KEY_STORE", "hsm")
    assert main(["--data", str(tmp_path), "config"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "mailseal: key_store (environment variable MAILSEAL_KEY_STORE): 'hsm' is not a key store; allowed: file,"
        " passphrase, pkcs11 [config.invalid]"
    ]

