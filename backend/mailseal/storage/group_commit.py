"""Group commit: rows that must be durable before their caller goes on, written many to one commit.

Every open writes an audit row, and the key is handed out only once that row is durable. One commit per
row makes every open wait for its own disk sync, one after another on SQLite's single writer. Here a row
that finds no commit in flight is committed at once by its caller; one that finds a commit in flight
joins the batch gathering behind it, and one writer task commits each such batch in one statement (one
transaction, one sync), then answers every caller in it. No timer: an open alone pays nothing, and
under load each waits for at most one commit ahead of its own (a millisecond or two).

A caller returns only after its batch's commit returned; if that commit fails, every caller in the batch
gets the error (`AuditNotRecorded`), none is told its row is written.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Final, Generic, TypeVar

from mailseal.errors import AuditNotRecorded

log = logging.getLogger("mailseal.storage")

T = TypeVar("T")
MAX_BATCH: Final = 256
"""Rows per commit: bounds one statement's parameters (6 a row; SQLite allows 32,766, PostgreSQL 65,535)."""


class GroupCommit(Generic[T]):
    """Gathers items into batches and writes each batch with `write`, which must commit it durably."""

    def __init__(self, write: Callable[[Sequence[T]], Awaitable[None]], *, max_batch: int = MAX_BATCH) -> None:
        self._write = write
        self._max_batch = max_batch
        self._waiting: list[tuple[T, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._leading = False  # a caller is committing its own row
        self.commits = 0
        """Batches committed so far (for tests and the benchmark: rows per commit)."""

    async def add(self, item: T) -> None:
        """Returns once `item` is committed with its batch; raises `AuditNotRecorded` if that commit failed."""
        if self._leading or (self._writer is not None and not self._writer.done()):
            # A commit is in flight: join the batch that gathers behind it.
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.append((item, future))
            # A caller that goes away cancels only its future: its row is still written with the others.
            await future
            return
        # Nothing in flight: commit this row at once, here (no task, no future: an open alone pays nothing).
        self._leading = True
        try:
            await self._write([item])
        except Exception as error:
            log.error("an audit row could not be committed: %s", type(error).__name__)
            raise AuditNotRecorded() from error
        finally:
            self._leading = False
            if self._waiting:
                self._writer = asyncio.create_task(self._write_batches(), name="mailseal-group-commit")
        self.commits += 1

    async def drain(self) -> None:
        """Wait until every item handed in so far is committed (or has failed): before the engine closes."""
        while self._writer is not None and not self._writer.done():
            await asyncio.wait({self._writer})

    async def _write_batches(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            try:
                await self._write([item for item, _ in batch])
            except Exception as error:
                log.error("a batch of %d audit rows could not be committed: %s", len(batch), type(error).__name__)
                for _, future in batch:
                    if not future.done():
                        failure = AuditNotRecorded()
                        failure.__cause__ = error
                        future.set_exception(failure)
                continue
            self.commits += 1
            for _, future in batch:
                if not future.done():
                    future.set_result(None)
