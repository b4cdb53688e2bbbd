"""Logging set-up: one place decides what may be logged at all, and how a line looks.

aiosqlite logs every call's SQL parameters at DEBUG (queued passcode mails among them), so its logger
is held at INFO whatever the level asked for; Mailseal's own loggers never log plaintext, passcodes,
keys or session ids (a test checks the whole suite's DEBUG output, in both formats). `log_format = json`
writes one JSON object per line (time, level, logger, request id, message) for a log collector.
"""

from __future__ import annotations

import json
import logging
import time

from mailseal.log_context import RequestIdFilter

QUIET_LOGGERS = ("aiosqlite", "hpack", "httpcore", "multipart", "asyncio")
# aiosmtpd logs every DATA line (message text) at DEBUG and client chatter at INFO.
SILENT_LOGGERS = ("mail.log",)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record; an exception's traceback goes in `exc` (no locals, no arguments)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonLineFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(level: str = "INFO", *, handler: logging.Handler | None = None, log_format: str = "text") -> None:
    """Send records to `handler`, else (as `logging.basicConfig`: only when the root has no handler yet)
    to standard error in `log_format`; every handler gets the request id filter."""
    root = logging.getLogger()
    if handler is None and not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter_for(log_format))
    if handler is not None:
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
    for name in SILENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
