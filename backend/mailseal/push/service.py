"""The push service: subscriptions in, notifications out, without ever making a caller wait.

`notify()` records one row per subscribed device in the durable push queue (`store.push_queue`), within
its caps, and returns. The queue's worker (started by `start()`, in the processes of the `worker` part)
claims due rows under a lease and delivers with bounded concurrency: every attempt passes the egress
guard and has timeouts; 404/410 delete the subscription; 429, 5xx and network failures are retried with
exponential backoff a bounded number of times; anything else counts as a failure, and a subscription
that fails `max_failures` deliveries in a row is pruned. A row is deleted once settled, so a worker
killed mid-send leaves its rows to be sent again when their lease ends: at least once.
"""

from __future__ import annotations

import asyncio
import enum
import hmac
import logging
import random
import ssl
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpcore

from mailseal import metrics
from mailseal.errors import InputError, PushEndpointRefused, PushSubscriptionTaken
from mailseal.storage import QueuedPush, Store, Subscription

from .config import PushConfig
from .egress import EgressPolicy, ResolutionFailed, Resolver, parse_endpoint, resolve_checked, system_resolver
from .payload import Kind, build_payload, check_message_id, check_public_url, encrypt, topic
from .push_subscription import parse_subscription
from .sender import PushSender
from .vapid import AuthorizationCache, VapidKeys, validate_contact

log = logging.getLogger("mailseal.push")

MAX_DEVICE_ID = 128
# A delivery to a healthy subscription records its success at most this often: one write per push
# would cost a durable commit each, for a timestamp that only needs to be roughly right.
SUCCESS_WRITE_INTERVAL = 60
# The shortest wait between two looks at the queue while rows are due but claimed by another worker.
MIN_WAIT = 0.01
# How often a worker that PostgreSQL tells of new rows still looks (a lost LISTEN connection, say).
LISTENING_POLL = 2.0
_TRANSIENT_ERRORS = (TimeoutError, OSError, httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError)


@dataclass
class PushStats:
    """Counters since start, for health checks and tests."""

    queued: int = 0
    dropped: int = 0
    attempts: int = 0
    delivered: int = 0
    gone: int = 0
    retried: int = 0
    failed: int = 0
    refused: int = 0


class _Outcome(enum.Enum):
    DELIVERED = "delivered"
    GONE = "gone"  # 404/410: the browser dropped the subscription
    RETRY = "retry"
    FAILED = "failed"  # an answer that retrying will not change
    REFUSED = "refused"  # the egress guard refused the resolved addresses
    INVALID = "invalid"  # the stored endpoint text itself is refused: it can never work


