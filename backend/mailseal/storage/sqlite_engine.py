"""The embedded engine: one SQLite file in WAL mode, one writer behind a lock, every write `BEGIN IMMEDIATE`.

Reads use their own connection so that a long read never waits on a write. Point lookups by key on the
request path (`lookup_one`, `lookup_all`) run on a third, read-only connection in the caller's thread:
SQLite answers them in about 5 µs, while a trip to aiosqlite's thread costs about 45 µs of CPU. In WAL
mode a reader never waits for the writer, so they do not stall the event loop. `synchronous=FULL` makes a
committed write durable before we acknowledge anything (an SMTP 250, a 201) that depends on it.
`secure_delete` overwrites deleted rows, so a destroyed content key does not linger in free pages, and
`after_key_destroyed` folds the WAL into the main file and truncates it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Final, Literal

import aiosqlite

from mailseal.storage.engine import Params, Row

PRAGMAS: Final = (
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


class SqliteConnection:
    """The write connection inside one `BEGIN IMMEDIATE` transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await _changes(self._conn, sql, params)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        # fetchall: the statement runs to its end (an UPDATE … RETURNING is then wholly applied).
        rows = await self._conn.execute_fetchall(sql, tuple(params))
        return next(iter(rows), None)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._conn.execute_fetchall(sql, tuple(params)))


class SqliteEngine:
    """One SQLite file: a write connection behind a lock, a read connection, and a read-only lookup one."""

    dialect: Literal["sqlite"] = "sqlite"

    def __init__(
        self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection, looker: sqlite3.Connection
    ) -> None:
        self.path = path
        self._writer = writer
        self._in_transaction = SqliteConnection(writer)
        self._reader = reader
        self._looker = looker
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteConnection]:
        """A write transaction: `BEGIN IMMEDIATE`, commit on success, roll back on any error."""
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._in_transaction
            except BaseException:
                await self._writer.rollback()
                raise
            else:
                await self._writer.commit()

    async def execute_one(self, sql: str, params: Params = ()) -> int:
        """One statement as its own transaction (SQLite's autocommit): durable when this returns, in one
        trip to the database thread where `transaction()` takes three. For single-row writes on hot paths."""
        async with self._write_lock:
            return await _changes(self._writer, sql, params)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query that looks up one row (one trip to the database thread)."""
        rows = await self._reader.execute_fetchall(sql, tuple(params))
        return next(iter(rows), None)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        # One trip to the database thread, where execute/fetchall/close would take three.
        return list(await self._reader.execute_fetchall(sql, tuple(params)))

    async def lookup_one(self, sql: str, params: Params = ()) -> Row | None:
        """One row by key, here and now: only for indexed lookups of a few rows (see the module)."""
        # fetchall, not fetchone: an unfinished statement would keep its read snapshot open, so later
        # lookups would see stale rows and a TRUNCATE checkpoint would wait on it.
        rows: list[Row] = self._looker.execute(sql, tuple(params)).fetchall()
        return rows[0] if rows else None

    async def lookup_all(self, sql: str, params: Params = ()) -> list[Row]:
        """The few rows an indexed lookup finds, here and now (see the module)."""
        rows: list[Row] = self._looker.execute(sql, tuple(params)).fetchall()
        return rows

    async def after_key_destroyed(self) -> None:
        """Fold the WAL into the main file and truncate it, so no old page holds the destroyed key."""
        async with self._write_lock:
            # Read its result row: a statement left unfinished on the writer would block the next commit.
            await self._writer.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")

    @asynccontextmanager
    async def listen(self, channel: str, wake: Callable[[], None]) -> AsyncIterator[bool]:
        """SQLite cannot tell another process's commit: nothing to listen to (the caller polls)."""
        yield False

    async def close(self) -> None:
        self._looker.close()
        await self._reader.close()
        await self._writer.close()


async def _changes(conn: aiosqlite.Connection, sql: str, params: Params) -> int:
    """Run one statement in one trip to the database thread; the rows it changed.

    A statement that changes rows has no result rows, so it is finished when `execute` returns and its
    cursor needs no second trip to close.
    """
    cursor = await conn.execute(sql, tuple(params))
    return max(cursor.rowcount, 0)


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


async def open_sqlite(path: Path) -> SqliteEngine:
    """Open (creating and migrating as needed) the database at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = await _connect(path)
    await _migrate(writer)
    reader = await _connect(path)
    await reader.execute("PRAGMA query_only=ON")
    return SqliteEngine(path, writer, reader, _connect_looker(path))


def _connect_looker(path: Path) -> sqlite3.Connection:
    # SQLite here is built serialized (threadsafety 3), so the connection may be used from any thread; a
    # short busy timeout bounds how long a lookup could ever hold the event loop.
    looker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    looker.row_factory = sqlite3.Row
    for pragma in ("PRAGMA query_only=ON", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=100"):
        looker.execute(pragma)
    return looker
