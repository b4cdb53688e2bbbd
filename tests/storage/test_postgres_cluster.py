"""The throwaway PostgreSQL cluster the storage tests run on: reachable, isolated per test, durable commits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from support.postgres import PostgresCluster, postgres_cluster, postgres_url

__all__ = ["postgres_cluster", "postgres_url"]


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


def test_without_binaries_it_skips_in_a_clone_and_fails_in_ci(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "from support.postgres import postgres_cluster, postgres_url\n"
        "__all__ = ['postgres_cluster', 'postgres_url']\n"
        "def test_needs_postgres(postgres_url):\n"
        "    pass\n"
    )
    tests = Path(__file__).resolve().parents[1]

    def run(require: str) -> str:
        env = {**os.environ, "MAILSEAL_POSTGRES_BIN": str(tmp_path / "absent"), "MAILSEAL_REQUIRE_POSTGRES": require,
               "PYTHONPATH": str(tests)}
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                                 "--rootdir", str(tmp_path), "-c", os.devnull, str(probe)],
                                capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
        return result.stdout

    in_a_clone, in_ci = run(""), run("1")
    assert "1 skipped" in in_a_clone and "binaries are not installed" in in_a_clone
    assert "1 error" in in_ci and "MAILSEAL_REQUIRE_POSTGRES=1 but" in in_ci
