"""The audit trail: every seal, open, refusal, revocation and expiry, in order."""

from __future__ import annotations

import msgspec

from mailseal.storage.repositories.base import Repository

DETAIL_LIMIT = 500


class AuditEntry(msgspec.Struct, frozen=True):
    id: int
    at: int
    action: str
    message_id: str | None
    actor: str
    outcome: str
    detail: str


class Audit(Repository):
    """The `audit` table; rows are only ever added."""

    __slots__ = ()

    async def add(
        self, *, at: float, action: str, message_id: str | None, actor: str, outcome: str = "ok", detail: str = "",
        address: str | None = None, device_id: str | None = None,
    ) -> None:
        """One audit row; outside a transaction it is durable when this returns (one trip).

        `address` is the party address the row is about (None: about no party), `device_id` the device
        that asked: the access log shows a person the rows of their own addresses only."""
        await self._execute(
            "INSERT INTO audit (at, action, message_id, actor, outcome, detail, address, device_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (int(at), action, message_id, actor, outcome, detail[:DETAIL_LIMIT], address, device_id or None),
        )

    async def entries(self, message_id: str | None = None, *, limit: int = 1000) -> list[AuditEntry]:
        """The newest `limit` entries (of one message, or all), oldest first."""
        columns = "id, at, action, message_id, actor, outcome, detail"
        if message_id is None:
            rows = await self._fetch_all(f"SELECT {columns} FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = await self._fetch_all(
                f"SELECT {columns} FROM audit WHERE message_id = ? ORDER BY id DESC LIMIT ?", (message_id, limit)
            )
        return [
            AuditEntry(id=r[0], at=r[1], action=r[2], message_id=r[3], actor=r[4], outcome=r[5], detail=r[6])
            for r in reversed(rows)
        ]
