"""Shared fixtures: the corpora folder, a fresh data folder, settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import engines
from support.corpora import corpora_path, corpus_eml_files
from support.postgres import postgres_cluster, postgres_url
from support.s3 import s3_blob_url, s3_endpoint

__all__ = ["corpora_path", "corpus_eml_files", "postgres_cluster", "postgres_url", "s3_blob_url", "s3_endpoint"]


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The shared test corpora; tests that need them skip in a user's clone, but never in CI."""
    path = corpora_path()
    if not path.is_dir():
        if os.environ.get("MAILSEAL_REQUIRE_CORPORA"):
            pytest.fail(f"MAILSEAL_REQUIRE_CORPORA is set but {path} is missing")
        pytest.skip(f"test corpora not found at {path} (set MAILSEAL_CORPORA)")
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data"
    path.mkdir()
    yield path


@pytest.fixture(autouse=True)
def storage_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The storage of this run of the test: `sqlite` (each data folder's own file and blob folder), or,
    for tests marked `engines`, also `postgresql` (a fresh PostgreSQL database and a fresh S3 bucket)."""
    name: str = getattr(request, "param", engines.DEFAULT)
    if name == "sqlite":
        yield name
        return
    urls = engines.StorageUrls(database_url=request.getfixturevalue("postgres_url"),
                               blob_url=request.getfixturevalue("s3_blob_url"))
    monkeypatch.setenv("MAILSEAL_DATABASE_URL", urls.database_url)
    monkeypatch.setenv("MAILSEAL_BLOB_URL", urls.blob_url)
    engines.use(urls)
    try:
        yield name
    finally:
        engines.use(None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `engines` run once per storage engine (ids `[sqlite]`, `[postgresql]`)."""
    if metafunc.definition.get_closest_marker("engines") is not None:
        metafunc.parametrize("storage_engine", engines.ENGINES, indirect=True)


def pytest_configure(config: pytest.Config) -> None:
    from mailseal.logs import configure_logging
    from support.log_capture import LOG_CAPTURE

    configure_logging("DEBUG", handler=LOG_CAPTURE)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run after the others (sync Playwright keeps an event loop running in the main
    thread for the session, where pytest-asyncio could not start one); the log-hygiene test reads what
    every other test logged, so it runs last."""
    last = [item for item in items if item.path.name == "test_log_hygiene.py"]
    browser = [item for item in items if "browser" in item.path.parts and item not in last]
    rest = [item for item in items if item not in last and item not in browser]
    items[:] = rest + browser + last
