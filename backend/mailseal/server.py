"""`mailseal serve`: one process with the web app, the SMTP listeners and the background workers.

`build_app(settings)` gives the Litestar app whose startup opens the data folder and wires every
service; tests use the same function with a real server on loopback or Litestar's test client.
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
from mailseal.api.controllers.push import PushController
from mailseal.api.state import Services
from mailseal.config import Settings
from mailseal.identity import IdentityService
from mailseal.identity.models import PasscodeSender
from mailseal.instance import Instance
from mailseal.jobs import JobLimits, JobPool
from mailseal.logs import configure_logging
from mailseal.mail.branding import Branding
from mailseal.mail.compose import compose_passcode_mail
from mailseal.mail.dkim import with_dkim
from mailseal.mail.listeners import MailListeners
from mailseal.mail.outbox import OutgoingMail, Transport, make_transport
from mailseal.messages.forward_addresses import ForwardAddresses
from mailseal.messages.smtp_listeners import build_listeners
from mailseal.messages.view_cache import SealedViewCache
from mailseal.push import PushConfig, PushService, load_or_create_vapid
from mailseal.push.notifier import PushNotifier
from mailseal.rules import RulesFile

log = logging.getLogger("mailseal.server")

EXPIRY_SWEEP_SECONDS = 60
# The modules whose functions run in the job pool, imported once by its forkserver.
JOB_MODULES = ("mailseal.messages.ingest", "mailseal.messages.read")


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def branding_for(settings: Settings) -> Branding:
    return Branding(org_name=settings.org_name)


def passcode_sender(settings: Settings, transport: Transport) -> PasscodeSender:
    branding = branding_for(settings)

    async def send(address: str, code: str, reference: str, expires_minutes: int) -> None:
        message = compose_passcode_mail(
            branding=branding, mail_from=settings.mail_from, recipient=address, code=code,
            reference=reference, expires_minutes=expires_minutes,
            message_id_domain=_domain_of(settings.mail_from),
        )
        await transport.deliver(OutgoingMail(mail_from=settings.mail_from, recipients=(address,), message=message))

    return send


async def open_services(settings: Settings, *, pwa_dir: Path | None = None) -> Services:
    instance = await Instance.open(settings)
    if instance.created_keys:
        log.info("created the organisation key ring at %s", instance.folder.ring)
    transport = with_dkim(make_transport(settings, instance.db, outbox_path=instance.folder.outbox), settings)
    identity = IdentityService(
        instance.db,
        secret=instance.secret,
        send_passcode=passcode_sender(settings, transport),
        code_ttl_minutes=settings.code_ttl_minutes,
        session_idle_minutes=settings.session_idle_minutes,
        session_absolute_hours=settings.session_absolute_hours,
    )
    push = PushService(instance.db, load_or_create_vapid(instance.folder.keys), PushConfig.from_settings(settings))
    instance.messages.notifier = PushNotifier(push, identity.devices_for_addresses)
    return Services(
        settings=settings,
        instance=instance,
        identity=identity,
        pwa_dir=pwa_dir or default_pwa_dir(),
        manifest=default_manifest(),
        outbox=transport,
        push=push,
        forward=ForwardAddresses(instance.db, settings.inbound_domain),
        views=SealedViewCache(settings.view_cache_mib * 1024 * 1024),
        jobs=JobPool(JobLimits.from_settings(settings), preload=JOB_MODULES),
    )


async def _sweep_expired(services: Services) -> None:
    """Every minute: destroy the keys of expired messages, and drop expired sessions and codes."""
    while True:
        await asyncio.sleep(EXPIRY_SWEEP_SECONDS)
        try:
            expired = await services.instance.keys.expire_due()
            for message_id in expired:
                services.summaries.forget(message_id)
                services.views.discard(message_id)
            await services.identity.purge_expired()
        except Exception:
            log.exception("expiry sweep failed")


def mail_listeners(settings: Settings, services: Services) -> MailListeners:
    instance = services.instance
    return build_listeners(settings, deps=instance.messages, rules=RulesFile(instance.folder.rules),
                           transport=services.outbox, forward=services.forward)


def build_app(settings: Settings, *, pwa_dir: Path | None = None, require_listeners: bool = False) -> Litestar:
    """`require_listeners`: fail startup when an SMTP port is taken (`mailseal serve`), else log and go on."""
    background: list[asyncio.Task[None]] = []
    listeners: list[MailListeners] = []

    async def startup(app: Litestar) -> None:
        services = await open_services(settings, pwa_dir=pwa_dir)
        app.state.services = services
        starter = getattr(services.outbox, "start", None)
        if starter is not None:
            await starter()
        if services.push is not None:
            await services.push.start()
        background.append(asyncio.create_task(_sweep_expired(services)))
        listeners.append(mail_listeners(settings, services))
        app.state.mail_listeners = listeners[0]
        await listeners[0].start(required=require_listeners)

    async def shutdown(app: Litestar) -> None:
        services: Services = app.state.services
        for smtp in listeners:
            await smtp.stop()
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if services.push is not None:
            await services.push.stop()
        stopper = getattr(services.outbox, "stop", None)
        if stopper is not None:
            await stopper()
        await services.jobs.close()
        await services.instance.close()

    return create_app(settings, on_startup=[startup], on_shutdown=[shutdown],
                      extra_handlers=[AdminController, ForwardAddressController, PushController])


def run(settings: Settings) -> int:
    import uvicorn

    configure_logging(settings.log_level)
    app = build_app(settings, require_listeners=True)
    print(f"Mailseal on {settings.base_url}  (data: {settings.data_path})", flush=True)
    if settings.dev:
        print(f"development mode: read the outbox at {settings.base_url}/dev/outbox", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                proxy_headers=False, server_header=False, access_log=False)
    return 0
