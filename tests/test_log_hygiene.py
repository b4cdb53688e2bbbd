"""After the whole suite at DEBUG: no passcode, session id or message plaintext reached a log."""

from __future__ import annotations

from support.log_capture import LOG_CAPTURE
from support.secrets import SEEN


def test_no_secret_reached_a_log() -> None:
    assert SEEN, "the suite handled no secrets: this test would prove nothing"
    assert LOG_CAPTURE.lines, "nothing was logged at DEBUG: the capture is not wired"
    leaks = sorted({secret for secret in SEEN for line in LOG_CAPTURE.lines if secret in line})
    assert leaks == []
