"""A SoftHSM2 token in a temporary folder, for the `pkcs11` key store's tests.

Each test gets its own `softhsm2.conf` (its `directories.tokendir` in the test's folder) and a token
made by `softhsm2-util --init-token`. SoftHSM reads its configuration when the module is initialised,
so an in-process test re-initialises python-pkcs11's module after pointing SOFTHSM2_CONF at its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

MODULE_CANDIDATES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
PIN = "4711-test-pin"
SO_PIN = "0815-test-so-pin"


@dataclass(frozen=True)
class SoftToken:
    module: str
    label: str
    conf: Path
    tokendir: Path
    pin_file: Path

    def env(self) -> dict[str, str]:
        """What a child `mailseal` needs to use this token as its `pkcs11` key store."""
        return {
            "SOFTHSM2_CONF": str(self.conf),
            "MAILSEAL_PKCS11_MODULE": self.module,
            "MAILSEAL_PKCS11_TOKEN_LABEL": self.label,
            "MAILSEAL_PKCS11_PIN_FILE": str(self.pin_file),
        }


def softhsm_module() -> str:
    """The SoftHSM2 module; skips in a user's clone without it, fails in CI (`MAILSEAL_REQUIRE_SOFTHSM=1`)."""
    module = next((path for path in MODULE_CANDIDATES if Path(path).is_file()), None)
    problem = None
    if shutil.which("softhsm2-util") is None or module is None:
        problem = "softhsm2 is not installed (Debian: apt-get install softhsm2; ./scripts/test does it)"
    else:
        try:
            import pkcs11  # noqa: F401
        except ImportError:
            problem = "python-pkcs11 is not installed (pip install -e '.[test]')"
    if problem is None:
        assert module is not None
        return module
    if os.environ.get("MAILSEAL_REQUIRE_SOFTHSM"):
        pytest.fail(f"MAILSEAL_REQUIRE_SOFTHSM is set but {problem}")
    pytest.skip(problem)


def make_token(folder: Path, label: str = "mailseal-test") -> SoftToken:
    module = softhsm_module()
    tokendir = folder / "tokens"
    tokendir.mkdir(parents=True, mode=0o700)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokendir}\nobjectstore.backend = file\nlog.level = ERROR\n")
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", SO_PIN],
                   env={**os.environ, "SOFTHSM2_CONF": str(conf)}, check=True, capture_output=True, timeout=60)
    pin_file = folder / "pin"
    pin_file.write_text(PIN + "\n")
    pin_file.chmod(0o600)
    return SoftToken(module=module, label=label, conf=conf, tokendir=tokendir, pin_file=pin_file)


def use_in_this_process(token: SoftToken, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point this process's PKCS#11 module at `token`'s folder (SoftHSM reads it at initialisation)."""
    import pkcs11

    monkeypatch.setenv("SOFTHSM2_CONF", str(token.conf))
    pkcs11.lib(token.module).reinitialize()
