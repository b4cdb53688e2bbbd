"""The SMTP transport: a durable queue in the database and a worker that sends it with aiosmtplib.

`deliver` commits the mail durably (one write transaction) and returns; the worker sends it later. A row is
deleted only after the server's 250, so a crash mid-send sends again (at least once). Temporary
failures (4xx, no connection, TLS or AUTH trouble) are retried with exponential backoff until the mail
is `max_age` old; a 5xx answer gives the mail up and records why in `mail_failures` (without the body).
Claiming a row pushes its `next_attempt_at` forward by a lease, so several workers never send one row at
the same time and a worker that died mid-send leaves the row to be retried once the lease runs out.
Logs carry ids, counts and SMTP codes only: never a body, a passcode or the SMTP password.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import logging
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

import aiosmtplib
import msgspec

from mailseal import log_context
from mailseal.errors import ConfigError
from mailseal.mail.outbox import OutgoingMail
from mailseal.storage import ClaimedMail, FailedMail, QueuedMail, Store

__all__ = ["FailedMail", "QueuedMail", "SmtpEndpoint", "SmtpQueue", "parse_smtp_url"]

log = logging.getLogger("mailseal.mail.queue")

DAY = 24 * 60 * 60
REASON_LIMIT = 300
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class SmtpEndpoint:
    """Where and how to connect, parsed from `smtp_url`. The password never shows in a repr."""

    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str = ""
    password: str = field(default="", repr=False)


def parse_smtp_url(url: str) -> SmtpEndpoint:
    """`smtp://user:pass@host:587` (STARTTLS required unless `?starttls=false`) or `smtps://` (TLS)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        raise ConfigError("smtp_url is not a valid URL") from exc
    scheme = parts.scheme.lower()
    if scheme not in {"smtp", "smtps"}:
        raise ConfigError("smtp_url must start with smtp:// or smtps://")
    if not host:
        raise ConfigError("smtp_url needs a host name")
    if parts.path not in {"", "/"} or parts.fragment:
        raise ConfigError("smtp_url takes no path or fragment")
    implicit_tls = scheme == "smtps"
    starttls = not implicit_tls
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name != "starttls" or implicit_tls:
            raise ConfigError(f"smtp_url: unknown or misplaced option {name!r}")
        if value.lower() in _FALSE:
            starttls = False
        elif value.lower() not in _TRUE:
            raise ConfigError("smtp_url: starttls must be true or false")
    return SmtpEndpoint(
        host=host,
        port=port or (465 if implicit_tls else 587),
        implicit_tls=implicit_tls,
        starttls=starttls,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


class _Outcome(msgspec.Struct, frozen=True):
    """What one send attempt means for each recipient: delivered, retry later, or give up."""

    retry: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    reason: str = ""
    disconnected: bool = False


class SmtpQueue:
    """A `Transport` that queues in the database and sends with a background worker (`start`/`stop`)."""

    def __init__(
        self,
        store: Store,
        smtp_url: str,
        *,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        timeout: float = 60.0,
        max_age: int = 2 * DAY,
        first_retry: int = 60,
        max_retry: int = 60 * 60,
        lease: int = 15 * 60,
        batch: int = 50,
        poll: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.endpoint = parse_smtp_url(smtp_url)
        self._tls_context = tls_context
        self._local_hostname = local_hostname
        self._timeout = timeout
        self._max_age = max_age
        self._first_retry = first_retry
        self._max_retry = max_retry
        self._lease = lease
        self._batch = batch
        self._poll = poll
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        if self.endpoint.username and not (self.endpoint.starttls or self.endpoint.implicit_tls):
            log.warning("smtp_url sends the SMTP password without TLS (starttls=false)")

    async def deliver(self, mail: OutgoingMail) -> None:
        """Commit the mail to the queue; it is durable when this returns."""
        now = self._now()
        queue_id = await self.store.mail_queue.add(
            mail_from=mail.mail_from, recipients=mail.recipients, message=mail.message, at=now
        )
        log.info("mail queued id=%s recipients=%d", queue_id, len(mail.recipients))
        self._wake.set()

    async def start(self) -> None:
        """Start the worker (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._work(), name="mailseal-smtp-queue")

    async def stop(self) -> None:
        """Stop the worker. A send cut short stays queued and goes out again after its lease."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def run_once(self) -> int:
        """Try every mail that is due now, once; return how many were tried."""
        now = self._now()
        due = await self.store.mail_queue.due(now, limit=self._batch)
        client: aiosmtplib.SMTP | None = None
        connect_error = ""
        tried = 0
        try:
            for queue_id in due:
                row = await self.store.mail_queue.claim(queue_id, now=now, lease_until=now + self._lease)
                if row is None:
                    continue
                tried += 1
                if client is None and not connect_error:
                    try:
                        client = await self._connect()
                    except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
                        connect_error = _reason(exc)
                        log.warning("cannot reach the SMTP server: %s", _kind(exc))
                if client is None:
                    outcome = _Outcome(retry=row.recipients, reason=connect_error)
                else:
                    outcome = await _send(client, row)
                    if outcome.disconnected:
                        await _close(client)
                        client = None
                await self._settle(row, outcome)
        except BaseException:
            if client is not None:
                client.close()  # cancelled or failed: drop the line, do not wait for a polite QUIT
            raise
        if client is not None:
            await _close(client)
        return tried

    async def pending(self) -> list[QueuedMail]:
        return await self.store.mail_queue.pending()

    async def failures(self, limit: int = 100) -> list[FailedMail]:
        return await self.store.mail_queue.failures(limit=limit)

    async def _work(self) -> None:
        while True:
            self._wake.clear()
            log_context.start_work()  # each run of the queue names its log lines (this task's own context)
            try:
                await self.run_once()
                delay = await self._delay_until_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the worker must outlive a bad run; the next one retries
                log.error("mail queue run failed: %s", _kind(exc))
                delay = self._poll
            if delay > 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
                except TimeoutError:
                    pass

    async def _delay_until_due(self) -> float:
        due_at = await self.store.mail_queue.next_due_at()
        if due_at is None:
            return self._poll
        return float(min(max(due_at - self._now(), 0), self._poll))

    async def _settle(self, row: ClaimedMail, outcome: _Outcome) -> None:
        now = self._now()
        attempts = row.attempts + 1
        retry, failed, reason = outcome.retry, outcome.failed, outcome.reason[:REASON_LIMIT]
        if retry and now - row.queued_at >= self._max_age:
            failed, retry = failed + retry, ()
            reason = f"gave up after {attempts} attempts: {reason}"[:REASON_LIMIT]
        async with self.store.transaction() as tx:
            if failed:
                await tx.mail_queue.add_failure(row, recipients=failed, message_id=_message_id(row.message), at=now,
                                                attempts=attempts, reason=reason)
            if retry:
                delay = min(self._first_retry * 2 ** min(attempts - 1, 30), self._max_retry)
                await tx.mail_queue.retry_later(row.id, recipients=retry, attempts=attempts, at=now + delay,
                                                error=reason)
            else:
                await tx.mail_queue.remove(row.id)
        if failed:
            log.warning("mail gave up id=%s recipients=%d attempts=%d", row.id, len(failed), attempts)
        if retry:
            log.info("mail deferred id=%s recipients=%d attempts=%d", row.id, len(retry), attempts)
        if not failed and not retry:
            log.info("mail delivered id=%s attempts=%d", row.id, attempts)

    async def _connect(self) -> aiosmtplib.SMTP:
        endpoint = self.endpoint
        client = aiosmtplib.SMTP(
            hostname=endpoint.host,
            port=endpoint.port,
            username=endpoint.username or None,
            password=endpoint.password or None,
            use_tls=endpoint.implicit_tls,
            start_tls=endpoint.starttls,
            tls_context=self._tls_context,
            local_hostname=self._local_hostname or _fallback_hostname(),
            timeout=self._timeout,
        )
        await client.connect()
        return client

    def _now(self) -> int:
        return int(self._clock())


async def _send(client: aiosmtplib.SMTP, row: ClaimedMail) -> _Outcome:
    """One SMTP transaction, sorted into what to retry and what to give up."""
    try:
        refused, _ = await client.sendmail(row.mail_from, list(row.recipients), row.message)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        return _split({err.recipient: (err.code, err.message) for err in exc.recipients})
    except aiosmtplib.SMTPResponseException as exc:
        reason = _reason(exc)
        if 500 <= exc.code < 600:
            return _Outcome(failed=row.recipients, reason=reason)
        return _Outcome(retry=row.recipients, reason=reason, disconnected=exc.code == 421)
    except aiosmtplib.SMTPNotSupported as exc:
        return _Outcome(failed=row.recipients, reason=_reason(exc))
    except (aiosmtplib.SMTPException, OSError) as exc:
        return _Outcome(retry=row.recipients, reason=_reason(exc), disconnected=True)
    except ValueError as exc:  # aiosmtplib refuses an address it cannot send safely
        return _Outcome(failed=row.recipients, reason=_reason(exc))
    return _split({address: (response.code, response.message) for address, response in refused.items()})


def _split(refused: dict[str, tuple[int, str]]) -> _Outcome:
    retry = tuple(address for address, (code, _) in refused.items() if not 500 <= code < 600)
    failed = tuple(address for address, (code, _) in refused.items() if 500 <= code < 600)
    reason = "; ".join(f"{code} {message}" for code, message in refused.values())
    return _Outcome(retry=retry, failed=failed, reason=reason)


async def _close(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"[:REASON_LIMIT]
    return f"{_kind(exc)}: {exc}"[:REASON_LIMIT]


def _kind(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{type(exc).__name__} {exc.code}"
    return type(exc).__name__


def _message_id(message: bytes) -> str:
    try:
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(message)
        return str(headers.get("Message-ID", "")).strip()[:200]
    except Exception:  # only a label for the failure record
        return ""


def _fallback_hostname() -> str:
    name = socket.gethostname()
    return name if "." in name else "localhost"
