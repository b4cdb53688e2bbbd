"""Logging set-up: one place decides what may be logged at all.

aiosqlite logs every call's SQL parameters at DEBUG (queued passcode mails among them), so its logger
is held at INFO whatever the level asked for; Mailseal's own loggers never log plaintext, passcodes,
keys or session ids (a test checks the whole suite's DEBUG output).
"""

from __future__ import annotations

import logging

QUIET_LOGGERS = ("aiosqlite", "hpack", "httpcore", "multipart", "asyncio")
# aiosmtpd logs every DATA line (message text) at DEBUG and client chatter at INFO.
SILENT_LOGGERS = ("mail.log",)


def configure_logging(level: str = "INFO", *, handler: logging.Handler | None = None) -> None:
    root = logging.getLogger()
    if handler is None:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    else:
        root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
    for name in SILENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
