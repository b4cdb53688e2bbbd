"""The database: WAL mode, one write connection serialised by a lock, every write in `BEGIN IMMEDIATE`.

Reads use their own connection so that a long read never waits on a write. `synchronous=FULL` makes a
committed write durable before we acknowledge anything (an SMTP 250, a 201) that depends on it.
`secure_delete` overwrites deleted rows, so a destroyed content key does not linger in free pages.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA secure_delete=ON",
    "PRAGMA busy_timeout=5000",
)


def migration_scripts() -> list[tuple[int, str]]:
    """The numbered migrations shipped in `storage/migrations/`, in order."""
    folder = resources.files("mailseal.storage") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            scripts.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(scripts)


class Database:
    """One SQLite file: a write connection behind a lock and a read connection."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction: `BEGIN IMMEDIATE`, commit on success, roll back on any error."""
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.rollback()
                raise
            else:
                await self._writer.commit()

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        async with self._reader.execute(sql, tuple(params)) as cursor:
            row = await cursor.fetchone()
        return row

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        async with self._reader.execute(sql, tuple(params)) as cursor:
            rows = await cursor.fetchall()
        return list(rows)

    async def checkpoint(self) -> None:
        """Fold the WAL into the main file and truncate it (used after destroying keys)."""
        async with self._write_lock:
            await self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    for pragma in PRAGMAS:
        await conn.execute(pragma)
    return conn


async def _migrate(conn: aiosqlite.Connection) -> None:
    await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY)")
    async with conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version") as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row else 0
    for version, script in migration_scripts():
        if version <= current:
            continue
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(script):
                await conn.execute(statement)
            await conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        except BaseException:
            await conn.rollback()
            raise
        await conn.commit()


def _statements(script: str) -> list[str]:
    """Split a migration into statements (no triggers with inner semicolons in our schema)."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


async def open_database(path: Path) -> Database:
    """Open (creating and migrating as needed) the database at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = await _connect(path)
    await _migrate(writer)
    reader = await _connect(path)
    await reader.execute("PRAGMA query_only=ON")
    return Database(path, writer, reader)
