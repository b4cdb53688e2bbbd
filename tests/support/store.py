"""A store for tests that build one service on it instead of a whole app."""

from __future__ import annotations

from pathlib import Path

from mailseal.storage import Store, open_store, sqlite_url
from support import engines


async def sqlite_store(path: Path) -> Store:
    """The store in the SQLite file at `path`, created and migrated as needed."""
    return await open_store(sqlite_url(path))


async def engine_store(path: Path) -> Store:
    """The store of the test's storage engine (`support.engines`): the SQLite file at `path`, or the
    test's PostgreSQL database when it runs on `postgresql`."""
    urls = engines.current()
    return await open_store(urls.database_url) if urls is not None else await sqlite_store(path)
