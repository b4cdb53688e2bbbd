"""What the API's handlers reach: the services the composition root built, in `app.state`."""

from __future__ import annotations

from typing import Any, TypeAlias

from litestar import Request
from litestar.di import NamedDependency

from mailseal.api.session import raw_session_id, require
from mailseal.composition import Services
from mailseal.identity.models import Session
from mailseal.keys import Identity

__all__ = ["Services", "ServicesDependency", "identity_of", "provide_services", "provide_session"]


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
    return Identity(addresses=session.addresses, device_id=session.device_id)
