"""Liveness and readiness for a proxy or an orchestrator."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from litestar.di import Provide

from mailseal.api.state import ServicesDependency, provide_services
from mailseal.readiness import Readiness, readiness


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

    @get("/readyz", summary="Should this server get work: database, blob store and outbound queue, each named")
    async def readyz(self, services: ServicesDependency) -> Response[Readiness]:
        answer = await readiness(services)
        return Response(answer, status_code=200 if answer.status == "ok" else 503,
                        headers={"Cache-Control": "no-store"})
