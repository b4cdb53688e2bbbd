"""Open-message requests/s and latency through the real server, against GET /healthz on the same server.

The load comes from `wrk` (a separate process) with a Lua script that sends the signed-in browser's
cookies and prints its summary as JSON. Every route gets the same cookies, connections and duration, and
they are loaded in turn, round after round, so that a noisy neighbour hurts all alike; medians count.

Under load the same message is opened again and again, so after the first request its rendering comes
from the sealed view cache. What a message's *first* open costs (decrypting its parts and sanitizing the
HTML) is measured apart, on messages never opened before, one request at a time.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.results import Result, at_least_ratio, at_most, skipped
from benchmarks.server import Server, SignedIn, protect_cli
from benchmarks.workload import html_mail

RECIPIENT = "bob@gmail.com"
SENDER = "alice@example.org"
TRIVIAL_ROUTE = "/healthz"

WRK_SCRIPT = r"""
wrk.headers["Cookie"] = os.getenv("MAILSEAL_BENCH_COOKIE")
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"socket_errors":%d,"status_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""

LINES = (("http.open_message.rps", "req/s"), ("http.open_message.p50", "ms"), ("http.open_message.p99", "ms"),
         ("http.open_body.rps", "req/s"), ("http.open_body.p99", "ms"))
FIRST_OPEN_LINES = (("http.first_open.p50", "ms"), ("http.first_open.max", "ms"))


@dataclass(frozen=True)
class Load:
    seconds: float  # per route and round
    connections: int
    rounds: int = 1
    warmup: float = 1.0

    def describe(self) -> str:
        return f"{self.connections} connections, median of {self.rounds} x {self.seconds:g} s"


@dataclass(frozen=True)
class WrkRun:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    failures: int


def median(runs: Sequence[WrkRun], field: str) -> float:
    return statistics.median(float(getattr(run, field)) for run in runs)


def prepare(work: Path, data: Path, html_size: int, database_url: str = "") -> str:
    """Seal a mail with an HTML body of `html_size` bytes for RECIPIENT with the CLI; returns its id."""
    source = work / "newsletter.eml"
    source.write_bytes(html_mail(html_size, sender=SENDER, to=RECIPIENT))
    return protect_cli(data, source, work / "newsletter.html", sender=SENDER, to=RECIPIENT, database_url=database_url)


def prepare_many(work: Path, data: Path, html_size: int, count: int) -> list[str]:
    """`count` more sealed copies of the same mail (each its own message id), for first opens."""
    return [prepare(work, data, html_size) for _ in range(count)]


def wrk_missing() -> list[Result] | None:
    if shutil.which("wrk") is None:
        return skipped(LINES, "wrk is not installed (Debian package wrk): HTTP load not measured")
    return None


def run_wrk(url: str, cookie: str, seconds: float, connections: int, script: Path) -> WrkRun:
    result = subprocess.run(  # noqa: S603 - fixed arguments, loopback URL
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(script), url],  # noqa: S607
        capture_output=True, text=True, timeout=seconds + 60, check=False,
        env={**os.environ, "MAILSEAL_BENCH_COOKIE": cookie},
    )
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed: {result.stderr.strip()[-300:]}")
    summary = json.loads(line[len("BENCH "):])
    duration = summary["duration_us"] / 1e6
    return WrkRun(
        rps=summary["requests"] / duration,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        requests=summary["requests"],
        failures=summary["socket_errors"] + summary["status_errors"],
    )


def check_route(url: str, cookie: str, expect: str) -> None:
    """One request first: a benchmark of 401s or 404s would be a fast lie."""
    response = httpx.get(url, headers={"cookie": cookie}, timeout=30)
    if response.status_code != 200 or expect not in response.text:
        raise RuntimeError(f"{url} answered {response.status_code}; the benchmark would not measure an open")


def write_script(work: Path) -> Path:
    script = work / "wrk-cookie.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    return script


def urls(server: Server, message_id: str) -> dict[str, str]:
    """The trivial route, the open-message route (the view) and the body the viewer's frame loads."""
    opened = f"{server.url}/api/messages/{message_id}"
    return {"trivial": server.url + TRIVIAL_ROUTE, "open": opened, "body": opened + "/body"}


