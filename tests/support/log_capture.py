"""Every log record of the whole run (DEBUG and up), for the log-hygiene test: as its message alone, and
as the JSON line `log_format = json` writes (which adds the logger, the request id and any traceback)."""

from __future__ import annotations

import logging

from mailseal.logs import JsonLineFormatter


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.json_lines: list[str] = []
        self._json = JsonLineFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:
            self.lines.append(str(record.msg))
        try:
            self.json_lines.append(self._json.format(record))
        except Exception as exc:  # a record the JSON format cannot write is a fault of that format
            self.json_lines.append(f"UNFORMATTABLE {type(exc).__name__}")


LOG_CAPTURE = LogCapture()
