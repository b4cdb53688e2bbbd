"""Logging for the SMTP listeners without mail content in the log.

aiosmtpd logs every command line at INFO and every DATA line at DEBUG (message text), so its logger is
held at WARNING. Our own failure lines name the exception type and where it was raised, never its
message, which could quote a header or body.
"""

from __future__ import annotations

import logging
import traceback

PROTOCOL_LOGGER = "mail.log"


def quiet_protocol_log() -> None:
    """Keep aiosmtpd's per-line logging (addresses, and message text at DEBUG) out of our logs."""
    logger = logging.getLogger(PROTOCOL_LOGGER)
    if logger.level == logging.NOTSET or logger.level < logging.WARNING:
        logger.setLevel(logging.WARNING)


def log_failure(log: logging.Logger, what: str, error: BaseException) -> None:
    """One error line with the exception type and its stack (file, line, function), not its message."""
    where = "".join(traceback.format_tb(error.__traceback__)[-3:]).rstrip()
    log.error("%s failed: %s\n%s", what, type(error).__name__, where)
