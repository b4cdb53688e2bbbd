"""Where the shared test corpora are: `MAILSEAL_CORPORA`, default `../shared/corpora` beside the project."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def corpora_path() -> Path:
    return Path(os.environ.get("MAILSEAL_CORPORA", ROOT.parent / "shared" / "corpora"))


def corpus_eml_files() -> list[Path]:
    root = corpora_path() / "eml"
    return sorted(root.rglob("*.eml")) if root.is_dir() else []
