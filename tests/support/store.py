"""A store on an SQLite file, for tests that build one service on it instead of a whole app."""

from __future__ import annotations

from pathlib import Path

from mailseal.storage import Store, open_store, sqlite_url


async def sqlite_store(path: Path) -> Store:
    """The store in the SQLite file at `path`, created and migrated as needed."""
    return await open_store(sqlite_url(path))
