"""The text a scraper reads: this process's metrics, or every process's when several share the work.

`prometheus_client` was chosen over Litestar's `PrometheusMiddleware`: the same counters must be reached
from the SMTP listeners, the queue, push and the job pool (not only HTTP), and its multiprocess mode
(`PROMETHEUS_MULTIPROC_DIR`) adds up the values of several web workers, which the plugin leaves to it
anyway. The request counter is fed by our own middleware so that its route label is the template.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def exposition() -> bytes:
    """Prometheus' text format of every metric; summed over processes in multiprocess mode."""
    if os.environ.get(MULTIPROC_VARIABLE):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return bytes(generate_latest(registry))
    return bytes(generate_latest(REGISTRY))
