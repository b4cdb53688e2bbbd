"""schema/postgresql.sql is the SQLite migrations' schema, translated: the same tables, columns, keys and
indexes by name, and the schema version of the latest migration."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mailseal.storage.postgres_engine import SCHEMA_VERSION, PostgresEngine, open_postgres
from mailseal.storage.sqlite_engine import migration_scripts
from support.postgres import PostgresCluster

TYPES = {"INTEGER": "bigint", "TEXT": "text", "BLOB": "bytea"}
"""Each SQLite column type and the PostgreSQL type it becomes."""

ROWID_STAND_INS = {"envelopes", "inbox", "forward_owners"}
"""Tables the repositories order by arrival: SQLite's implicit rowid, a `seq` identity column on PostgreSQL."""

Shape = dict[str, Any]


def sqlite_shape(tmp_path: Path) -> Shape:
    """Tables → columns (type, NOT NULL), primary keys, unique column sets, foreign keys and named indexes
    of an empty file after every migration."""
    db = sqlite3.connect(tmp_path / "migrated.sqlite")
    try:
        db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY)")
        for _, script in migration_scripts():
            db.executescript(script)
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        shape: Shape = {"tables": {}, "indexes": {}}
        for table in tables:
            info = db.execute(f"PRAGMA table_info({table})").fetchall()
            primary = tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
            columns = {r[1]: (TYPES[r[2]], bool(r[3]) or r[1] in primary) for r in info}
            unique = set()
            for index in db.execute(f"PRAGMA index_list({table})").fetchall():
                if index[2] and index[3] == "u":  # a UNIQUE constraint (not a CREATE UNIQUE INDEX)
                    unique.add(tuple(r[2] for r in db.execute(f"PRAGMA index_info({index[1]})")))
            foreign = {(r[3], r[2], r[4], r[6]) for r in db.execute(f"PRAGMA foreign_key_list({table})")}
            shape["tables"][table] = {"columns": columns, "primary": primary, "unique": unique, "foreign": foreign}
        named = db.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        for name, table, sql in named.fetchall():
            unique_index = sql.upper().startswith("CREATE UNIQUE")
            keys = tuple((r[2], bool(r[3])) for r in db.execute(f"PRAGMA index_xinfo({name})") if r[5])
            shape["indexes"][name] = (table, keys, unique_index)
        return shape
    finally:
        db.close()


