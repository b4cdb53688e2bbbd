"""Open-message with `mailseal serve --role web --workers 2` against one process, on the same engine.

Three web servers run at once on one data folder and database, and are loaded in turn, round after round
(a noisy neighbour hurts all alike; medians count): one process (`--workers 1`, the baseline), two uvicorn
workers, and two granian workers (the same app, `benchmarks.asgi:app_from_env`, when granian is installed).
`wrk` (one thread) runs on the same two cores: the load generator is included, as the goal says.

The engine is PostgreSQL with fsync on, as the roles are meant to run: two processes write their audit
rows as two PostgreSQL sessions that commit side by side (the server batches the WAL flushes), whereas on
SQLite they take turns at its one writer. The same on SQLite is measured as well, to show that difference.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from benchmarks import http
from benchmarks.engines import postgres_database
from benchmarks.results import Result, at_least_ratio, skipped
from benchmarks.server import HOST, ROOT, VENV_BIN, Server, _wait_until_up, free_port, server_env, sign_in

LINES = (("workers.open_message.rps", "req/s"), ("workers.sqlite.open_message.rps", "req/s"),
         ("workers.granian.open_message.rps", "req/s"))
WORKERS = 2
CONNECTIONS = 16  # enough to keep two workers busy while some requests wait on the database


def _command(asgi: str, workers: int, port: int) -> list[str]:
    if asgi == "uvicorn":
        return [sys.executable, "-m", "mailseal", "serve", "--role", "web", "--workers", str(workers), "--dev"]
    return [str(VENV_BIN / "granian"), "--interface", "asgi", "--factory", "benchmarks.asgi:app_from_env",
            "--host", HOST, "--port", str(port), "--workers", str(workers), "--loop", "uvloop", "--no-access-log",
            "--log-level", "warning"]


@contextmanager
def running_web(data: Path, *, asgi: str, workers: int, database_url: str) -> Iterator[Server]:
    """`--role web` with `workers` HTTP processes on one port (uvicorn, or granian with the same app)."""
    port, inbound_port = free_port(), free_port()
    env = {**server_env(data, port, inbound_port, database_url), "MAILSEAL_ROLE": "web",
           "MAILSEAL_WEB_WORKERS": str(workers), "MAILSEAL_JOBS_WORKERS": "1"}
    name = f"{asgi}-{workers}"
    with (data.parent / f"server-{name}.log").open("wb") as log:
        process = subprocess.Popen(_command(asgi, workers, port), env=env, stdout=log,  # noqa: S603
                                   stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        server = Server(data, port, inbound_port, process, name)
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _side(work: Path, engine: str, database_url: str, load: http.Load, *,
          granian: bool) -> dict[str, list[http.WrkRun]]:
    data = work / f"workers-{engine}" / "data"
    data.parent.mkdir(parents=True)
    message_id = http.prepare(data.parent, data, 50_000, database_url)
    kinds = [("one", "uvicorn", 1), ("uvicorn", "uvicorn", WORKERS)] + ([("granian", "granian", WORKERS)] if granian
                                                                         else [])
    with ExitStack() as stack:
        servers = {name: stack.enter_context(running_web(data, asgi=asgi, workers=workers, database_url=database_url))
                   for name, asgi, workers in kinds}
        session = sign_in(servers["one"], http.RECIPIENT)
        runs = http.load_in_turn(servers, session, message_id, load, data.parent, routes=("open",))
    return {name: runs[(name, "open")] for name, _, _ in kinds}


def measure(work: Path, load: http.Load) -> list[Result]:
    if http.wrk_missing() is not None:
        return skipped(LINES, "wrk is not installed (Debian package wrk): workers not measured")
    granian = importlib.util.find_spec("granian") is not None
    load = http.Load(seconds=load.seconds, connections=CONNECTIONS, rounds=load.rounds, warmup=load.warmup)
    busy = os.getloadavg()[0]  # two workers can only gain what the other tenants of the two cores leave free
    with postgres_database() as database_url:
        if database_url is None:
            return skipped(LINES, "PostgreSQL's binaries are not installed (Debian package postgresql)")
        postgres = _side(work, "postgresql", database_url, load, granian=granian)
    sqlite = _side(work, "sqlite", "", load, granian=False)

    def rps(runs: dict[str, list[http.WrkRun]], name: str) -> float:
        return http.median(runs[name], "rps")

    note = f"{load.describe()}, wrk on the same 2 cores; load average {busy:.1f} at start"
    results = [
        Result("workers.open_message.rps", rps(postgres, "uvicorn"), "req/s", "one process, open-message req/s",
               rps(postgres, "one"), f"--role web --workers 2 (uvicorn) on PostgreSQL (fsync on); {note}",
               goal=at_least_ratio(1.6)),
        Result("workers.sqlite.open_message.rps", rps(sqlite, "uvicorn"), "req/s", "one process, open-message req/s",
               rps(sqlite, "one"), f"the same on SQLite (synchronous=FULL, one writer); {note}"),
    ]
    if granian:
        results.append(Result("workers.granian.open_message.rps", rps(postgres, "granian"), "req/s",
                              "uvicorn --workers 2 open-message req/s", rps(postgres, "uvicorn"),
                              f"granian --workers 2 against uvicorn --workers 2, PostgreSQL; {note}"))
    else:
        results += skipped(LINES[2:], "granian is not installed (.venv/bin/python -m pip install granian)")
    return results
