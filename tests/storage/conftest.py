"""The engine every repository contract test runs on: the embedded SQLite file, and PostgreSQL.

`engine` is parametrised (`sqlite`, `postgresql`); `store` is the Store over it, freshly created (a new
SQLite file, or a new database in the session's throwaway PostgreSQL cluster). Without PostgreSQL's
binaries the `postgresql` runs skip with a reason, unless `MAILSEAL_REQUIRE_POSTGRES=1` (`.ci/run`).
The cluster fixtures (`postgres_cluster`, `postgres_url`) come from `tests/conftest.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mailseal.storage import Store, open_store, sqlite_url


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh, empty database of the engine named by the parameter."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "contract.sqlite")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def store(engine: str) -> AsyncIterator[Store]:
    opened = await open_store(engine)
    try:
        yield opened
    finally:
        await opened.close()
