"""The session cookie: `__Host-` prefixed, Secure, HttpOnly, SameSite=Lax, path `/`, no domain.

Lax, not Strict: the "Read the message" link is opened from a mail app (a cross-site navigation) and
must find the reader signed in. State changes are still protected by the CSRF token.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie

from mailseal.errors import NotSignedIn
from mailseal.identity.models import Session

SESSION_COOKIE = "__Host-mailseal"


def session_cookie(session_id: str, *, max_age: int) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE, value=session_id, path="/", secure=True, httponly=True, samesite="lax", max_age=max_age
    )


def cleared_session_cookie() -> Cookie:
    return Cookie(key=SESSION_COOKIE, value="", path="/", secure=True, httponly=True, samesite="lax", max_age=0)


def raw_session_id(request: Request[Any, Any, Any]) -> str | None:
    value = request.cookies.get(SESSION_COOKIE)
    return value if value and len(value) <= 128 else None


def require(session: Session | None) -> Session:
    if session is None:
        raise NotSignedIn()
    return session


def with_cookie(response: Response[object], cookie: Cookie) -> Response[object]:
    response.set_cookie(cookie)
    return response