class PushService:
    """Web Push for Mailseal: VAPID, subscriptions, delivery and pruning."""

    def __init__(
        self,
        store: Store,
        vapid: VapidKeys,
        config: PushConfig,
        *,
        resolver: Resolver = system_resolver,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
        ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._vapid = vapid
        self._config = config
        self._contact = validate_contact(config.contact, allow_local=config.allow_local_contact)
        self._authorization = AuthorizationCache(vapid, self._contact)
        self._public_url = check_public_url(config.public_url)
        self._policy = EgressPolicy.with_services(
            config.services, allow_loopback=config.allow_loopback, loopback_hosts=config.loopback_hosts
        )
        self._resolver = resolver
        self._clock = clock
        self._network_backend = network_backend
        self._ssl_context = ssl_context
        self._sender: PushSender | None = None
        self._slots = asyncio.Semaphore(config.concurrency)
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._deliveries: dict[asyncio.Task[None], int] = {}  # each delivery in flight, and its queue row
        self.stats = PushStats()
        # Queue-to-answer time of the latest deliveries, for the bench and the tests.
        self.latencies_ms: deque[int] = deque(maxlen=1000)

    @property
    def application_server_key(self) -> str:
        return self._vapid.application_server_key

    @property
    def policy(self) -> EgressPolicy:
        return self._policy

    async def subscribe(
        self, device_id: str, subscription_json: bytes | str | dict[str, Any], *, show_sender: bool = False
    ) -> Subscription:
        """Check a browser's PushSubscription (shape, keys, endpoint, its addresses) and store it.

        An endpoint held by another device moves only to a request with the same keys (p256dh and auth):
        the same browser, signed in again. Anyone else who learnt the endpoint gets `PushSubscriptionTaken`
        and the subscription stays where it was.
        """
        _check_device_id(device_id)
        browser = parse_subscription(subscription_json)
        endpoint = parse_endpoint(browser.endpoint, self._policy)
        try:
            await resolve_checked(
                endpoint.host, endpoint.port, self._policy, self._resolver, limit=self._config.connect_timeout
            )
        except ResolutionFailed as exc:
            raise PushEndpointRefused("The push service's name does not resolve") from exc
        async with self._store.transaction() as tx:
            await tx.push_subscriptions.serialize()
            held = await tx.push_subscriptions.holder(browser.endpoint)
            if held is not None and held.device_id != device_id:
                same_keys = hmac.compare_digest(held.p256dh, browser.p256dh) & hmac.compare_digest(
                    held.auth, browser.auth
                )
                if not same_keys:
                    raise PushSubscriptionTaken()
            return await tx.push_subscriptions.save(
                device_id=device_id,
                endpoint=browser.endpoint,
                p256dh=browser.p256dh,
                auth=browser.auth,
                show_sender=show_sender,
                now=int(self._clock()),
            )

    async def unsubscribe(self, device_id: str, endpoint: str) -> bool:
        return await self._store.push_subscriptions.delete(device_id=device_id, endpoint=endpoint)

    async def forget_device(self, device_id: str) -> bool:
        """Drop a device's subscription (call when the device signs out or is deleted)."""
        return await self._store.push_subscriptions.delete_for_device(device_id)

    async def list_for_devices(self, device_ids: Sequence[str]) -> list[Subscription]:
        return await self._store.push_subscriptions.for_devices(device_ids)

    async def notify(self, device_ids: Sequence[str], message_id: str, kind: Kind) -> None:
        """Queue one push per subscribed device and return; never waits on the network or a full queue.

        A notification the caps refuse is dropped with a log line: a person is never told of it.
        """
        check_message_id(message_id)
        if kind not in ("message", "reply"):
            raise InputError("A push kind is 'message' or 'reply'")
        wanted = tuple(dict.fromkeys(device_ids))
        if not wanted:
            return
        try:
            subscribed = tuple(sorted({s.device_id for s in await self._store.push_subscriptions.for_devices(wanted)}))
            if not subscribed:
                return
            queued = await self._store.push_queue.add(
                subscribed, message_id=message_id, kind=kind, at_ms=self._now_ms(),
                per_device=self._config.per_device, total=self._config.queue_size,
            )
        except Exception:
            self.stats.dropped += len(wanted)
            log.exception("push: could not queue a notification; it was dropped")
            return
        self.stats.queued += queued.added
        if queued.refused:
            self.stats.dropped += queued.refused
            log.warning("push queue is full (per device or in all): %d notification(s) dropped", queued.refused)
        if queued.added:
            self._wake.set()

    async def start(self) -> None:
        """Start the queue's worker; rows queued before (here or by another process) wait for it."""
        if self._sender is None:
            self._sender = PushSender(
                self._policy,
                resolver=self._resolver,
                network_backend=self._network_backend,
                ssl_context=self._ssl_context,
                connect_timeout=self._config.connect_timeout,
                total_timeout=self._config.total_timeout,
                max_connections=self._config.concurrency,
            )
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run(), name="mailseal-push-worker")

    async def stop(self) -> None:
        """Stop the worker and cancel deliveries in flight; their rows are due again at once, for the next
        worker (a process killed instead leaves them leased until `lease_seconds` runs out)."""
        in_flight = dict(self._deliveries)
        tasks = [*in_flight, *([self._worker] if self._worker else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._worker = None
        if in_flight:
            try:
                await self._store.push_queue.release(tuple(in_flight.values()), at_ms=self._now_ms())
            except Exception:
                log.exception("push: could not release the rows in flight; they wait for their lease")
        if self._sender is not None:
            sender, self._sender = self._sender, None
            await sender.aclose()

    async def drain(self) -> None:
        """Wait until the queue is empty and nothing is in flight (needs a started worker somewhere)."""
        while True:
            pending = set(self._deliveries)
            if pending:
                await asyncio.wait(pending)
            elif await self._store.push_queue.depth() == 0:
                return
            else:
                await asyncio.sleep(0.01)

    async def __aenter__(self) -> PushService:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _run(self) -> None:
        async with self._store.push_queue.listen(self._wake.set) as listening:
            # Told of other processes' rows at once (PostgreSQL), the poll is only a safety net.
            poll = max(self._config.poll_seconds, LISTENING_POLL) if listening else self._config.poll_seconds
            while True:
                await self._run_once(poll)

    async def _run_once(self, poll: float) -> None:
        """Claim what is due (as much as there is room for), then wait for a wake-up or the next due row."""
        config = self._config
        self._wake.clear()
        delay = poll
        try:
            room = min(config.batch, config.max_pending_deliveries - len(self._deliveries))
            if room > 0:
                # A read first: an idle queue costs a look at its index, never a write transaction (on
                # SQLite that would take the one writer several times a second for nothing).
                due = await self._store.push_queue.next_due_ms()
                now = self._now_ms()
                if due is not None and due <= now:
                    rows = await self._store.push_queue.claim_due(
                        now_ms=now, lease_until_ms=now + round(config.lease_seconds * 1000), limit=room
                    )
                    for row in rows:
                        task = asyncio.create_task(self._deliver(row))
                        self._deliveries[task] = row.id
                        task.add_done_callback(self._delivery_done)
                    if len(rows) == room:
                        return  # more may be due
                    due = await self._store.push_queue.next_due_ms()
                delay = max(poll if due is None else min(max((due - self._now_ms()) / 1000, 0.0), poll), MIN_WAIT)
        except asyncio.CancelledError:
            raise
        except Exception:  # the worker must outlive a bad run (the database away a moment)
            log.exception("push: could not claim queued notifications")
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=delay)
        except TimeoutError:
            pass

    def _delivery_done(self, task: asyncio.Task[None]) -> None:
        self._deliveries.pop(task, None)
        self._wake.set()  # room for more, or a retry to schedule

    async def _deliver(self, row: QueuedPush) -> None:
        try:
            await self._deliver_row(row)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The row stays, leased: it is tried again when the lease runs out.
            log.exception("push: delivery of queued row %d failed unexpectedly", row.id)
            self.stats.failed += 1
            metrics.push_answered("failed")

    async def _deliver_row(self, row: QueuedPush) -> None:
        config = self._config
        queue = self._store.push_queue
        subscriptions = await self._store.push_subscriptions.for_devices([row.device_id])
        if not subscriptions:  # unsubscribed or signed out since it was queued
            await queue.remove(row.id)
            return
        subscription = subscriptions[0]
        kind: Kind = "reply" if row.kind == "reply" else "message"
        payload = build_payload(row.message_id, kind, self._public_url)
        async with self._slots:
            outcome, retry_after = await self._attempt(subscription, payload, row.message_id)
        attempts = row.attempts + 1
        if outcome is _Outcome.DELIVERED:
            await queue.remove(row.id)
            self.stats.delivered += 1
            metrics.push_answered("sent")
            if (latency := self._now_ms() - row.queued_ms) >= 0:
                self.latencies_ms.append(latency)
            now = int(self._clock())
            if _success_worth_writing(subscription, now):
                await self._store.push_subscriptions.record_success(subscription.id, now=now)
            return
        if outcome in (_Outcome.GONE, _Outcome.INVALID):
            if outcome is _Outcome.GONE:
                self.stats.gone += 1
                metrics.push_answered("gone")
            else:
                self.stats.refused += 1
                metrics.push_answered("refused")
            await self._store.push_subscriptions.delete_by_id(subscription.id)
            await queue.remove(row.id)
            return
        if outcome is _Outcome.RETRY and attempts < config.max_attempts:
            self.stats.retried += 1
            metrics.push_answered("retried")
            delay_ms = round(self._backoff(attempts, retry_after) * 1000)
            await queue.retry_later(row.id, attempts=attempts, at_ms=self._now_ms() + delay_ms)
            return
        if outcome is _Outcome.REFUSED:
            self.stats.refused += 1
            metrics.push_answered("refused")
        else:
            self.stats.failed += 1
            metrics.push_answered("failed")
        await queue.remove(row.id)
        if await self._store.push_subscriptions.record_failure(subscription.id, max_failures=config.max_failures):
            log.info("push: subscription %d pruned after repeated failures", subscription.id)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    async def _attempt(
        self, subscription: Subscription, payload: bytes, message_id: str
    ) -> tuple[_Outcome, float | None]:
        try:
            endpoint = parse_endpoint(subscription.endpoint, self._policy)
        except PushEndpointRefused as exc:
            log.warning("push: subscription %d has a refused endpoint: %s", subscription.id, exc.detail)
            return _Outcome.INVALID, None
        headers = [
            ("Authorization", self._authorization.header(endpoint.origin, self._clock())),
            ("TTL", str(self._config.ttl)),
            ("Urgency", "high"),
            ("Topic", topic(message_id)),
            ("Content-Encoding", "aes128gcm"),
            ("Content-Type", "application/octet-stream"),
        ]
        body = encrypt(payload, subscription.p256dh, subscription.auth)
        sender = self._sender
        if sender is None:  # stopped meanwhile
            return _Outcome.RETRY, None
        self.stats.attempts += 1
        try:
            response = await sender.post(endpoint, headers, body)
        except PushEndpointRefused as exc:
            log.warning("push: refused to connect for subscription %d: %s", subscription.id, exc.detail)
            return _Outcome.REFUSED, None
        except _TRANSIENT_ERRORS as exc:
            log.info(
                "push: %s unreachable for subscription %d (%s)", endpoint.host, subscription.id, type(exc).__name__
            )
            return _Outcome.RETRY, None
        status = response.status
        log.info("push: %s answered %d for subscription %d", endpoint.host, status, subscription.id)
        if 200 <= status < 300:
            return _Outcome.DELIVERED, None
        if status in (404, 410):
            return _Outcome.GONE, None
        if status in (408, 429) or status >= 500:
            return _Outcome.RETRY, response.retry_after
        return _Outcome.FAILED, None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        config = self._config
        delay = config.retry_base_delay * 2.0 ** (attempt - 1) * random.uniform(0.75, 1.25)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, config.retry_max_delay)


def _success_worth_writing(subscription: Subscription, now: int) -> bool:
    """Whether a success changes what is stored: failures to reset, or a stale (or future) timestamp."""
    last = subscription.last_success_at
    return subscription.failures > 0 or last is None or not 0 <= now - last < SUCCESS_WRITE_INTERVAL


def _check_device_id(device_id: str) -> None:
    if not isinstance(device_id, str) or not 0 < len(device_id) <= MAX_DEVICE_ID or not device_id.isprintable():
        raise InputError("A device id is 1-128 printable characters")
