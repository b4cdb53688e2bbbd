"""Server roles: which parts of Mailseal one `mailseal serve` process runs.

    all     the web app, the SMTP listeners and the background work (today's single process)
    web     HTTP only (`web_workers` processes on one port)
    smtp    the relay and the inbound listener
    worker  the outbound mail queue, the push queue and the expiry sweep

Any number of each may share one PostgreSQL database and one object store. The older setting
`smtp_listeners = false` keeps working: it takes the SMTP part out of `all`.
"""

from __future__ import annotations

import msgspec

from mailseal.config import Settings


class Parts(msgspec.Struct, frozen=True):
    """The parts of a running server this process runs."""

    web: bool
    smtp: bool
    worker: bool

    @property
    def names(self) -> str:
        return "+".join(name for name in ("web", "smtp", "worker") if getattr(self, name))


def parts_of(settings: Settings) -> Parts:
    """The parts `role` names; `smtp_listeners = false` leaves the listeners out of `all`."""
    if settings.role == "web":
        return Parts(web=True, smtp=False, worker=False)
    if settings.role == "smtp":
        return Parts(web=False, smtp=True, worker=False)
    if settings.role == "worker":
        return Parts(web=False, smtp=False, worker=True)
    return Parts(web=True, smtp=settings.smtp_listeners, worker=True)
