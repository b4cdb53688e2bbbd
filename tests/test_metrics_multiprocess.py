"""Several web workers (issue 17): with `PROMETHEUS_MULTIPROC_DIR`, what each process counted is summed by
whichever process is scraped; and no room but `metrics/` imports Prometheus."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COUNT = "from mailseal import metrics; metrics.sealed(); metrics.refused('policy.revoked')"
SCRAPE = "import sys; from mailseal import metrics; sys.stdout.write(metrics.exposition().decode())"


def run(code: str, folder: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                          check=True)
    return done.stdout


def test_counts_of_several_processes_add_up(tmp_path: Path) -> None:
    run(COUNT, tmp_path)
    run(COUNT, tmp_path)
    run(COUNT, tmp_path)
    text = run(SCRAPE, tmp_path)  # a fourth process, which counted nothing itself
    assert re.search(r"^mailseal_seals_total 3\.0$", text, re.MULTILINE), text
    assert re.search(r'^mailseal_refusals_total\{reason="policy.revoked"\} 3\.0$', text, re.MULTILINE), text


def test_only_the_metrics_room_imports_prometheus() -> None:
    backend = ROOT / "backend" / "mailseal"
    importing = sorted(
        str(path.relative_to(backend)) for path in backend.rglob("*.py")
        if re.search(r"^\s*(from|import)\s+prometheus_client", path.read_text(encoding="utf-8"), re.MULTILINE)
    )
    assert importing and all(name.startswith("metrics/") for name in importing), importing
