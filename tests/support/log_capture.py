"""Every log record of the whole run (DEBUG and up), for the log-hygiene test."""

from __future__ import annotations

import logging


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:
            self.lines.append(str(record.msg))


LOG_CAPTURE = LogCapture()
