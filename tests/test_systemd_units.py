"""The systemd units in docs/systemd/ parse cleanly and keep their hardening.

`systemd-analyze verify` reports unknown keys and bad values as warnings and still exits 0, so the test
asserts it says nothing at all. The units are checked as copies whose ExecStart names an executable that
exists here (verify refuses a missing one); they are never started.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parent.parent / "docs" / "systemd"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
INSTALLED_AT = "/opt/mailseal/bin/mailseal"
HARDENING = (
    "NoNewPrivileges=yes", "CapabilityBoundingSet=\n", "ProtectSystem=strict", "PrivateTmp=yes", "User=mailseal",
    "StateDirectory=mailseal", "ReadWritePaths=/var/lib/mailseal", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
    "SystemCallFilter=@system-service", "UMask=0077",
)
needs_systemd_analyze = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")


def copies(folder: Path) -> list[Path]:
    out = []
    for unit in sorted(UNITS.glob("*.service")):
        copy = folder / unit.name
        copy.write_text(unit.read_text().replace(INSTALLED_AT, shutil.which("true") or "/usr/bin/true"))
        out.append(copy)
    return out


def test_every_unit_is_hardened_and_runs_the_installed_command() -> None:
    units = sorted(UNITS.glob("*.service"))
    assert [unit.name for unit in units] == ["mailseal.service", "mailseal@.service"]
    for unit in units:
        text = unit.read_text()
        missing = [line.strip() for line in HARDENING if line not in text]
        assert not missing, f"{unit.name} lacks {missing}"
        assert f"ExecStart={INSTALLED_AT} serve" in text
    assert "--role %i" in (UNITS / "mailseal@.service").read_text()


@needs_systemd_analyze
def test_systemd_analyze_verify_says_nothing(tmp_path: Path) -> None:
    units = copies(tmp_path)
    instance = tmp_path / "mailseal@web.service"  # an instance of the template, as it would be started
    shutil.copy(tmp_path / "mailseal@.service", instance)
    for unit in [*units, instance]:
        result = subprocess.run([SYSTEMD_ANALYZE or "", "verify", str(unit)], capture_output=True, text=True,
                                cwd=tmp_path, timeout=60)
        assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), (
            f"{unit.name}: {result.stdout}{result.stderr}")


@needs_systemd_analyze
def test_exposure_is_low(tmp_path: Path) -> None:
    for unit in copies(tmp_path):
        result = subprocess.run([SYSTEMD_ANALYZE or "", "security", "--offline=true", str(unit)],
                                capture_output=True, text=True, cwd=tmp_path, timeout=60)
        found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
        if found is None:
            pytest.skip(f"this systemd-analyze cannot rate a unit file offline: {result.stderr.strip()[:200]}")
        assert float(found.group(1)) <= 2.0, result.stdout
