"""Shared fixtures: the corpora folder, a fresh data folder, settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def corpora_path() -> Path:
    """`MAILSEAL_CORPORA`, default `../shared/corpora` beside the project."""
    return Path(os.environ.get("MAILSEAL_CORPORA", ROOT.parent / "shared" / "corpora"))


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The shared test corpora; tests that need them skip in a user's clone, but never in CI."""
    path = corpora_path()
    if not path.is_dir():
        if os.environ.get("MAILSEAL_REQUIRE_CORPORA"):
            pytest.fail(f"MAILSEAL_REQUIRE_CORPORA is set but {path} is missing")
        pytest.skip(f"test corpora not found at {path} (set MAILSEAL_CORPORA)")
    return path


def corpus_eml_files() -> list[Path]:
    root = corpora_path() / "eml"
    return sorted(root.rglob("*.eml")) if root.is_dir() else []


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data"
    path.mkdir()
    yield path





def pytest_configure(config: pytest.Config) -> None:
    from mailseal.logs import configure_logging
    from support.log_capture import LOG_CAPTURE

    configure_logging("DEBUG", handler=LOG_CAPTURE)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The log-hygiene test reads what every other test logged, so it runs last."""
    last = [item for item in items if item.name == "test_no_secret_reached_a_log"]
    items[:] = [item for item in items if item not in last] + last
