"""The access log's reads: a message's audit rows about given addresses, its deliveries, a person's messages.

Every query is bounded by message ids and party addresses, so it runs on the indexes `audit_by_message_address`
(message, address) and the inbox's primary key, whatever the size of the audit trail.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from mailseal.storage.engine import Row
from mailseal.storage.repositories.base import Repository, marks

# The newest rows a read returns at most; a message opened more often than this shows its newest rows.
ROW_LIMIT = 1000


class AccessRow(msgspec.Struct, frozen=True, kw_only=True):
    """An audit row as the access log reads it. `address` is the party it is about (None: no party);
    `actor` is read only to tell who revoked a message and is never shown as it is."""

    id: int
    at: int
    action: str
    message_id: str
    address: str | None
    actor: str
    outcome: str
    device_id: str | None
    device_name: str | None


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """A message put in an address's inbox (`via`: seal, share, forward, reply)."""

    message_id: str
    address: str
    at: int
    via: str


class HeldMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A message in a person's inbox, with the newest time any of their addresses received it."""

    message_id: str
    added_at: int


class Opens(msgspec.Struct, frozen=True, kw_only=True):
    """How often, and first and last when, an address opened a message."""

    message_id: str
    address: str
    first_at: int
    last_at: int
    count: int


_ROW = (
    "SELECT a.id, a.at, a.action, a.message_id, a.address, a.actor, a.outcome, a.device_id, d.name"
    " FROM audit a LEFT JOIN devices d ON d.id = a.device_id"
)


def _access_row(row: Row) -> AccessRow:
    return AccessRow(
        id=row[0], at=row[1], action=row[2], message_id=row[3], address=row[4], actor=row[5], outcome=row[6],
        device_id=row[7], device_name=row[8],
    )


def _lowered(addresses: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(a.lower() for a in addresses))


class AccessLog(Repository):
    """Reads only: the rows are written by the key service (`audit`) and the inbox (`envelopes`)."""

    __slots__ = ()

    async def rows_about(self, message_ids: Sequence[str], addresses: Sequence[str]) -> list[AccessRow]:
        """The rows of these messages about any of `addresses`, and those about no party (a seal, a
        revocation, someone else's refused try), oldest first."""
        if not message_ids:
            return []
        ids, mine = list(message_ids), _lowered(addresses) or [""]
        rows = await self._fetch_all(
            f"SELECT * FROM ({_ROW} WHERE a.message_id IN ({marks(len(ids))}) AND a.address IN ({marks(len(mine))})"
            f" UNION ALL {_ROW} WHERE a.message_id IN ({marks(len(ids))}) AND a.address IS NULL) AS r"
            " ORDER BY id DESC LIMIT ?",
            (*ids, *mine, *ids, ROW_LIMIT),
        )
        return [_access_row(r) for r in reversed(rows)]

    async def rows_of(self, message_id: str) -> list[AccessRow]:
        """Every row of one message (the sender's view), oldest first."""
        rows = await self._fetch_all(
            f"{_ROW} WHERE a.message_id = ? ORDER BY a.id DESC LIMIT ?", (message_id, ROW_LIMIT)
        )
        return [_access_row(r) for r in reversed(rows)]

    async def opens(self, message_ids: Sequence[str]) -> list[Opens]:
        """Per message and party address, how often and when it was opened (the list of sent messages)."""
        if not message_ids:
            return []
        rows = await self._fetch_all(
            "SELECT message_id, address, MIN(at), MAX(at), COUNT(*) FROM audit"
            f" WHERE message_id IN ({marks(len(message_ids))}) AND address IS NOT NULL AND action = 'open'"
            " GROUP BY message_id, address",
            tuple(message_ids),
        )
        return [Opens(message_id=r[0], address=r[1], first_at=r[2], last_at=r[3], count=r[4]) for r in rows]

    async def deliveries(self, message_ids: Sequence[str], addresses: Sequence[str]) -> list[Delivery]:
        """The inbox rows of these messages for any of `addresses` (primary-key lookups)."""
        if not message_ids or not addresses:
            return []
        ids, mine = list(message_ids), _lowered(addresses)
        rows = await self._fetch_all(
            "SELECT message_id, address, added_at, via FROM inbox"
            f" WHERE address IN ({marks(len(mine))}) AND message_id IN ({marks(len(ids))})"
            " ORDER BY added_at, address",
            (*mine, *ids),
        )
        return [Delivery(message_id=r[0], address=r[1], at=r[2], via=r[3]) for r in rows]

    async def held(
        self, addresses: Sequence[str], *, before: tuple[int, str] | None, limit: int
    ) -> list[HeldMessage]:
        """A page of the messages any of `addresses` hold, newest first; `before` is the last one of the
        page before (its time and id)."""
        if not addresses:
            return []
        mine = _lowered(addresses)
        after_cursor: str = ""
        params: tuple[int | str, ...] = ()
        if before is not None:
            after_cursor = " HAVING MAX(added_at) < ? OR (MAX(added_at) = ? AND message_id < ?)"
            params = (before[0], before[0], before[1])
        rows = await self._fetch_all(
            f"SELECT message_id, MAX(added_at) FROM inbox WHERE address IN ({marks(len(mine))})"
            f" GROUP BY message_id{after_cursor} ORDER BY MAX(added_at) DESC, message_id DESC LIMIT ?",
            (*mine, *params, limit),
        )
        return [HeldMessage(message_id=r[0], added_at=r[1]) for r in rows]
