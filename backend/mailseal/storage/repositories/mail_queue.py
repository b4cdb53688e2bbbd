"""The outbound mail queue: mails waiting to be sent, claimed under a lease, and the ones given up."""

from __future__ import annotations

import json

import msgspec

from mailseal.storage.repositories.base import Repository


class QueuedMail(msgspec.Struct, frozen=True):
    """A mail waiting in the queue (no body)."""

    id: int
    mail_from: str
    recipients: tuple[str, ...]
    queued_at: int
    attempts: int
    next_attempt_at: int
    last_error: str


class ClaimedMail(msgspec.Struct, frozen=True):
    """A mail claimed for one send attempt, with its body."""

    id: int
    mail_from: str
    recipients: tuple[str, ...]
    message: bytes
    queued_at: int
    attempts: int


class QueueDepth(msgspec.Struct, frozen=True):
    """How many mails wait, and when the oldest of them was queued (None when none wait)."""

    mails: int
    oldest_queued_at: int | None


class FailedMail(msgspec.Struct, frozen=True):
    """A mail, or some of its recipients, the queue gave up on."""

    id: int
    queue_id: int
    mail_from: str
    recipients: tuple[str, ...]
    message_id: str
    queued_at: int
    failed_at: int
    attempts: int
    reason: str


# Claiming: SQLite's one writer makes the conditional UPDATE enough; on PostgreSQL a row another worker
# is claiming right now is skipped rather than waited for.
_CLAIM = {
    "sqlite": (
        "UPDATE mail_queue SET next_attempt_at = ? WHERE id = ? AND next_attempt_at <= ?"
        " RETURNING id, mail_from, recipients, message, queued_at, attempts"
    ),
    "postgresql": (
        "UPDATE mail_queue SET next_attempt_at = ? WHERE id = (SELECT id FROM mail_queue"
        " WHERE id = ? AND next_attempt_at <= ? FOR UPDATE SKIP LOCKED)"
        " RETURNING id, mail_from, recipients, message, queued_at, attempts"
    ),
}


class MailQueueRows(Repository):
    """The `mail_queue` and `mail_failures` tables. Recipients are stored as a JSON list."""

    __slots__ = ()

    async def add(self, *, mail_from: str, recipients: tuple[str, ...], message: bytes, at: int) -> int:
        """Queue a mail, due at once; its queue id."""
        row = await self._write_returning(
            "INSERT INTO mail_queue (mail_from, recipients, message, queued_at, next_attempt_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (mail_from, json.dumps(list(recipients)), message, at, at),
        )
        assert row is not None  # an INSERT … RETURNING returns its row
        return int(row[0])

    async def due(self, now: int, *, limit: int) -> list[int]:
        """Ids of the mails due at `now`, the longest waiting first."""
        rows = await self._fetch_all(
            "SELECT id FROM mail_queue WHERE next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
            (now, limit),
        )
        return [int(row[0]) for row in rows]

    async def claim(self, queue_id: int, *, now: int, lease_until: int) -> ClaimedMail | None:
        """Take a due mail for one attempt (its next attempt moves to `lease_until`); None when it is not
        due or another worker holds it."""
        row = await self._write_returning(_CLAIM[self.dialect], (lease_until, queue_id, now))
        if row is None:
            return None
        return ClaimedMail(
            id=row[0],
            mail_from=row[1],
            recipients=tuple(json.loads(row[2])),
            message=bytes(row[3]),
            queued_at=row[4],
            attempts=row[5],
        )

    async def next_due_at(self) -> int | None:
        """When the next mail is due, or None for an empty queue."""
        row = await self._fetch_one("SELECT MIN(next_attempt_at) FROM mail_queue")
        return None if row is None or row[0] is None else int(row[0])

    async def retry_later(
        self, queue_id: int, *, recipients: tuple[str, ...], attempts: int, at: int, error: str
    ) -> None:
        """Keep the mail for the recipients still to deliver, next tried at `at`."""
        await self._execute(
            "UPDATE mail_queue SET recipients = ?, attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
            (json.dumps(list(recipients)), attempts, at, error, queue_id),
        )

    async def remove(self, queue_id: int) -> None:
        await self._execute("DELETE FROM mail_queue WHERE id = ?", (queue_id,))

    async def add_failure(
        self, mail: ClaimedMail, *, recipients: tuple[str, ...], message_id: str, at: int, attempts: int, reason: str
    ) -> None:
        """Record recipients given up on: the envelope and the reason, never the message."""
        await self._execute(
            "INSERT INTO mail_failures (queue_id, mail_from, recipients, message_id, queued_at,"
            " failed_at, attempts, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (mail.id, mail.mail_from, json.dumps(list(recipients)), message_id, mail.queued_at, at, attempts, reason),
        )

    async def depth(self) -> QueueDepth:
        row = await self._fetch_one("SELECT COUNT(*), MIN(queued_at) FROM mail_queue")
        return QueueDepth(mails=row[0], oldest_queued_at=row[1]) if row is not None else QueueDepth(0, None)

    async def pending(self) -> list[QueuedMail]:
        rows = await self._fetch_all(
            "SELECT id, mail_from, recipients, queued_at, attempts, next_attempt_at, last_error"
            " FROM mail_queue ORDER BY id"
        )
        return [
            QueuedMail(
                id=r[0], mail_from=r[1], recipients=tuple(json.loads(r[2])), queued_at=r[3], attempts=r[4],
                next_attempt_at=r[5], last_error=r[6],
            )
            for r in rows
        ]

    async def failures(self, *, limit: int) -> list[FailedMail]:
        rows = await self._fetch_all(
            "SELECT id, queue_id, mail_from, recipients, message_id, queued_at, failed_at, attempts, reason"
            " FROM mail_failures ORDER BY failed_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [
            FailedMail(
                id=r[0], queue_id=r[1], mail_from=r[2], recipients=tuple(json.loads(r[3])), message_id=r[4],
                queued_at=r[5], failed_at=r[6], attempts=r[7], reason=r[8],
            )
            for r in rows
        ]
