"""Audit retention: rows older than `audit_retention_days` go, except those kept forever.

Kept forever (`storage.KEPT_FOREVER`): seals, refusals, revocations, expiries and key moves — what was
sealed for whom, who was refused, and when each key was destroyed, which an organisation may have to show
years later. What goes is the routine record of keys handed out (opens, attachments, listings, replies):
one row per open, the bulk of the table. Export it first (`mailseal audit --export`) where it must be
kept longer.

The sweep is bounded: it deletes by windows of ids (the primary key), at most `WINDOWS_PER_SWEEP` of them
per call, and remembers where it got to, so one call costs the same on a table of any size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from mailseal.storage import Store

WINDOW: Final = 5_000
WINDOWS_PER_SWEEP: Final = 20
DAY: Final = 86_400


class AuditRetention:
    """Deletes the audit rows past the retention period, a bounded amount per `sweep`."""

    def __init__(self, store: Store, *, days: int, clock: Callable[[], float]) -> None:
        self.store = store
        self.days = days
        self.clock = clock
        self._behind: int | None = None  # every row with an id up to here is past retention or kept

    async def sweep(self) -> int:
        """Delete what retention allows, up to `WINDOWS_PER_SWEEP` windows of ids; how many rows went."""
        if self.days <= 0:
            return 0
        older_than = int(self.clock()) - self.days * DAY
        if self._behind is None:
            first = await self.store.audit.first_id()
            if first is None:
                return 0
            self._behind = first - 1
        dropped = 0
        for _ in range(WINDOWS_PER_SWEEP):
            count, passed = await self.store.audit.drop_expired(
                older_than=older_than, after_id=self._behind, window=WINDOW
            )
            dropped += count
            if not passed:
                break
            self._behind += WINDOW
        return dropped
