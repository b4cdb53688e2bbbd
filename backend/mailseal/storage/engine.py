"""The contract every database engine implements: transactions, reads, one-statement writes, maintenance.

Repositories write their SQL once, with `?` placeholders, in the dialect both engines accept
(`INSERT … ON CONFLICT`, `RETURNING`, integers for epoch seconds and booleans); an engine that speaks
another placeholder style (PostgreSQL's `$1`) rewrites them. Where the engines truly differ (claiming a
queue row), the repository picks its statement by `Engine.dialect`. Nothing above `storage/` sees this
module's types: repositories take and return Structs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgresql"]
"""Which SQL an engine speaks; a repository branches on it only where the engines truly differ."""

Params = Sequence[Any]
"""Positional parameters for the `?` placeholders of one statement."""


class Row(Protocol):
    """One result row: by column name (`row["id"]`) or by position (`row[0]`).

    `sqlite3.Row` and `asyncpg.Record` both are one; repositories turn rows into Structs at once.
    """

    def __getitem__(self, key: int | str, /) -> Any: ...


class Executor(Protocol):
    """What a repository runs its statements on: an engine (outside a transaction) or a connection (inside)."""

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query that finds at most a few rows, or None."""
        ...

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query."""
        ...


class Connection(Executor, Protocol):
    """One connection inside a write transaction, as `Engine.transaction()` yields it."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement in the transaction; the number of rows it changed."""
        ...


class Engine(Executor, Protocol):
    """A database: SQLite (embedded, the default) or PostgreSQL, behind the same calls.

    Reads outside a transaction (`fetch_one`, `fetch_all`) see committed data. `lookup_one` and
    `lookup_all` are for indexed point lookups on the request path (a session, a seal, an inbox row): an
    engine may answer them faster than a general read (SQLite answers them on the caller's thread, with no
    trip to a worker thread), so a repository must use them only for queries that touch a few rows by key.
    """

    @property
    def dialect(self) -> Dialect:
        """Which SQL this engine speaks (an engine class may simply set `dialect = "sqlite"`)."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """A write transaction (unit of work): commit when the block ends, roll back on any error.

        SQLite: `BEGIN IMMEDIATE` on the one write connection, behind a lock. PostgreSQL: a pooled
        connection in a transaction. The commit is durable before the block's caller goes on, so an
        acknowledgement that depends on it (an SMTP `250`, an HTTP `201`) may follow.
        """
        ...

    async def execute_one(self, sql: str, params: Params = ()) -> int:
        """One statement in its own durable transaction (the hot audit row): one trip, not three.

        Returns the number of rows it changed.
        """
        ...

    async def lookup_one(self, sql: str, params: Params = ()) -> Row | None:
        """The row an indexed point lookup finds, or None (see the class: a few rows by key only)."""
        ...

    async def lookup_all(self, sql: str, params: Params = ()) -> list[Row]:
        """The few rows an indexed lookup finds (see the class)."""
        ...

    async def after_key_destroyed(self) -> None:
        """Make destroyed key material unrecoverable from the engine's own files where it can.

        SQLite folds the write-ahead log into the main file and truncates it (`secure_delete` has already
        overwritten the freed pages); PostgreSQL runs a `CHECKPOINT` when permitted, else nothing.
        """
        ...

    def listen(self, channel: str, wake: Callable[[], None]) -> AbstractAsyncContextManager[bool]:
        """While the block runs, call `wake` (on this event loop) each time a transaction of any process
        that announced on `channel` commits; yields whether the engine can. PostgreSQL: LISTEN/NOTIFY on a
        connection of its own. SQLite cannot (False): the caller polls."""
        ...

    async def close(self) -> None:
        """Close every connection; the engine is unusable afterwards."""
        ...
