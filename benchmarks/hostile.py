"""The event loop under hostile load: `/healthz` latency while heavy work runs, against idle in the same run.

The load is what one person can start without signing in, plus what a signed-in one can: 6 anonymous
25 MB mails posted to the share target at once (`message.html` attached beside a large file, so only a
whole MIME parse finds it) and 8 first opens of 1 MB HTML messages (view and body: decrypt, sanitize).
A probe in a process of its own (so that it does not wait for the load generator's GIL) sends one
`/healthz` at a time, paced, while that load is in flight; the same probe for a few
seconds before it and after it gives the idle baseline (both sides, as the machine is shared and noisy).
Heavy work runs in the job pool, so the loop should only wait for it.
"""

from __future__ import annotations

import email.message
import email.policy
import hashlib
import multiprocessing
import statistics
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import httpx

from benchmarks.results import Goal, Result
from benchmarks.server import Server, SignedIn
from benchmarks.server_memory import rss_mib
from benchmarks.workload import MiB

UPLOADS = 6
UPLOAD_SIZE = 25 * MiB
FIRST_OPENS = 8
HTML_SIZE = 1 * MiB
PROBE_PAUSE_SECONDS = 0.005
IDLE_SECONDS = 3.0

LINES = (("http.healthz_hostile.p99", "ms"), ("http.healthz_hostile.p50", "ms"),
         ("server.rss.after_hostile", "MiB"))


def at_most_ratio(maximum: float) -> Goal:
    return Goal(f"≤{maximum:g}x baseline", lambda r: r.ratio is not None and r.ratio <= maximum)


def large_forward(message_html: bytes, size: int) -> bytes:
    """A forwarded mail of about `size` bytes: a large attachment, then `message.html` in base64."""
    block = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(2048))
    padding = (block * (size * 3 // 4 // len(block) + 1))[: size * 3 // 4]
    mail = email.message.EmailMessage(policy=email.policy.SMTP)
    mail["From"] = "mallory@evil.example"
    mail["To"] = "bob@gmail.com"
    mail["Subject"] = "Fwd: Protected message"
    mail.set_content("Forwarded.\n")
    mail.add_attachment(padding, maintype="application", subtype="pdf", filename="scan.pdf")
    mail.add_attachment(message_html, maintype="text", subtype="html", filename="message.html", cte="base64")
    return mail.as_bytes()


def _probe(url: str, stop: Any, seconds: float) -> list[float]:
    """Runs in the probe process: `/healthz` latencies in ms until `stop` is set or `seconds` have passed."""
    latencies: list[float] = []
    ends = time.monotonic() + seconds
    with httpx.Client(timeout=60) as client:
        while not stop.is_set() and time.monotonic() < ends:
            started = time.perf_counter()
            if client.get(url + "/healthz").status_code != 200:
                raise RuntimeError("/healthz did not answer 200")
            latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(PROBE_PAUSE_SECONDS)
    return latencies


def _upload(url: str, mail: bytes) -> int:
    response = httpx.post(url + "/share-target", files={"file": ("forwarded.eml", mail, "message/rfc822")},
                          headers={"sec-fetch-site": "same-origin", "origin": url}, timeout=120)
    return response.status_code


def _first_open(url: str, cookie: str, message_id: str) -> int:
    with httpx.Client(base_url=url, headers={"cookie": cookie}, timeout=120) as client:
        for path in (f"/api/messages/{message_id}", f"/api/messages/{message_id}/body"):
            status = client.get(path).status_code
            if status != 200:
                return status
    return 200


def p99(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def measure(server: Server, session: SignedIn, first_ids: Sequence[str], message_html: bytes) -> list[Result]:
    if len(first_ids) < FIRST_OPENS:
        raise RuntimeError(f"{FIRST_OPENS} messages never opened are needed")
    mail = large_forward(message_html, UPLOAD_SIZE)
    memory_before = rss_mib(server.pid())
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as prober, context.Manager() as manager:
        stop, never = manager.Event(), manager.Event()
        idle = prober.submit(_probe, server.url, never, IDLE_SECONDS).result()
        probe = prober.submit(_probe, server.url, stop, 600.0)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=UPLOADS + FIRST_OPENS) as pool:
            uploads = [pool.submit(_upload, server.url, mail) for _ in range(UPLOADS)]
            opens = [pool.submit(_first_open, server.url, session.cookie, m) for m in first_ids[:FIRST_OPENS]]
            upload_status = [f.result() for f in uploads]
            open_status = [f.result() for f in opens]
        stop.set()
        loaded = probe.result()
        elapsed = time.monotonic() - started
        idle += prober.submit(_probe, server.url, never, IDLE_SECONDS).result()
    if any(s != 200 for s in open_status) or any(s not in (303, 503) for s in upload_status):
        raise RuntimeError(f"unexpected answers: uploads {upload_status}, opens {open_status}")
    if len(loaded) < 20:
        raise RuntimeError(f"only {len(loaded)} probes while the load ran")
    busy = upload_status.count(503)
    note = (f"{UPLOADS} anonymous {UPLOAD_SIZE // MiB} MB uploads ({busy} answered 503) and {FIRST_OPENS} "
            f"first opens of {HTML_SIZE // MiB} MB HTML, {elapsed:.1f} s; {len(loaded)} probes under load, "
            f"{len(idle)} idle (before and after)")
    return [
        Result("http.healthz_hostile.p99", p99(loaded), "ms", "idle /healthz p99", p99(idle), note,
               goal=at_most_ratio(5)),
        Result("http.healthz_hostile.p50", statistics.median(loaded), "ms", "idle /healthz p50",
               statistics.median(idle), note),
        Result("server.rss.after_hostile", rss_mib(server.pid()), "MiB", "before the hostile load", memory_before,
               "the server process alone; parsing and rendering ran in its job pool's workers"),
    ]

