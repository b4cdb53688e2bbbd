"""A consistent copy of a live SQLite database, through SQLite's online backup API.

The copy is one read snapshot of the source (WAL: the server's writers go on meanwhile), so every row in
it is as of one instant; `inspect_copy` then checks it and reads what a backup's manifest records.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import msgspec

# The tables a manifest counts (the ones an operator recognises), in the order shown.
COUNTED: tuple[str, ...] = ("seals", "envelopes", "inbox", "audit", "devices")


class SnapshotFacts(msgspec.Struct, frozen=True):
    """What a copied database holds: its integrity check's answer, row counts, and the envelopes' ids."""

    integrity: str
    counts: dict[str, int]
    envelope_ids: list[str]


def _backup(source: Path, target: Path) -> None:
    # query_only: the backup never writes to the live file, and takes no write lock.
    src = sqlite3.connect(source)
    try:
        src.execute("PRAGMA query_only=ON")
        src.execute("PRAGMA busy_timeout=5000")
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # pages=-1: all pages in one step, one read snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
        finally:
            dst.close()
    finally:
        src.close()


def _inspect(path: Path) -> SnapshotFacts:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        integrity = "; ".join(str(row[0]) for row in conn.execute("PRAGMA integrity_check").fetchall())
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        counts = {
            table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # fixed names from COUNTED
            for table in COUNTED if table in tables
        }
        ids = [str(row[0]) for row in conn.execute("SELECT message_id FROM envelopes ORDER BY message_id")]
    finally:
        conn.close()
    return SnapshotFacts(integrity=integrity, counts=counts, envelope_ids=ids)


async def backup_sqlite(source: Path, target: Path) -> None:
    """Copy the live database at `source` to a new file `target`, consistently, off the event loop."""
    await asyncio.to_thread(_backup, source, target)


async def inspect_copy(path: Path) -> SnapshotFacts:
    """Check a copied database (`PRAGMA integrity_check`) and read its counts and envelope ids."""
    return await asyncio.to_thread(_inspect, path)
