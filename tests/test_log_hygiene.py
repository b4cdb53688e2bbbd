"""After the whole suite at DEBUG: no passcode, session id or message plaintext reached a log, in the
text format or in the JSON lines of `log_format = json`."""

from __future__ import annotations

import json

from support.log_capture import LOG_CAPTURE
from support.secrets import SEEN


def test_no_secret_reached_a_log() -> None:
    assert SEEN, "the suite handled no secrets: this test would prove nothing"
    assert LOG_CAPTURE.lines, "nothing was logged at DEBUG: the capture is not wired"
    leaks = sorted({secret for secret in SEEN for line in LOG_CAPTURE.lines if secret in line})
    assert leaks == []


def test_no_secret_reached_a_json_log_line() -> None:
    assert len(LOG_CAPTURE.json_lines) == len(LOG_CAPTURE.lines), "every record is written in both formats"
    records = [json.loads(line) for line in LOG_CAPTURE.json_lines]  # each line is one JSON object
    assert all({"time", "level", "logger", "request_id", "message"} <= record.keys() for record in records)
    # A secret may sit in JSON escaped (a quote, a non-ASCII letter): compare the decoded values too.
    texts = [line + "\n" + "\n".join(str(v) for v in record.values())
             for line, record in zip(LOG_CAPTURE.json_lines, records, strict=True)]
    leaks = sorted({secret for secret in SEEN for text in texts if secret in text})
    assert leaks == []
