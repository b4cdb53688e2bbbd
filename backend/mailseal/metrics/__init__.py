"""What Mailseal counts, for Prometheus: the one room that knows `prometheus_client`.

Other rooms call the named functions below where the thing happens (a seal is committed, an open is
decided, a push is answered); none of them imports Prometheus. Every label value comes from a fixed set
chosen by the code — route templates, problem codes, listener names, answer classes — never an address,
an id or anything a client typed. With `PROMETHEUS_MULTIPROC_DIR` set (several web workers), the client
keeps each process's values in that folder and `exposition()` adds them up (see `metrics.exposition`).
"""

from __future__ import annotations

from mailseal.metrics.counters import (
    job_admitted,
    job_finished,
    job_refused,
    opened,
    push_answered,
    queue_state,
    refused,
    request_done,
    sealed,
    smtp_reply,
    smtp_session,
    view_cache_lookup,
)
from mailseal.metrics.exposition import CONTENT_TYPE, exposition

__all__ = [
    "CONTENT_TYPE",
    "exposition",
    "job_admitted",
    "job_finished",
    "job_refused",
    "opened",
    "push_answered",
    "queue_state",
    "refused",
    "request_done",
    "sealed",
    "smtp_reply",
    "smtp_session",
    "view_cache_lookup",
]
