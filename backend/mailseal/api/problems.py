"""The one mapping from errors to RFC 9457 problem details (`application/problem+json`).

Every error a client sees has a stable `code`; the detail never carries plaintext or secrets, and an
unexpected exception becomes a generic 500 (logged without request bodies).
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from mailseal.errors import MailsealError

log = logging.getLogger("mailseal.api")

PROBLEM_TYPE = "https://mailseal.org/problems/"
HTTP_CODES = {
    400: "input.invalid",
    401: "auth.required",
    403: "csrf.failed",
    404: "not-found",
    405: "method-not-allowed",
    413: "input.too-large",
    415: "input.unsupported-type",
    429: "rate-limited",
}


class Problem(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    code: str
    detail: str = ""
    retry_after: int | None = msgspec.field(default=None, name="retryAfter")
    # Mail another system protected: where it opens (Microsoft's portal link the mail carries).
    open_url: str | None = msgspec.field(default=None, name="openUrl")


def problem_response(
    status: int, code: str, title: str, detail: str = "", retry_after: int | None = None, open_url: str | None = None
) -> Response[bytes]:
    body = Problem(type=PROBLEM_TYPE + code, title=title, status=status, code=code, detail=detail,
                   retry_after=retry_after, open_url=open_url)
    headers = {"Cache-Control": "no-store"}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(msgspec.json.encode(body), status_code=status, media_type="application/problem+json",
                    headers=headers)


def mailseal_error_handler(_: Request[Any, Any, Any], exc: MailsealError) -> Response[bytes]:
    retry: int | None = getattr(exc, "retry_after", None)
    detail = exc.detail if exc.detail != exc.title else ""
    open_url: str | None = getattr(exc, "open_url", None) or None
    return problem_response(exc.status, exc.code, exc.title, detail, retry_after=retry, open_url=open_url)


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    code = HTTP_CODES.get(status, "http.error")
    if status == 403 and "csrf" not in str(exc.detail).lower():
        code = "forbidden"
    if isinstance(exc, ValidationException):
        return problem_response(400, "input.invalid", "The request is not valid", "Check the fields and try again")
    title = {
        401: "Please sign in",
        403: "The request was refused (security token missing or wrong; reload the page)",
        404: "Not found",
        405: "Method not allowed",
        413: "The upload is too large",
        429: "Too many requests; try again later",
    }.get(status, "The request could not be handled")
    return problem_response(status, code, title)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return problem_response(500, "internal", "Something went wrong on our side; try again")
