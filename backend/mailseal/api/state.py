"""What the API's handlers reach: the instance and the services built on it, in `app.state`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from litestar import Request
from litestar.di import NamedDependency

from mailseal.api.session import raw_session_id, require
from mailseal.config import Settings
from mailseal.identity import IdentityService
from mailseal.identity.models import Session
from mailseal.instance import Instance
from mailseal.jobs import JobLimits, JobPool
from mailseal.keys import Identity
from mailseal.messages.inbox import SummaryCache
from mailseal.messages.view_cache import SealedViewCache
from mailseal.push import PushService


@dataclass
class Services:
    settings: Settings
    instance: Instance
    identity: IdentityService
    pwa_dir: Path
    manifest: Path
    outbox: Any = None
    push: PushService | None = None
    forward: Any = None
    summaries: SummaryCache = field(default_factory=SummaryCache)
    views: SealedViewCache = field(default_factory=lambda: SealedViewCache(0))
    jobs: JobPool = field(default_factory=lambda: JobPool(JobLimits()))


# Litestar 3 injects a dependency only into a parameter marked as one; these name the markers once.
ServicesDependency: TypeAlias = NamedDependency[Services]
SessionDependency: TypeAlias = NamedDependency[Session]
OptionalSessionDependency: TypeAlias = NamedDependency[Session | None]


async def provide_services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


# The session providers take `services` so that Litestar resolves the two in turn: independent
# dependencies are resolved concurrently in an anyio task group, which costs a task on every request.
async def provide_optional_session(request: Request[Any, Any, Any], services: ServicesDependency) -> Session | None:
    session_id = raw_session_id(request)
    if session_id is None:
        return None
    return await services.identity.get_session(session_id)


async def provide_session(request: Request[Any, Any, Any], services: ServicesDependency) -> Session:
    return require(await provide_optional_session(request, services))


def identity_of(session: Session) -> Identity:
    return Identity(addresses=session.addresses)
