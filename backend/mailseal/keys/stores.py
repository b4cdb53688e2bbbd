"""Which key ring `key_store` names, opened with its secret; creating one; moving a ring to another kind.

Each kind has its own file in `<data>/keys/`, so a ring of one kind is never mistaken for another or
silently replaced: a start whose kind has no file while another kind's file is there refuses, and says
how to go on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from mailseal.config import Settings
from mailseal.errors import ConfigError, SettingError
from mailseal.keys.file_ring import FileKeyRing
from mailseal.keys.passphrase_ring import PassphraseKeyRing
from mailseal.keys.ring import KEY_STORE_KINDS, KeyRing, KeyStoreKind

RING_FILES: dict[KeyStoreKind, str] = {
    "file": "ring.json",
    "passphrase": "ring-passphrase.json",
    "pkcs11": "ring-pkcs11.json",
}
PASSPHRASE_VARIABLE = "MAILSEAL_KEY_PASSPHRASE"  # noqa: S105 - the name of the variable, not a secret


def ring_file(keys_dir: Path, kind: KeyStoreKind) -> Path:
    return keys_dir / RING_FILES[kind]


def read_secret_file(setting: str, name: str) -> str:
    """A passphrase or PIN: the file's text without its final line break; refused when others may read it."""
    path = Path(name).expanduser()
    try:
        if path.stat().st_mode & 0o007:
            raise SettingError(setting, f"{path} must not be open to others (chmod o= {path})")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingError(setting, f"{path} cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    text = text.removesuffix("\n").removesuffix("\r")
    if not text:
        raise SettingError(setting, f"{path} is empty")
    return text


def read_passphrase(settings: Settings, environ: Mapping[str, str] | None = None) -> bytes:
    """From `key_passphrase_file`, else the environment variable MAILSEAL_KEY_PASSPHRASE."""
    if settings.key_passphrase_file:
        return read_secret_file("key_passphrase_file", settings.key_passphrase_file).encode("utf-8")
    passphrase = (os.environ if environ is None else environ).get(PASSPHRASE_VARIABLE, "")
    if not passphrase:
        raise SettingError("key_passphrase_file", f"not set, and {PASSPHRASE_VARIABLE} is empty or not set: the"
                           " passphrase key store needs one of them")
    return passphrase.encode("utf-8")


def _open_token(settings: Settings) -> KeyRing:
    from mailseal.keys.token_ring import TokenKeyRing

    return TokenKeyRing.open(module=settings.pkcs11_module, token_label=settings.pkcs11_token_label,
                             pin=read_secret_file("pkcs11_pin_file", settings.pkcs11_pin_file))


def _refuse_another_kind(keys_dir: Path, kind: KeyStoreKind) -> None:
    for other in KEY_STORE_KINDS:
        if other != kind and ring_file(keys_dir, other).exists():
            raise ConfigError(
                f"key_store is {kind}, but {ring_file(keys_dir, other)} holds a {other} key ring: set key_store ="
                f" {other}" + (f", or move the ring with `mailseal keys migrate --to {kind}`" if kind != "file" else "")
            )


def open_key_ring(
    settings: Settings, keys_dir: Path, *, create: bool = False, environ: Mapping[str, str] | None = None
) -> tuple[KeyRing, bool]:
    """The ring `key_store` names, and whether it was created now (only a `file` ring is, on first start)."""
    kind: KeyStoreKind = settings.key_store  # type: ignore[assignment]  # checked by config
    path = ring_file(keys_dir, kind)
    if not path.exists():
        _refuse_another_kind(keys_dir, kind)
    if kind == "file":
        return FileKeyRing.load_or_create(path) if create else (FileKeyRing.load(path), False)
    if kind == "passphrase":
        if not path.exists():
            raise ConfigError(f"no key ring at {path}: run `mailseal keys init --store passphrase`")
        return PassphraseKeyRing.open(path, read_passphrase(settings, environ)), False
    from mailseal.keys.token_ring import read_pointer

    pointer = read_pointer(path)
    if pointer.token_label != settings.pkcs11_token_label:
        raise SettingError("pkcs11_token_label", f"{settings.pkcs11_token_label!r} is not the token that holds the"
                           f" key ring ({pointer.token_label!r}, named in {path})")
    ring = _open_token(settings)
    ring.current_id()  # a token without Mailseal's keys refuses here, not at the first seal
    return ring, False


def init_key_ring(
    settings: Settings, keys_dir: Path, kind: KeyStoreKind, *, environ: Mapping[str, str] | None = None,
    moving_from: KeyStoreKind | None = None,
) -> tuple[KeyRing, bool]:
    """Create a ring of `kind` with one key, or open the one there. Returns (ring, created). Refused beside a
    ring of another kind, except the one a move (`moving_from`) comes from."""
    path = ring_file(keys_dir, kind)
    settings_for_kind = _with_kind(settings, kind)
    if path.exists():
        return open_key_ring(settings_for_kind, keys_dir, environ=environ)
    if moving_from is None:
        _refuse_another_kind(keys_dir, kind)
    return _create(settings_for_kind, keys_dir, kind, environ), True


def _create(settings: Settings, keys_dir: Path, kind: KeyStoreKind, environ: Mapping[str, str] | None) -> KeyRing:
    path = ring_file(keys_dir, kind)
    if kind == "file":
        return FileKeyRing.load_or_create(path)[0]
    if kind == "passphrase":
        return PassphraseKeyRing.create(path, read_passphrase(settings, environ))
    from mailseal.keys.token_ring import write_pointer

    ring = _open_token(settings)
    if not ring.ids:
        ring.rotate()
    write_pointer(path, settings.pkcs11_token_label)
    return ring


def _with_kind(settings: Settings, kind: KeyStoreKind) -> Settings:
    import msgspec

    from mailseal.config import check_settings

    changed = msgspec.structs.replace(settings, key_store=kind)
    check_settings(changed, {"key_store": "flag"})
    return changed


def check_key_ring(settings: Settings, keys_dir: Path) -> None:
    """Open and let go of the configured ring before anything listens: a wrong passphrase or PIN, or a
    missing token, is then one line instead of a traceback from the server's start-up."""
    if settings.key_store == "file" and not ring_file(keys_dir, "file").exists():
        _refuse_another_kind(keys_dir, "file")  # the first start creates it
        return
    ring, _ = open_key_ring(settings, keys_dir)
    ring.close()
