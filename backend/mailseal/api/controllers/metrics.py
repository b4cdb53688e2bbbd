"""`GET /metrics`: Prometheus' text format, behind the admin token (as `/api/admin`).

The queue's depth and age are read from the store at each scrape (a state, not an event); everything
else was counted where it happened (`mailseal.metrics`).
"""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import Provide

from mailseal import metrics
from mailseal.api.controllers.admin import NO_CSRF, admin_guard
from mailseal.api.state import Services, ServicesDependency, provide_services
from mailseal.readiness import refresh_queue_metrics


class MetricsController(Controller):
    guards = [admin_guard]
    dependencies = {"services": Provide(provide_services)}
    tags = ["admin"]

    @get("/metrics", opt=NO_CSRF, include_in_schema=False, summary="Prometheus metrics (admin token)")
    async def metrics(self, services: ServicesDependency) -> Response[bytes]:
        return await scrape(services)


async def scrape(services: Services) -> Response[bytes]:
    body, content_type = await exposition_of(services)
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})


async def exposition_of(services: Services) -> tuple[bytes, str]:
    """The metrics text, after reading the queue's state; for `/metrics` and the `metrics_listen` listener."""
    await refresh_queue_metrics(services)
    return metrics.exposition(), metrics.CONTENT_TYPE
