"""The PostgreSQL engine on a real throwaway cluster: placeholders, transactions, durability, schema creation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from mailseal.errors import ConfigError
from mailseal.storage import open_store
from mailseal.storage.postgres_engine import (
    SCHEMA_VERSION,
    PostgresEngine,
    WrongEventLoop,
    numbered,
    open_postgres,
)
from support.postgres import PostgresCluster


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[PostgresEngine]:
    engine = await open_postgres(postgres_url)
    await engine.execute_one("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, data BYTEA)")
    yield engine
    await engine.close()


def test_question_marks_become_numbered_parameters_outside_literals_and_comments() -> None:
    sql = "SELECT '?', \"a?\" FROM t -- why?\nWHERE a = ? AND b IN (?, ?) /* ? */ AND c = 'it''s ?' AND d = ?"
    assert numbered(sql) == (
        "SELECT '?', \"a?\" FROM t -- why?\nWHERE a = $1 AND b IN ($2, $3) /* ? */ AND c = 'it''s ?' AND d = $4"
    )
    assert numbered(sql) is numbered(sql)  # rewritten once, then cached


async def test_a_transaction_commits_and_counts_the_rows_it_changed(engine: PostgresEngine) -> None:
    async with engine.transaction() as conn:
        assert await conn.execute("INSERT INTO t (id, name, data) VALUES (?, ?, ?), (?, ?, ?)",
                                  (1, "one", b"\x00\x01", 2, "two", None)) == 2
        assert await conn.execute("UPDATE t SET name = ? WHERE id > ?", ("many", 0)) == 2
        row = await conn.fetch_one("SELECT id, name, data FROM t WHERE id = ?", (1,))
        assert row is not None and row["name"] == row[1] == "many" and row["data"] == b"\x00\x01"
    rows = await engine.fetch_all("SELECT id FROM t ORDER BY id")
    assert [r["id"] for r in rows] == [1, 2]
    assert await engine.execute_one("DELETE FROM t WHERE id = ?", (9,)) == 0


async def test_an_error_in_a_transaction_rolls_back_every_statement(engine: PostgresEngine) -> None:
    with pytest.raises(RuntimeError):
        async with engine.transaction() as conn:
            await conn.execute("INSERT INTO t (id, name) VALUES (?, ?)", (1, "gone"))
            raise RuntimeError("boom")
    assert await engine.fetch_one("SELECT id FROM t") is None


async def test_a_failed_statement_rolls_back_and_the_pool_recovers(engine: PostgresEngine) -> None:
    with pytest.raises(asyncpg.UniqueViolationError):
        async with engine.transaction() as conn:
            await conn.execute("INSERT INTO t (id) VALUES (?)", (1,))
            await conn.execute("INSERT INTO t (id) VALUES (?)", (1,))
    assert await engine.fetch_all("SELECT id FROM t") == []
    assert await engine.execute_one("INSERT INTO t (id) VALUES (?)", (1,)) == 1


async def test_a_commit_is_visible_to_another_connection_at_once(engine: PostgresEngine, postgres_url: str) -> None:
    other = await asyncpg.connect(postgres_url)
    try:
        await engine.execute_one("INSERT INTO t (id, name) VALUES (?, ?)", (1, "single"))
        assert await other.fetchval("SELECT name FROM t WHERE id = 1") == "single"
        async with engine.transaction() as conn:
            await conn.execute("INSERT INTO t (id) VALUES (?)", (2,))
            assert await other.fetchval("SELECT count(*) FROM t") == 1  # not before the commit
        assert await other.fetchval("SELECT count(*) FROM t") == 2
    finally:
        await other.close()


async def test_lookups_read_committed_rows(engine: PostgresEngine) -> None:
    await engine.execute_one("INSERT INTO t (id, name) VALUES (?, ?)", (7, "seven"))
    row = await engine.lookup_one("SELECT name FROM t WHERE id = ?", (7,))
    assert row is not None and row[0] == "seven"
    assert await engine.lookup_one("SELECT name FROM t WHERE id = ?", (8,)) is None
    assert [r["name"] for r in await engine.lookup_all("SELECT name FROM t WHERE id IN (?, ?)", (7, 8))] == ["seven"]


async def test_an_empty_database_gets_the_current_schema_once(postgres_url: str) -> None:
    first, second = await asyncio.gather(open_postgres(postgres_url), open_postgres(postgres_url))
    try:
        rows = await first.fetch_all("SELECT version FROM schema_version")
        assert [r["version"] for r in rows] == [SCHEMA_VERSION]
        assert await second.fetch_one("SELECT count(*) FROM seals") is not None
    finally:
        await first.close()
        await second.close()
    again = await open_postgres(postgres_url)
    await again.close()


async def test_a_database_of_another_schema_version_is_refused(postgres_url: str) -> None:
    engine = await open_postgres(postgres_url)
    await engine.execute_one("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    await engine.close()
    with pytest.raises(ConfigError, match="schema version"):
        await open_postgres(postgres_url)


async def test_an_unreachable_server_is_a_config_error(postgres_cluster: PostgresCluster) -> None:
    with pytest.raises(ConfigError, match="cannot connect"):
        await open_postgres(postgres_cluster.url("no_such_database"))


async def test_open_store_picks_the_postgresql_engine(postgres_url: str) -> None:
    store = await open_store(postgres_url)
    try:
        assert store.engine.dialect == "postgresql"
        assert await store.ping()
    finally:
        await store.close()


async def test_after_key_destroyed_checkpoints_and_is_harmless_without_the_right(
    postgres_cluster: PostgresCluster, engine: PostgresEngine
) -> None:
    before = postgres_cluster.psql("SELECT checkpoints_req FROM pg_stat_bgwriter")
    await engine.after_key_destroyed()
    assert int(postgres_cluster.psql("SELECT checkpoints_req FROM pg_stat_bgwriter")) > int(before)

    postgres_cluster.psql("DO $$ BEGIN CREATE ROLE plain LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    name = postgres_cluster.create_database()
    postgres_cluster.psql(f'ALTER DATABASE "{name}" OWNER TO plain')
    try:
        plain = await open_postgres(postgres_cluster.url(name).replace("mailseal@", "plain@"))
        try:
            await plain.after_key_destroyed()  # not a superuser: nothing, and no error
        finally:
            await plain.close()
    finally:
        postgres_cluster.drop_database(name)


async def test_a_call_from_another_event_loop_is_refused_not_run(engine: PostgresEngine) -> None:
    """Driving the pool from a second loop in another thread could crash the process (seen with the
    app on a test client's loop and a test calling a service from its own): refused before any I/O."""

    def elsewhere() -> None:
        async def use() -> None:
            for call in (lambda: engine.fetch_one("SELECT 1"), lambda: engine.execute_one("SELECT 1")):
                with pytest.raises(WrongEventLoop):
                    await call()
            with pytest.raises(WrongEventLoop):
                async with engine.transaction():
                    pass

        asyncio.run(use())

    await asyncio.to_thread(elsewhere)
    assert await engine.fetch_one("SELECT 1") is not None  # and the engine still works on its own loop
