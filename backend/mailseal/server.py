"""`mailseal serve`: the web app, the SMTP listeners and the background work, in the parts its role names.

`--role all` (the default) runs everything in one process; `web` (with `web_workers` HTTP processes),
`smtp` and `worker` run one part each, any number of each on one PostgreSQL database and one object store
(`mailseal.roles`). The processes without HTTP (`smtp`, `worker`) run `serve_without_http`.

`build_app(settings)` gives the Litestar app whose startup takes its services from the composition root
(`mailseal.composition.build_services`); tests use the same function with a real server on loopback
or Litestar's test client.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

import msgspec
from litestar import Litestar

from mailseal.api.app import create_app, default_manifest, default_pwa_dir
from mailseal.api.controllers.admin import AdminController
from mailseal.api.controllers.forward import ForwardAddressController
from mailseal.api.controllers.metrics import MetricsController
from mailseal.api.controllers.push import PushController
from mailseal.composition import Services, build_services
from mailseal.config import Settings
from mailseal.logs import configure_logging
from mailseal.private_data import keep_data_private
from mailseal.roles import Parts, parts_of
from mailseal.server_parts import ServerParts, mail_listeners

__all__ = ["build_app", "mail_listeners", "run", "serve_without_http", "web_app_from_environment"]

log = logging.getLogger("mailseal.server")

# How the parent hands its effective settings (flags included) to HTTP worker processes it spawns.
SETTINGS_VARIABLE = "MAILSEAL_SERVE_SETTINGS_JSON"


def build_app(settings: Settings, *, pwa_dir: Path | None = None, require_listeners: bool = False,
              parts: Parts | None = None) -> Litestar:
    """`require_listeners`: fail startup when an SMTP port is taken (`mailseal serve`), else log and go on.
    `parts`: what runs beside HTTP; by default what `role` names."""
    running = ServerParts(settings, parts or parts_of(settings))

    async def startup(app: Litestar) -> None:
        services = await build_services(settings, pwa_dir=pwa_dir or default_pwa_dir(), manifest=default_manifest())
        app.state.services = services
        await running.start(services, required=require_listeners)
        if running.listeners is not None:
            app.state.mail_listeners = running.listeners
        if running.metrics_listener is not None:
            app.state.metrics_listener = running.metrics_listener

    async def shutdown(app: Litestar) -> None:
        services: Services = app.state.services
        await running.stop()
        await services.close()

    return create_app(settings, on_startup=[startup], on_shutdown=[shutdown],
                      extra_handlers=[AdminController, ForwardAddressController, PushController, MetricsController])


def web_app_from_environment() -> Litestar:
    """The app of one HTTP worker process of `--role web --workers N` (uvicorn imports it by name)."""
    settings = msgspec.json.decode(os.environ[SETTINGS_VARIABLE], type=Settings)
    configure_logging(settings.log_level, log_format=settings.log_format)
    return build_app(settings, require_listeners=True)


async def serve_without_http(settings: Settings, parts: Parts) -> None:
    """The `smtp` and `worker` roles: their parts on the services until SIGTERM or SIGINT."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    services = await build_services(settings, pwa_dir=default_pwa_dir(), manifest=default_manifest())
    running = ServerParts(settings, parts)
    try:
        await running.start(services, required=True)
        if running.listeners is not None:
            print(f"Mailseal smtp role: relay on {settings.relay_host}:{running.listeners.relay.port}, inbound on "
                  f"{settings.inbound_host}:{running.listeners.inbound.port}", flush=True)
        else:
            print("Mailseal worker role: sending the outbound queue, sweeping expired messages", flush=True)
        await stopping.wait()
    finally:
        await running.stop()
        await services.close()


def run(settings: Settings) -> int:
    import uvicorn

    from mailseal.serve_checks import check_before_serving

    parts = parts_of(settings)
    check_before_serving(settings, parts)
    configure_logging(settings.log_level, log_format=settings.log_format)
    if warning := keep_data_private(settings.data_path):
        log.warning("%s", warning)
    if not parts.web:
        asyncio.run(serve_without_http(settings, parts))
        return 0
    print(f"Mailseal on {settings.base_url}  ({parts.names}; data: {settings.data_path})", flush=True)
    if settings.dev:
        print(f"development mode: read the outbox at {settings.base_url}/dev/outbox", flush=True)
    # JSON lines: uvicorn's own loggers then go through ours rather than through its text handlers.
    log_config = None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG
    options = {"host": settings.host, "port": settings.port, "log_level": settings.log_level.lower(),
               "proxy_headers": False, "server_header": False, "access_log": False, "log_config": log_config}
    if settings.web_workers > 1:
        # uvicorn binds the port once and spawns the workers (and starts a new one when one dies); each
        # builds its own services from the same settings.
        os.environ[SETTINGS_VARIABLE] = msgspec.json.encode(settings).decode()
        uvicorn.run("mailseal.server:web_app_from_environment", factory=True, workers=settings.web_workers,
                    **options)  # type: ignore[arg-type]
    else:
        uvicorn.run(build_app(settings, require_listeners=True), **options)  # type: ignore[arg-type]
    return 0
