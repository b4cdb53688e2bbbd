"""The push service: subscriptions in, notifications out, without ever making a caller wait.

`notify()` only puts a job on a bounded queue. A background worker (started by `start()`) looks up the
devices' subscriptions and delivers with bounded concurrency: every attempt passes the egress guard and
has timeouts; 404/410 delete the subscription; 429, 5xx and network failures are retried with
exponential backoff a bounded number of times; anything else counts as a failure, and a subscription
that fails `max_failures` deliveries in a row is pruned. Pushes are best effort: a stopped service
drops what is still queued.
"""

from __future__ import annotations

import asyncio
import enum
import hmac
import logging
import random
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpcore

from mailseal import metrics
from mailseal.errors import InputError, PushEndpointRefused, PushSubscriptionTaken
from mailseal.storage import Store, Subscription

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


@dataclass(frozen=True)
class _Job:
    device_ids: tuple[str, ...]
    message_id: str
    kind: Kind


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
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(maxsize=config.queue_size)
        self._slots = asyncio.Semaphore(config.concurrency)
        self._pending = asyncio.Semaphore(config.max_pending_deliveries)
        self._worker: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self.stats = PushStats()

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
        """Queue one push per subscribed device and return at once; never waits on the network or the queue."""
        check_message_id(message_id)
        if kind not in ("message", "reply"):
            raise InputError("A push kind is 'message' or 'reply'")
        job = _Job(tuple(dict.fromkeys(device_ids)), message_id, kind)
        if not job.device_ids:
            return
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            self.stats.dropped += 1
            log.warning("push queue is full; a notification was dropped")
            return
        self.stats.queued += 1

    async def start(self) -> None:
        """Start the background worker; notifications queued before this wait for it."""
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
        """Stop the worker and cancel deliveries in flight; queued notifications are dropped."""
        tasks = [*self._deliveries, *([self._worker] if self._worker else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._worker = None
        if self._sender is not None:
            sender, self._sender = self._sender, None
            await sender.aclose()

    async def drain(self) -> None:
        """Wait until everything queued so far is delivered or given up (needs a started worker)."""
        while True:
            await self._queue.join()
            pending = set(self._deliveries)
            if not pending:
                return
            await asyncio.wait(pending)

    async def __aenter__(self) -> PushService:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _run(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await self._dispatch(job)
            except Exception:
                log.exception("push: could not look up subscriptions for a notification")
            finally:
                self._queue.task_done()

    async def _dispatch(self, job: _Job) -> None:
        payload = build_payload(job.message_id, job.kind, self._public_url)
        for subscription in await self._store.push_subscriptions.for_devices(job.device_ids):
            await self._pending.acquire()
            task = asyncio.create_task(self._deliver(subscription.id, payload, job))
            self._deliveries.add(task)
            task.add_done_callback(self._delivery_done)

    def _delivery_done(self, task: asyncio.Task[None]) -> None:
        self._deliveries.discard(task)
        self._pending.release()

    async def _deliver(self, subscription_id: int, payload: bytes, job: _Job) -> None:
        try:
            await self._deliver_with_retries(subscription_id, payload, job)
        except Exception:
            log.exception("push: delivery to subscription %d failed unexpectedly", subscription_id)
            self.stats.failed += 1
            metrics.push_answered("failed")

    async def _deliver_with_retries(self, subscription_id: int, payload: bytes, job: _Job) -> None:
        config = self._config
        for attempt in range(1, config.max_attempts + 1):
            # Read the row again for every attempt: it may have been removed or replaced meanwhile.
            subscription = await self._store.push_subscriptions.get(subscription_id)
            if subscription is None:
                return
            async with self._slots:
                outcome, retry_after = await self._attempt(subscription, payload, job)
            if outcome is _Outcome.DELIVERED:
                self.stats.delivered += 1
                metrics.push_answered("sent")
                now = int(self._clock())
                if _success_worth_writing(subscription, now):
                    await self._store.push_subscriptions.record_success(subscription_id, now=now)
                return
            if outcome in (_Outcome.GONE, _Outcome.INVALID):
                if outcome is _Outcome.GONE:
                    self.stats.gone += 1
                    metrics.push_answered("gone")
                else:
                    self.stats.refused += 1
                    metrics.push_answered("refused")
                await self._store.push_subscriptions.delete_by_id(subscription_id)
                return
            if outcome is _Outcome.RETRY and attempt < config.max_attempts:
                self.stats.retried += 1
                metrics.push_answered("retried")
                await asyncio.sleep(self._backoff(attempt, retry_after))
                continue
            if outcome is _Outcome.REFUSED:
                self.stats.refused += 1
                metrics.push_answered("refused")
            else:
                self.stats.failed += 1
                metrics.push_answered("failed")
            if await self._store.push_subscriptions.record_failure(subscription_id, max_failures=config.max_failures):
                log.info("push: subscription %d pruned after repeated failures", subscription_id)
            return

    async def _attempt(self, subscription: Subscription, payload: bytes, job: _Job) -> tuple[_Outcome, float | None]:
        try:
            endpoint = parse_endpoint(subscription.endpoint, self._policy)
        except PushEndpointRefused as exc:
            log.warning("push: subscription %d has a refused endpoint: %s", subscription.id, exc.detail)
            return _Outcome.INVALID, None
        headers = [
            ("Authorization", self._authorization.header(endpoint.origin, self._clock())),
            ("TTL", str(self._config.ttl)),
            ("Urgency", "high"),
            ("Topic", topic(job.message_id)),
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
