"""The audit trail: every seal, open, refusal, revocation and expiry, in order.

Outside a transaction a row is written through the store's group commit (`storage/group_commit.py`):
concurrent opens share one durable commit, and each returns only after it. Rows of the kinds kept
forever (`KEPT_FOREVER`) are never deleted; the others may be, once older than the retention period.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec

from mailseal.storage.engine import Connection, Engine, Row
from mailseal.storage.group_commit import GroupCommit
from mailseal.storage.repositories.base import Repository, marks

DETAIL_LIMIT = 500
COLUMNS: Final = "at, action, message_id, actor, outcome, detail, address, device_id"
_ROW_MARKS: Final = "(?, ?, ?, ?, ?, ?, ?, ?)"
KEPT_FOREVER: Final = ("seal", "refuse", "revoke", "expire", "rekey")
"""Actions whose rows retention never deletes: what was sealed, every refusal, every key destroyed or moved."""

AuditRow = tuple[int, str, str | None, str, str, str, str | None, str | None]
"""One row to insert, in the order of `COLUMNS`."""


class AuditEntry(msgspec.Struct, frozen=True):
    id: int
    at: int
    action: str
    message_id: str | None
    actor: str
    outcome: str
    detail: str


class Audit(Repository):
    """The `audit` table; rows are added, and only retention (`drop_expired`) deletes."""

    __slots__ = ("_commits",)

    def __init__(self, engine: Engine, conn: Connection | None = None, *,
                 commits: GroupCommit[AuditRow] | None = None) -> None:
        super().__init__(engine, conn)
        self._commits = commits

    async def add(
        self, *, at: float, action: str, message_id: str | None, actor: str, outcome: str = "ok", detail: str = "",
        address: str | None = None, device_id: str | None = None,
    ) -> None:
        """One audit row; outside a transaction it is durable when this returns (with its batch).

        `address` is the party address the row is about (None: about no party), `device_id` the device
        that asked: the access log shows a person the rows of their own addresses only."""
        row: AuditRow = (int(at), action, message_id, actor, outcome, detail[:DETAIL_LIMIT], address, device_id or None)
        if self._conn is None and self._commits is not None:
            await self._commits.add(row)
            return
        await self._execute(f"INSERT INTO audit ({COLUMNS}) VALUES {_ROW_MARKS}", row)

    async def entries(self, message_id: str | None = None, *, limit: int = 1000) -> list[AuditEntry]:
        """The newest `limit` entries (of one message, or all), oldest first."""
        columns = "id, at, action, message_id, actor, outcome, detail"
        if message_id is None:
            rows = await self._fetch_all(f"SELECT {columns} FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = await self._fetch_all(
                f"SELECT {columns} FROM audit WHERE message_id = ? ORDER BY id DESC LIMIT ?", (message_id, limit)
            )
        return [_entry(r) for r in reversed(rows)]

    async def after(self, after_id: int, *, limit: int = 1000) -> list[AuditEntry]:
        """The `limit` entries following `after_id`, oldest first (to read the whole trail page by page)."""
        rows = await self._fetch_all(
            "SELECT id, at, action, message_id, actor, outcome, detail FROM audit WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        )
        return [_entry(r) for r in rows]

    async def first_id(self) -> int | None:
        row = await self._fetch_one("SELECT MIN(id) FROM audit")
        return None if row is None or row[0] is None else int(row[0])

    async def drop_expired(self, *, older_than: int, after_id: int, window: int) -> tuple[int, bool]:
        """Delete the rows not `KEPT_FOREVER` with `at < older_than` and an id in `(after_id, after_id + window]`.

        A window of ids by primary key bounds the work of one call whatever the table's size. Returns how
        many rows went and whether the whole window is behind the retention period (every row in it older,
        and rows after it), so that the next call may start after it."""
        high = after_id + window
        kept = marks(len(KEPT_FOREVER))
        async with self._atomic() as conn:
            dropped = await conn.execute(
                f"DELETE FROM audit WHERE id > ? AND id <= ? AND at < ? AND action NOT IN ({kept})",
                (after_id, high, older_than, *KEPT_FOREVER),
            )
            younger = await conn.fetch_one(
                "SELECT 1 FROM audit WHERE id > ? AND id <= ? AND at >= ? LIMIT 1", (after_id, high, older_than)
            )
            beyond = await conn.fetch_one("SELECT 1 FROM audit WHERE id > ? LIMIT 1", (high,))
        return dropped, younger is None and beyond is not None


async def write_rows(engine: Engine, rows: Sequence[AuditRow]) -> None:
    """A batch of rows as one statement: one transaction and one durable commit on either engine."""
    values = ", ".join([_ROW_MARKS] * len(rows))
    await engine.execute_one(f"INSERT INTO audit ({COLUMNS}) VALUES {values}", [v for row in rows for v in row])


def _entry(r: Row) -> AuditEntry:
    return AuditEntry(id=r[0], at=r[1], action=r[2], message_id=r[3], actor=r[4], outcome=r[5], detail=r[6])
