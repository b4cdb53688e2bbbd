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
from mailseal.api.state import Services
from mailseal.config import Settings
from mailseal.identity import IdentityService
from mailseal.identity.models import PasscodeSender
from mailseal.instance import Instance
from mailseal.mail.branding import Branding
from mailseal.mail.compose import compose_passcode_mail
from mailseal.mail.outbox import OutgoingMail, Transport, make_transport

log = logging.getLogger("mailseal.server")

EXPIRY_SWEEP_SECONDS = 60


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
    transport = make_transport(settings, instance.db, outbox_path=instance.folder.outbox)
    identity = IdentityService(
        instance.db,
        secret=instance.secret,
        send_passcode=passcode_sender(settings, transport),
        code_ttl_minutes=settings.code_ttl_minutes,
        session_idle_minutes=settings.session_idle_minutes,
        session_absolute_hours=settings.session_absolute_hours,
    )
    return Services(
        settings=settings,
        instance=instance,
        identity=identity,
        pwa_dir=pwa_dir or default_pwa_dir(),
        manifest=default_manifest(),
        outbox=transport,
    )


async def _sweep_expired(services: Services) -> None:
    while True:
        await asyncio.sleep(EXPIRY_SWEEP_SECONDS)
        try:
            expired = await services.instance.keys.expire_due()
            for message_id in expired:
                services.summaries.forget(message_id)
        except Exception:
            log.exception("expiry sweep failed")


def build_app(settings: Settings, *, pwa_dir: Path | None = None) -> Litestar:
    background: list[asyncio.Task[None]] = []

    async def startup(app: Litestar) -> None:
        services = await open_services(settings, pwa_dir=pwa_dir)
        app.state.services = services
        starter = getattr(services.outbox, "start", None)
        if starter is not None:
            await starter()
        background.append(asyncio.create_task(_sweep_expired(services)))

    async def shutdown(app: Litestar) -> None:
        services: Services = app.state.services
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        stopper = getattr(services.outbox, "stop", None)
        if stopper is not None:
            await stopper()
        await services.instance.close()

    return create_app(settings, on_startup=[startup], on_shutdown=[shutdown])


def run(settings: Settings) -> int:
    import uvicorn

    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = build_app(settings)
    print(f"Mailseal on {settings.base_url}  (data: {settings.data_path})", flush=True)
    if settings.dev:
        print(f"development mode: read the outbox at {settings.base_url}/dev/outbox", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                proxy_headers=False, server_header=False, access_log=False)
    return 0
