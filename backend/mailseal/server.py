"""`mailseal serve`: one process with the web app, the SMTP listeners and the background workers.

Several servers may share one PostgreSQL database and one object store; `smtp_listeners = false` runs
one without the relay and the inbound listener (the web app and the workers only).

`build_app(settings)` gives the Litestar app whose startup takes its services from the composition root
(`mailseal.composition.build_services`); tests use the same function with a real server on loopback
or Litestar's test client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from litestar import Litestar

from mailseal.api.app import create_app, default_manifest, default_pwa_dir
from mailseal.api.controllers.admin import AdminController
from mailseal.api.controllers.forward import ForwardAddressController
from mailseal.api.controllers.metrics import MetricsController, exposition_of
from mailseal.api.controllers.push import PushController
from mailseal.api.metrics_listener import MetricsListener
from mailseal.composition import Services, build_services
from mailseal.config import Settings
from mailseal.logs import configure_logging
from mailseal.mail.listeners import MailListeners
from mailseal.messages.smtp_listeners import build_listeners
from mailseal.private_data import keep_data_private

log = logging.getLogger("mailseal.server")

EXPIRY_SWEEP_SECONDS = 60
async def _sweep_expired(services: Services) -> None:
    """Every minute: destroy the keys of expired messages, drop expired sessions and codes, and audit rows
    past `audit_retention_days` (a bounded amount each time)."""
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


def build_app(settings: Settings, *, pwa_dir: Path | None = None, require_listeners: bool = False) -> Litestar:
    """`require_listeners`: fail startup when an SMTP port is taken (`mailseal serve`), else log and go on."""
    background: list[asyncio.Task[None]] = []
    listeners: list[MailListeners] = []
    metrics_listeners: list[MetricsListener] = []

    async def startup(app: Litestar) -> None:
        services = await build_services(settings, pwa_dir=pwa_dir or default_pwa_dir(), manifest=default_manifest())
        app.state.services = services
        await services.start()
        background.append(asyncio.create_task(_sweep_expired(services)))
        if not settings.smtp_listeners:  # another server of the same installation takes the mail
            log.info("SMTP listeners off (smtp_listeners = false)")
            return
        listeners.append(mail_listeners(settings, services))
        app.state.mail_listeners = listeners[0]
        await listeners[0].start(required=require_listeners)
        if settings.metrics_listen:
            metrics_listeners.append(MetricsListener(settings.metrics_listen, scrape=lambda: exposition_of(services),
                                                     authorize=services.admin_tokens.verify))
            app.state.metrics_listener = metrics_listeners[0]
            await metrics_listeners[0].start()

    async def shutdown(app: Litestar) -> None:
        services: Services = app.state.services
        for smtp in listeners:
            await smtp.stop()
        for scraped in metrics_listeners:
            await scraped.stop()
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await services.close()

    return create_app(settings, on_startup=[startup], on_shutdown=[shutdown],
                      extra_handlers=[AdminController, ForwardAddressController, PushController, MetricsController])


def run(settings: Settings) -> int:
    import uvicorn

    from mailseal.serve_checks import check_before_serving

    check_before_serving(settings)
    configure_logging(settings.log_level, log_format=settings.log_format)
    if warning := keep_data_private(settings.data_path):
        log.warning("%s", warning)
    app = build_app(settings, require_listeners=True)
    print(f"Mailseal on {settings.base_url}  (data: {settings.data_path})", flush=True)
    if settings.dev:
        print(f"development mode: read the outbox at {settings.base_url}/dev/outbox", flush=True)
    # JSON lines: uvicorn's own loggers then go through ours rather than through its text handlers.
    log_config = None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                proxy_headers=False, server_header=False, access_log=False, log_config=log_config)
    return 0
