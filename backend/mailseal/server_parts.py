"""What a `mailseal serve` process runs beside (or instead of) HTTP, by its role's parts: the SMTP
listeners, the outbound mail and push queues' workers and the expiry sweep, and the `metrics_listen` listener.

One place starts and stops them, for the web app's startup (`all`, `web`) and for the processes
without HTTP (`smtp`, `worker`), so that each part runs in exactly the processes its role names.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from mailseal.api.controllers.metrics import exposition_of
from mailseal.api.metrics_listener import MetricsListener
from mailseal.composition import Services
from mailseal.config import Settings
from mailseal.mail.listeners import MailListeners
from mailseal.messages.smtp_listeners import build_listeners
from mailseal.roles import Parts

log = logging.getLogger("mailseal.server")

EXPIRY_SWEEP_SECONDS = 60


async def sweep_expired(services: Services) -> None:
    """Every minute: destroy the keys of expired messages, drop expired sessions and codes, and audit rows
    past `audit_retention_days` (a bounded amount each time).

    Other processes need not hear of it: their caches hold nothing an open can use without the policy
    decision, which reads the key's state from the database each time.
    """
    while True:
        await asyncio.sleep(EXPIRY_SWEEP_SECONDS)
        try:
            expired = await services.instance.keys.expire_due()
            for message_id in expired:
                services.summaries.forget(message_id)
                services.views.discard(message_id)
            await services.identity.purge_expired()
            await services.instance.keys.drop_expired_audit()
        except Exception:
            log.exception("expiry sweep failed")


def mail_listeners(settings: Settings, services: Services) -> MailListeners:
    return build_listeners(settings, deps=services.instance.messages, rules=services.rules,
                           transport=services.outbox, forward=services.forward)


class ServerParts:
    """The parts of one process, started on its services and stopped before they close."""

    def __init__(self, settings: Settings, parts: Parts) -> None:
        self.settings = settings
        self.parts = parts
        self.listeners: MailListeners | None = None
        self.metrics_listener: MetricsListener | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, services: Services, *, required: bool) -> None:
        """`required`: fail when an SMTP port is taken (`mailseal serve`), else log and go on (tests)."""
        await services.start(queues=self.parts.worker)
        if self.parts.worker:
            self._tasks.append(asyncio.create_task(sweep_expired(services), name="mailseal-expiry-sweep"))
        if self.parts.smtp:
            self.listeners = mail_listeners(self.settings, services)
            await self.listeners.start(required=required)
        elif self.settings.role == "all":
            log.info("SMTP listeners off (smtp_listeners = false; --role web says the same)")
        # In the processes with the worker part only: the roles on one machine share one settings file, so
        # only one of them may bind the port (the web role's /metrics is on its own port anyway).
        if self.settings.metrics_listen and self.parts.worker:
            self.metrics_listener = MetricsListener(self.settings.metrics_listen,
                                                    scrape=lambda: exposition_of(services),
                                                    authorize=services.admin_tokens.verify)
            await self.metrics_listener.start()

    async def stop(self) -> None:
        if self.listeners is not None:
            await self.listeners.stop()
        if self.metrics_listener is not None:
            await self.metrics_listener.stop()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
