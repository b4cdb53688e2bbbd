"""What every repository stands on: an engine, and optionally the one transaction it is bound to."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, nullcontext

from mailseal.storage.engine import Connection, Dialect, Engine, Executor, Params, Row


class Repository:
    """Runs a repository's statements on its transaction when it has one, else on the engine.

    Bound to a transaction (`store.transaction()`), every statement joins it; unbound (`store.seals`),
    a read goes to the engine, a one-statement write is its own durable transaction, and a write of
    several statements (`_atomic`) opens one transaction of its own.
    """

    __slots__ = ("_conn", "_engine", "_reads")

    def __init__(self, engine: Engine, conn: Connection | None = None) -> None:
        self._engine = engine
        self._conn = conn
        self._reads: Executor = conn if conn is not None else engine

    @property
    def dialect(self) -> Dialect:
        return self._engine.dialect

    async def _fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return await self._reads.fetch_one(sql, params)

    async def _fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._reads.fetch_all(sql, params)

    async def _lookup_one(self, sql: str, params: Params = ()) -> Row | None:
        """An indexed point lookup of a hot path (see `Engine.lookup_one`)."""
        if self._conn is not None:
            return await self._conn.fetch_one(sql, params)
        return await self._engine.lookup_one(sql, params)

    async def _lookup_all(self, sql: str, params: Params = ()) -> list[Row]:
        if self._conn is not None:
            return await self._conn.fetch_all(sql, params)
        return await self._engine.lookup_all(sql, params)

    async def _execute(self, sql: str, params: Params = ()) -> int:
        """One statement: in the transaction, else durable on its own; the rows it changed."""
        if self._conn is not None:
            return await self._conn.execute(sql, params)
        return await self._engine.execute_one(sql, params)

    async def _write_returning(self, sql: str, params: Params = ()) -> Row | None:
        """A write with `RETURNING`: its row, the write committed when outside a transaction."""
        async with self._atomic() as conn:
            return await conn.fetch_one(sql, params)

    def _atomic(self) -> AbstractAsyncContextManager[Connection]:
        """The bound transaction, or a new one: for a write of several statements that must hold together."""
        if self._conn is not None:
            return nullcontext(self._conn)
        return self._engine.transaction()


def marks(count: int) -> str:
    """`?, ?, ?` for an `IN (…)` list of `count` values."""
    return ", ".join("?" * count)