EXPECTED = {"trivial": '"status":"ok"', "open": '"subject":"Team newsletter"', "body": "Section 1"}


def check_routes(server: Server, session: SignedIn, message_id: str, routes: Sequence[str]) -> None:
    for route in routes:
        check_route(urls(server, message_id)[route], session.cookie, EXPECTED[route])


def load_route(url: str, session: SignedIn, load: Load, script: Path) -> WrkRun:
    """A short warm-up, then the measured run."""
    run_wrk(url, session.cookie, load.warmup, load.connections, script)
    return run_wrk(url, session.cookie, load.seconds, load.connections, script)


def load_in_turn(servers: dict[str, Server], session: SignedIn, message_id: str, load: Load,
                 work: Path, routes: Sequence[str] = ("trivial", "open")) -> dict[tuple[str, str], list[WrkRun]]:
    """Every (server, route) pair, round after round; the runs of each pair in a list."""
    script = write_script(work)
    for server in servers.values():
        check_routes(server, session, message_id, routes)
    runs: dict[tuple[str, str], list[WrkRun]] = {}
    for _ in range(load.rounds):
        for route in routes:
            for name, server in servers.items():
                runs.setdefault((name, route), []).append(
                    load_route(urls(server, message_id)[route], session, load, script))
    return runs


def measure(server: Server, session: SignedIn, message_id: str, load: Load, work: Path) -> list[Result]:
    missing = wrk_missing()
    if missing is not None:
        return missing
    runs = load_in_turn({"server": server}, session, message_id, load, work, ("trivial", "open", "body"))
    trivial, opened, body = runs[("server", "trivial")], runs[("server", "open")], runs[("server", "body")]
    note = load.describe()
    failures = sum(r.failures for r in (*trivial, *opened, *body))
    if failures:
        note += f"; {failures} failed requests"
    base = f"GET {TRIVIAL_ROUTE}"
    body_note = note + "; GET /api/messages/{id}/body, the sanitized HTML the viewer's frame loads"
    return [
        Result("http.open_message.rps", median(opened, "rps"), "req/s", f"{base} req/s", median(trivial, "rps"),
               note, goal=at_least_ratio(0.25)),
        Result("http.open_message.p50", median(opened, "p50_ms"), "ms", f"{base} p50", median(trivial, "p50_ms"),
               note),
        Result("http.open_message.p99", median(opened, "p99_ms"), "ms", f"{base} p99", median(trivial, "p99_ms"),
               note, goal=at_most(20, "ms")),
        Result("http.open_body.rps", median(body, "rps"), "req/s", f"{base} req/s", median(trivial, "rps"),
               body_note),
        Result("http.open_body.p99", median(body, "p99_ms"), "ms", f"{base} p99", median(trivial, "p99_ms"),
               body_note),
    ]


def measure_first_opens(server: Server, session: SignedIn, first_ids: Sequence[str], opened_id: str) -> list[Result]:
    """Each of `first_ids` opened once (view, then body, as the app does), one request at a time; against
    the same two requests for a message already opened, as many times, in turn."""
    def timed(client: httpx.Client, message_id: str) -> float:
        started = time.perf_counter()
        for path in (f"/api/messages/{message_id}", f"/api/messages/{message_id}/body"):
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
        return (time.perf_counter() - started) * 1000

    first, again = [], []
    with httpx.Client(base_url=server.url, headers={"cookie": session.cookie}, timeout=30) as client:
        timed(client, opened_id)
        for message_id in first_ids:
            first.append(timed(client, message_id))
            again.append(timed(client, opened_id))
    note = (f"{len(first)} messages never opened before, view + body, one request at a time; "
            "baseline: the same for a message already opened (its rendering is in the sealed cache)")
    return [
        Result("http.first_open.p50", statistics.median(first), "ms", "repeat open p50", statistics.median(again),
               note),
        Result("http.first_open.max", max(first), "ms", "repeat open max", max(again), note),
    ]
