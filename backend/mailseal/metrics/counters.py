"""The metrics themselves and the named functions that move them.

Names follow Prometheus' conventions (`mailseal_` prefix, `_total` for counters, `_seconds` for
durations). Gauges say how several processes combine (`multiprocess_mode`): the queue is one state of the
database that any process reads alike (`mostrecent`), the job pool is per process (`livesum`).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UNMATCHED_ROUTE = "unmatched"
# Buckets for an HTTP answer: the API answers in milliseconds, an upload or a first open in up to seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter("mailseal_http_requests_total", "HTTP requests answered, by route template, method and status",
                   ("route", "method", "status"))
LATENCY = Histogram("mailseal_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
                    ("route", "method"), buckets=LATENCY_BUCKETS)
SEALS = Counter("mailseal_seals_total", "Messages sealed (relay, replies, forwards, the command)")
OPENS = Counter("mailseal_opens_total", "Content keys handed out after the policy decision, by purpose",
                ("purpose",))
REFUSALS = Counter("mailseal_refusals_total", "Opens refused by the policy decision, by problem code", ("reason",))
QUEUE_DEPTH = Gauge("mailseal_mail_queue_depth", "Mails waiting in the outbound queue (or files in the Maildir outbox)",
                    multiprocess_mode="mostrecent")
QUEUE_OLDEST = Gauge("mailseal_mail_queue_oldest_age_seconds", "Age of the oldest mail in the outbound queue",
                     multiprocess_mode="mostrecent")
SMTP_SESSIONS = Counter("mailseal_smtp_sessions_total", "SMTP sessions started, by listener", ("listener",))
SMTP_REPLIES = Counter("mailseal_smtp_replies_total", "SMTP replies sent, by listener and class (2xx, 4xx, 5xx)",
                       ("listener", "answer"))
PUSHES = Counter("mailseal_push_total", "Push attempts answered, by outcome", ("outcome",))
VIEW_CACHE = Counter("mailseal_view_cache_lookups_total", "Rendered-message cache lookups, by result", ("result",))
JOBS_BUSY = Gauge("mailseal_jobs_admitted", "Jobs running or waiting in the job pool", multiprocess_mode="livesum")
JOBS_REFUSED = Counter("mailseal_jobs_refused_total", "Jobs refused because the pool was full, by job", ("job",))

PUSH_OUTCOMES = frozenset({"sent", "failed", "gone", "refused", "retried"})
SMTP_CLASSES = {"2": "2xx", "3": "3xx", "4": "4xx", "5": "5xx"}


def request_done(route: str | None, method: str, status: int, seconds: float) -> None:
    """`route` is the matched template (`/api/messages/{message_id}`), None when nothing matched."""
    template = route or UNMATCHED_ROUTE
    REQUESTS.labels(template, method, str(status)).inc()
    LATENCY.labels(template, method).observe(seconds)


def sealed() -> None:
    SEALS.inc()


def opened(purpose: str) -> None:
    OPENS.labels(purpose).inc()


def refused(code: str) -> None:
    """An open refused by the policy decision; `code` is its problem code (`policy.revoked`), from errors.py."""
    REFUSALS.labels(code).inc()


def queue_state(depth: int, oldest_age_seconds: float) -> None:
    QUEUE_DEPTH.set(depth)
    QUEUE_OLDEST.set(oldest_age_seconds)


def smtp_session(listener: str) -> None:
    SMTP_SESSIONS.labels(listener).inc()


def smtp_reply(listener: str, reply: str) -> None:
    """One reply line sent; counted by its first digit (`250 OK` → 2xx), anything else as `other`."""
    SMTP_REPLIES.labels(listener, SMTP_CLASSES.get(reply[:1], "other")).inc()


def push_answered(outcome: str) -> None:
    PUSHES.labels(outcome if outcome in PUSH_OUTCOMES else "failed").inc()


def view_cache_lookup(*, hit: bool) -> None:
    VIEW_CACHE.labels("hit" if hit else "miss").inc()


def job_admitted() -> None:
    JOBS_BUSY.inc()


def job_finished() -> None:
    JOBS_BUSY.dec()


def job_refused(job: str) -> None:
    JOBS_REFUSED.labels(job).inc()
