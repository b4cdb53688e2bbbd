"""The request id: one short random id per HTTP request, SMTP session or queue delivery, carried by a
context variable so that every log line of that piece of work names it (`request_id` on each record)."""

from __future__ import annotations

import contextvars
import logging
import re
import secrets

NO_REQUEST = "-"
# What an id from a trusted proxy may look like: no spaces, quotes or control characters in a log line.
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

_current: contextvars.ContextVar[str] = contextvars.ContextVar("mailseal_request_id", default=NO_REQUEST)


def new_request_id() -> str:
    return secrets.token_hex(8)


def current_request_id() -> str:
    return _current.get()


def begin(request_id: str | None = None) -> contextvars.Token[str]:
    """Make `request_id` (a new one if None) the current id until `end(token)`."""
    return _current.set(request_id or new_request_id())


def end(token: contextvars.Token[str]) -> None:
    _current.reset(token)


def start_work() -> str:
    """A new id for work that begins in its own task (an SMTP session, a queue delivery): tasks copy
    the context when they start, so setting it here does not leak into the caller."""
    request_id = new_request_id()
    _current.set(request_id)
    return request_id


def accepted(incoming: str | None) -> str | None:
    """An incoming `X-Request-Id` if it has the shape of an id, else None."""
    if incoming and ACCEPTED_ID.fullmatch(incoming):
        return incoming
    return None


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (as `request_id`), for both log formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True
