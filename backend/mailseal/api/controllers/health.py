"""Liveness and readiness for a proxy or an orchestrator."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.di import Provide

from mailseal.api.state import ServicesDependency, provide_services


class Health(msgspec.Struct):
    status: str
    database: str


class HealthController(Controller):
    dependencies = {"services": Provide(provide_services)}
    tags = ["health"]

    @get("/healthz", summary="Is the server up and its database reachable")
    async def healthz(self, services: ServicesDependency) -> Health:
        reachable = await services.instance.store.ping()
        return Health(status="ok", database="ok" if reachable else "unavailable")
