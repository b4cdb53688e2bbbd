"""TEMPORARY: the old `Database` calls over the SQLite engine, for identity/ and push/ until their SQL
moves into repositories (they are being changed on another branch). Deleted in the same series."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from mailseal.storage.engine import Row
from mailseal.storage.sqlite_engine import SqliteEngine
from mailseal.storage.store import Store


class Database:
    def __init__(self, engine: SqliteEngine) -> None:
        self._engine = engine
        self.path: Path = engine.path

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._engine.transaction():
            yield self._engine._writer

    async def write_one(self, sql: str, params: Iterable[Any] = ()) -> None:
        await self._engine.execute_one(sql, tuple(params))

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Any:
        return await self._engine.fetch_one(sql, tuple(params))

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> Any:
        return await self._engine.fetch_all(sql, tuple(params))

    def lookup_one(self, sql: str, params: Iterable[Any] = ()) -> Any:
        rows: list[Row] = self._engine._looker.execute(sql, tuple(params)).fetchall()
        return rows[0] if rows else None

    def lookup_all(self, sql: str, params: Iterable[Any] = ()) -> Any:
        return self._engine._looker.execute(sql, tuple(params)).fetchall()

    async def checkpoint(self) -> None:
        await self._engine.after_key_destroyed()

    async def close(self) -> None:
        await self._engine.close()


def legacy_database(store: Store) -> Database:
    assert isinstance(store.engine, SqliteEngine)
    return Database(store.engine)


async def open_database(path: Path) -> Database:
    from mailseal.storage.sqlite_engine import open_sqlite

    return Database(await open_sqlite(path))