async def postgres_shape(engine: PostgresEngine) -> Shape:
    shape: Shape = {"tables": {}, "indexes": {}}
    columns = await engine.fetch_all(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position")
    for r in columns:
        empty = {"columns": {}, "primary": (), "unique": set(), "foreign": set()}
        table = shape["tables"].setdefault(r["table_name"], empty)
        table["columns"][r["column_name"]] = (r["data_type"], r["is_nullable"] == "NO")
    constraints = await engine.fetch_all(
        "SELECT c.conrelid::regclass::text AS tbl, c.contype::text AS contype, c.confdeltype::text AS confdeltype,"
        " c.confrelid::regclass::text AS target,"
        " ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)"
        "       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS cols,"
        " ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)"
        "       JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) AS target_cols"
        " FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace"
        " WHERE s.nspname = 'public' AND c.contype IN ('p', 'u', 'f')")
    on_delete = {"a": "NO ACTION", "c": "CASCADE", "r": "RESTRICT", "n": "SET NULL", "d": "SET DEFAULT"}
    for r in constraints:
        table = shape["tables"][r["tbl"]]
        if r["contype"] == "p":
            table["primary"] = tuple(r["cols"])
        elif r["contype"] == "u":
            table["unique"].add(tuple(r["cols"]))
        else:
            for col, target_col in zip(r["cols"], r["target_cols"], strict=True):
                table["foreign"].add((col, r["target"], target_col, on_delete[r["confdeltype"]]))
    indexes = await engine.fetch_all(
        "SELECT i.relname AS name, t.relname AS tbl, x.indisunique AS is_unique,"
        " ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, p)"
        "       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.p) AS cols,"
        " ARRAY(SELECT (o & 1) = 1 FROM unnest(x.indoption::int2[]) o) AS descending"
        " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
        " JOIN pg_namespace s ON s.oid = t.relnamespace"
        " WHERE s.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)")
    for r in indexes:
        keys = tuple(zip(r["cols"], r["descending"], strict=True))
        if r["tbl"] in ROWID_STAND_INS and keys[-1] == ("seq", False):  # SQLite's indexes end with the rowid
            keys = keys[:-1]
        shape["indexes"][r["name"]] = (r["tbl"], keys, r["is_unique"])
    return shape


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[PostgresEngine]:
    engine = await open_postgres(postgres_url)
    yield engine
    await engine.close()


async def test_the_postgresql_schema_matches_the_migrated_sqlite_schema(engine: PostgresEngine, tmp_path: Path) -> None:
    expected, actual = sqlite_shape(tmp_path), await postgres_shape(engine)
    for name in ROWID_STAND_INS:
        assert actual["tables"][name]["columns"].pop("seq") == ("bigint", True), name
    assert sorted(actual["tables"]) == sorted(expected["tables"])
    for name, table in expected["tables"].items():
        assert actual["tables"][name] == table, name
    assert actual["indexes"] == expected["indexes"]


async def test_rowid_stand_ins_number_rows_in_arrival_order(engine: PostgresEngine) -> None:
    rows = await engine.fetch_all(
        "SELECT table_name FROM information_schema.columns WHERE column_name = 'seq' AND is_identity = 'YES'")
    assert {r[0] for r in rows} == ROWID_STAND_INS
    for token in ("t1", "t2"):
        await engine.execute_one("INSERT INTO forward_addresses (token, created_at) VALUES (?, ?)", (token, 0))
    for address in ("z@example.org", "a@example.org", "m@example.org"):
        await engine.execute_one("INSERT INTO forward_owners (address, token, added_at) VALUES (?, ?, ?)",
                                 (address, "t1", 5))
    rows = await engine.fetch_all("SELECT address FROM forward_owners ORDER BY added_at, seq")
    assert [r[0] for r in rows] == ["z@example.org", "a@example.org", "m@example.org"]


async def test_the_schema_version_is_the_latest_migration(engine: PostgresEngine) -> None:
    row = await engine.fetch_one("SELECT MAX(version) FROM schema_version")
    assert row is not None and row[0] == SCHEMA_VERSION == migration_scripts()[-1][0]


async def test_identity_columns_number_rows_like_sqlite_rowids(engine: PostgresEngine) -> None:
    async with engine.transaction() as conn:
        first = await conn.fetch_one(
            "INSERT INTO audit (at, action, actor, outcome) VALUES (?, ?, ?, ?) RETURNING id", (1, "seal", "a", "ok"))
        second = await conn.fetch_one(
            "INSERT INTO audit (at, action, actor, outcome) VALUES (?, ?, ?, ?) RETURNING id", (2, "open", "a", "ok"))
    assert first is not None and second is not None and second["id"] > first["id"]


async def test_text_sorts_byte_by_byte_as_in_sqlite_whatever_the_database_locale(
    postgres_cluster: PostgresCluster,
) -> None:
    name = "icu_english"
    postgres_cluster.psql(
        f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"
    )
    try:
        engine = await open_postgres(postgres_cluster.url(name))
        try:
            tokens = ["b", "B", "a", "é", "Z"]
            for token in tokens:
                await engine.execute_one("INSERT INTO forward_addresses (token, created_at) VALUES (?, ?)", (token, 0))
            rows = await engine.fetch_all("SELECT token FROM forward_addresses ORDER BY token")
            by_locale = await engine.fetch_all(
                "SELECT token::text COLLATE \"default\" FROM forward_addresses ORDER BY 1"
            )
        finally:
            await engine.close()
    finally:
        postgres_cluster.drop_database(name)
    assert [r[0] for r in rows] == sorted(tokens, key=lambda s: s.encode()) == ["B", "Z", "a", "b", "é"]
    assert [r[0] for r in by_locale] == ["a", "b", "B", "é", "Z"]  # what a column without COLLATE "C" would do
