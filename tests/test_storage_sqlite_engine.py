"""The SQLite engine: lookups on the caller's thread see every commit at once, single-statement writes are
durable transactions, and a destroyed content key leaves no copy in the file or its WAL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mailseal.storage.sqlite_engine import SqliteEngine
from mailseal.storage.sqlite_engine import open_sqlite as open_database
from support.mailseal_app import running_app, simple_mail


async def test_lookups_see_each_commit_at_once(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "m.db")
    try:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO audit (at, action, actor, outcome, detail) VALUES (1, 'a', 'x', 'ok', '')")
        query = "SELECT COUNT(*) AS n FROM audit"
        first = await db.lookup_one(query)
        assert first is not None and first["n"] == 1
        # A lookup that returns many rows must not leave a read snapshot open behind it.
        assert len(await db.lookup_all("SELECT * FROM audit")) == 1
        await db.execute_one("INSERT INTO audit (at, action, actor, outcome, detail) VALUES (2, 'b', 'x', 'ok', '')")
        again = await db.lookup_one(query)
        assert again is not None and again["n"] == 2
        assert await db.lookup_one("SELECT * FROM audit WHERE action = 'none'") is None
    finally:
        await db.close()


async def test_lookups_cannot_write(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "m.db")
    try:
        with pytest.raises(sqlite3.OperationalError):
            await db.lookup_all("DELETE FROM audit")
    finally:
        await db.close()


async def test_write_one_failure_leaves_nothing(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "m.db")
    try:
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute_one(
                "INSERT INTO audit (at, action, actor, outcome, detail) VALUES (1, NULL, 'x', 'ok', '')"
            )
        row = await db.lookup_one("SELECT COUNT(*) AS n FROM audit")
        assert row is not None and row["n"] == 0
        async with db.transaction() as conn:  # the writer is free again
            await conn.execute("INSERT INTO audit (at, action, actor, outcome, detail) VALUES (1, 'a', 'x', 'ok', '')")
    finally:
        await db.close()


async def test_a_revoked_key_leaves_no_copy_on_disk(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        sealed = await app.seal(simple_mail())
        await app.sign_in("bob@gmail.com")
        assert (await app.http.get(f"/api/messages/{sealed.message_id}")).status_code == 200
        store = app.services.instance.store
        found = await store.seals.get(sealed.message_id)
        assert found is not None and found.wrapped_key is not None
        wrapped = found.wrapped_key
        db = store.engine
        assert isinstance(db, SqliteEngine)
        await app.services.instance.keys.revoke(sealed.message_id, actor="admin")
        files = [db.path, db.path.with_name(db.path.name + "-wal")]
        on_disk = b"".join(path.read_bytes() for path in files if path.exists())
        assert wrapped not in on_disk
        # The open read connections did not hold the checkpoint back: the WAL was emptied.
        wal = files[1]
        assert not wal.exists() or wal.stat().st_size == 0
