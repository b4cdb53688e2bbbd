"""The PostgreSQL engine: an asyncpg pool behind the same contract as the embedded SQLite engine.

asyncpg speaks PostgreSQL's binary protocol and keeps a prepared-statement cache per connection, so a
repeated statement is parsed and planned once per connection. Repositories write `?` placeholders; they
are rewritten to `$1…$n` once per distinct statement (`numbered`).

Every write runs in a transaction on one pooled connection (`transaction()`) or as one autocommitted
statement (`execute_one`); either is durable when it returns, because commits wait for the WAL flush
(`synchronous_commit` at its default, `on`). Transactions run at READ COMMITTED, PostgreSQL's default:
unlike SQLite, where one writer runs at a time, two servers' transactions interleave, so a repository whose
correctness needs more (a queue claim, a counter) says so in its SQL (`FOR UPDATE SKIP LOCKED`, an atomic
`UPDATE … RETURNING`, a row lock).

A new database gets the current schema (`schema/postgresql.sql`) in one transaction, under an advisory lock
so that two servers starting at once do not both create it.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, Final, Literal, cast

import asyncpg

from mailseal.errors import ConfigError
from mailseal.storage.engine import Params, Row

SCHEMA_VERSION: Final = 13
"""The version `schema/postgresql.sql` creates: the number of the latest SQLite migration it matches."""

_SCHEMA_LOCK: Final = 0x6D61696C7365616C  # "mailseal": an advisory lock key for creating the schema
_TOKENS: Final = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|\?", re.DOTALL)
_STATEMENT_CACHE: Final = 512  # prepared statements kept per connection; the repositories have ~150


@functools.lru_cache(maxsize=2048)
def numbered(sql: str) -> str:
    """`sql` with each `?` placeholder turned into `$1`, `$2`, … (string literals, quoted names and
    comments are left alone); computed once per distinct statement."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) != "?":
            return match.group(0)
        count += 1
        return f"${count}"

    return _TOKENS.sub(number, sql)


def _rows_changed(status: str) -> int:
    """The row count at the end of a command tag (`UPDATE 3`, `INSERT 0 1`, `DELETE 0`); 0 when it has none."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresConnection:
    """One pooled connection inside a transaction, as `PostgresEngine.transaction()` yields it."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        return _rows_changed(await self._conn.execute(numbered(sql), *params))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return cast("Row | None", await self._conn.fetchrow(numbered(sql), *params))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return cast("list[Row]", await self._conn.fetch(numbered(sql), *params))


class WrongEventLoop(RuntimeError):
    """The engine was called from an event loop other than the one it was opened on (a programming error)."""


class PostgresEngine:
    """A PostgreSQL database through an asyncpg pool.

    The pool belongs to the event loop that opened it. asyncpg does not check every call for that, and a
    connection driven from two loops in two threads at once can crash the process, so every entry point
    checks (the cost of one `get_running_loop()`); SQLite's engine, which works through a thread, does
    not mind, so code that passes on SQLite may meet `WrongEventLoop` here (e.g. a test calling a service
    from its own loop while the app runs on the test client's).
    """

    dialect: Literal["postgresql"] = "postgresql"

    def __init__(self, pool: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._pool = pool
        self._loop = loop

    def _pool_here(self) -> Any:
        if asyncio.get_running_loop() is not self._loop:
            raise WrongEventLoop("the PostgreSQL engine was opened on another event loop")
        return self._pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresConnection]:
        """A pooled connection in a transaction: committed (durably) when the block ends, rolled back on
        any error."""
        async with self._pool_here().acquire() as conn, conn.transaction():
            yield PostgresConnection(conn)

    async def execute_one(self, sql: str, params: Params = ()) -> int:
        """One autocommitted statement: its own transaction, durable when this returns."""
        return _rows_changed(await self._pool_here().execute(numbered(sql), *params))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return cast("Row | None", await self._pool_here().fetchrow(numbered(sql), *params))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return cast("list[Row]", await self._pool_here().fetch(numbered(sql), *params))

    async def lookup_one(self, sql: str, params: Params = ()) -> Row | None:
        """An indexed point lookup: the same trip as any read here (the pool has no faster path)."""
        return await self.fetch_one(sql, params)

    async def lookup_all(self, sql: str, params: Params = ()) -> list[Row]:
        return await self.fetch_all(sql, params)

    async def after_key_destroyed(self) -> None:
        """`CHECKPOINT` when the role may (a superuser, or `pg_checkpoint` from PostgreSQL 15 on), so the
        WAL holding the destroyed key can be recycled sooner; else nothing. PostgreSQL has no
        `secure_delete`: the old row version stays in its page until VACUUM prunes it and the space is
        reused (see the threat model)."""
        try:
            await self._pool_here().execute("CHECKPOINT")
        except asyncpg.InsufficientPrivilegeError:
            pass

    @asynccontextmanager
    async def listen(self, channel: str, wake: Callable[[], None]) -> AsyncIterator[bool]:
        """LISTEN on `channel` on a pooled connection held for the block; `wake` runs for each NOTIFY.

        A connection lost meanwhile stops the wake-ups silently: the caller's poll still finds the work.
        """
        def on_notify(_conn: Any, _pid: int, _channel: str, _payload: str) -> None:
            wake()

        async with self._pool_here().acquire() as conn:
            await conn.add_listener(channel, on_notify)
            try:
                yield True
            finally:
                if not conn.is_closed():
                    await conn.remove_listener(channel, on_notify)

    async def close(self) -> None:
        """Close the pool: wait for connections in use to be released, then close every connection."""
        await self._pool_here().close()


def schema_script() -> str:
    """The current PostgreSQL schema, as shipped in `storage/schema/postgresql.sql`."""
    return (resources.files("mailseal.storage") / "schema" / "postgresql.sql").read_text(encoding="utf-8")


async def _keep_session(conn: Any) -> None:
    """What a connection needs when it goes back to the pool: nothing more than asyncpg's own rollback of
    an unfinished transaction. The engine changes no session state (no SET, LISTEN, cursors or
    session-level advisory locks), so the default `RESET ALL; …` would only cost a round trip per call."""


async def _create_schema(conn: Any) -> None:
    """Create the schema in a new database; check the version of an existing one."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK)
        exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
        if not exists:
            await conn.execute(schema_script())
            return
        version = await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version")
    if version != SCHEMA_VERSION:
        raise ConfigError(
            f"the PostgreSQL database has schema version {version}; this Mailseal expects {SCHEMA_VERSION}"
        )


async def open_postgres(url: str, *, min_connections: int = 1, max_connections: int = 10) -> PostgresEngine:
    """Connect to the database at `url` (`postgresql://user:password@host:port/name?…`), creating the
    schema when the database is empty."""
    try:
        pool = await asyncpg.create_pool(
            url,
            min_size=min_connections,
            max_size=max_connections,
            statement_cache_size=_STATEMENT_CACHE,
            reset=_keep_session,
        )
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise ConfigError(f"cannot connect to PostgreSQL: {error}") from error
    try:
        async with pool.acquire() as conn:
            await _create_schema(conn)
    except BaseException:
        await pool.close()
        raise
    return PostgresEngine(pool, asyncio.get_running_loop())
