"""schema/sqlite.sql is the current schema: the numbered migrations, applied to an empty file, build it exactly."""

from __future__ import annotations

import re
import sqlite3
from importlib import resources
from pathlib import Path

from mailseal.storage.sqlite_engine import migration_scripts, open_sqlite

Entry = tuple[str, str, str, str]


def normalised(sql: str | None) -> str:
    """SQL as SQLite keeps it, without comments, with one space where the text had any run of them, and
    without the quotes `ALTER TABLE … RENAME` puts around a table's name."""
    if sql is None:
        return ""
    text = re.sub(r"--[^\n]*", " ", sql)
    text = re.sub(r'"(\w+)"', r"\1", text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s*([(),])\s*", r"\1", text)


def schema_of(path: Path) -> set[Entry]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    conn.close()
    return {(kind, name, table, normalised(sql)) for kind, name, table, sql in rows}


def schema_file() -> str:
    return (resources.files("mailseal.storage") / "schema" / "sqlite.sql").read_text(encoding="utf-8")


async def test_the_migrations_build_exactly_the_schema_file(tmp_path: Path) -> None:
    engine = await open_sqlite(tmp_path / "migrated.sqlite")
    await engine.close()
    with sqlite3.connect(tmp_path / "from-file.sqlite") as conn:
        conn.executescript(schema_file())
    conn.close()
    migrated, from_file = schema_of(tmp_path / "migrated.sqlite"), schema_of(tmp_path / "from-file.sqlite")
    assert sorted(migrated - from_file) == [], "built by the migrations, but not in schema/sqlite.sql"
    assert sorted(from_file - migrated) == [], "in schema/sqlite.sql, but not built by the migrations"
    assert len(migrated) > 20


async def test_every_migration_is_recorded(tmp_path: Path) -> None:
    engine = await open_sqlite(tmp_path / "migrated.sqlite")
    await engine.close()
    with sqlite3.connect(tmp_path / "migrated.sqlite") as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    conn.close()
    assert versions == [number for number, _ in migration_scripts()]


def test_normalising_keeps_what_matters() -> None:
    assert normalised("CREATE TABLE t (\n  a INTEGER, -- why\n  b TEXT\n)") == "CREATE TABLE t(a INTEGER,b TEXT)"
    assert normalised("CREATE TABLE t (a INTEGER)") != normalised("CREATE TABLE t (a TEXT)")
    assert normalised('CREATE TABLE "t" (a TEXT DEFAULT \'\')') == "CREATE TABLE t(a TEXT DEFAULT '')"
