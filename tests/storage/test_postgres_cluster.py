"""The throwaway PostgreSQL cluster the storage tests run on: reachable, isolated per test, durable commits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from support.postgres import OWNER_FILE, PostgresCluster, postgres_bin, reap_orphans, start_cluster, unavailable


async def test_each_test_gets_an_empty_database_of_its_own(
    postgres_url: str, postgres_cluster: PostgresCluster
) -> None:
    conn = await asyncpg.connect(postgres_url)
    try:
        tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        await conn.execute("CREATE TABLE marker (id BIGINT)")
        name = await conn.fetchval("SELECT current_database()")
    finally:
        await conn.close()
    assert tables == 0
    assert name in postgres_cluster.psql("SELECT datname FROM pg_database")


async def test_commits_are_synchronous_and_nothing_listens_on_tcp(postgres_url: str) -> None:
    conn = await asyncpg.connect(postgres_url)
    try:
        settings = {row["name"]: row["setting"] for row in await conn.fetch(
            "SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'listen_addresses')")}
    finally:
        await conn.close()
    assert settings == {"synchronous_commit": "on", "fsync": "off", "listen_addresses": ""}


def test_without_binaries_it_skips_in_a_clone_and_fails_in_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILSEAL_POSTGRES_BIN", str(tmp_path / "absent"))
    assert postgres_bin() is None
    monkeypatch.delenv("MAILSEAL_REQUIRE_POSTGRES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        unavailable("not installed")
    monkeypatch.setenv("MAILSEAL_REQUIRE_POSTGRES", "1")
    with pytest.raises(pytest.fail.Exception, match="MAILSEAL_REQUIRE_POSTGRES=1 but not installed"):
        unavailable("not installed")


def test_a_cluster_whose_test_run_died_is_reaped_by_the_next_run(postgres_cluster: PostgresCluster) -> None:
    orphan = start_cluster(postgres_cluster.bin)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    (orphan.folder / OWNER_FILE).write_text(dead.stdout.strip())  # as if its pytest had been killed
    server = int((orphan.folder / "data" / "postmaster.pid").read_text().split()[0])
    try:
        assert reap_orphans(orphan.folder.parent) == [orphan.folder]
        assert not orphan.folder.exists() and not Path(f"/proc/{server}").exists()
        assert postgres_cluster.folder.exists()  # a run still going keeps its cluster
        assert postgres_cluster.psql("SELECT 1").strip() == "1"
    finally:
        if orphan.folder.exists():
            orphan.stop()
