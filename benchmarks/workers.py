"""Open-message with `mailseal serve --role web --workers 2` against one process, on the same engine.

Web servers run at once on one data folder and database and are loaded in turn, round after round (a
noisy neighbour hurts all alike; medians count): one process (`--workers 1`, the baseline), two uvicorn
workers, and two granian workers (the same app, `benchmarks.asgi:app_from_env`, when granian is
installed). `wrk` (one thread) runs on the same two cores: the load generator is included, as the goal says.

Throughput on a shared machine says as much about the neighbours as about Mailseal, so each run also
counts CPU time per request, from `/proc`: the server's processes (`app`), the database server's (`db`,
PostgreSQL only) and wrk's (`wrk`). From them follows what two cores allow when nothing else runs: one
process is held to one core by its event loop, two workers to the two cores everyone shares, so the
ratio can be at most 2·app / (app + db + wrk), and only below that if the workers wait on each other.

The goal's line runs on SQLite: its database work happens inside the server's processes and so counts
as theirs, and nothing but wrk (about 0.05 ms of CPU per open) shares the cores. On PostgreSQL, as
roles are meant to run in production, the database server needs 0.4-0.5 ms of CPU per open on the same
two cores (in production it has its own machine), which holds the ratio near 1.4-1.5 times by the model
above; that line is measured as well.
"""

from __future__ import annotations

import importlib.util
import os
import resource
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks import http
from benchmarks.results import Result, at_least_ratio, skipped
from benchmarks.server import HOST, ROOT, VENV_BIN, Server, SignedIn, _wait_until_up, free_port, server_env, sign_in

LINES = (("workers.open_message.rps", "req/s"), ("workers.open_message.bound", "x"),
         ("workers.postgresql.open_message.rps", "req/s"), ("workers.postgresql.open_message.bound", "x"),
         ("workers.granian.open_message.rps", "req/s"))
WORKERS = 2
CONNECTIONS = 16  # enough to keep two workers busy while some requests wait on the database
TICKS = os.sysconf("SC_CLK_TCK")


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


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and every live descendant, from /proc."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


@dataclass(frozen=True)
class Run:
    rps: float
    app_ms: float  # CPU per request
    db_ms: float
    wrk_ms: float


def _run(server: Server, url: str, session: SignedIn, load: http.Load, script: Path, db_pid: int | None) -> Run:
    http.run_wrk(url, session.cookie, load.warmup, load.connections, script)
    app, db, wrk = tree_cpu_seconds(server.process.pid), tree_cpu_seconds(db_pid) if db_pid else 0.0, _children_cpu()
    run = http.run_wrk(url, session.cookie, load.seconds, load.connections, script)
    per = 1000 / max(run.requests, 1)
    return Run(run.rps, (tree_cpu_seconds(server.process.pid) - app) * per,
               ((tree_cpu_seconds(db_pid) - db) if db_pid else 0.0) * per, (_children_cpu() - wrk) * per)


def _side(work: Path, engine: str, database_url: str, db_pid: int | None, load: http.Load, *,
          granian: bool) -> dict[str, list[Run]]:
    data = work / f"workers-{engine}" / "data"
    data.parent.mkdir(parents=True)
    message_id = http.prepare(data.parent, data, 50_000, database_url)
    kinds = [("one", "uvicorn", 1), ("uvicorn", "uvicorn", WORKERS)]
    kinds += [("granian", "granian", WORKERS)] if granian else []
    script = http.write_script(data.parent)
    runs: dict[str, list[Run]] = {name: [] for name, _, _ in kinds}
    with ExitStack() as stack:
        servers = {name: stack.enter_context(running_web(data, asgi=asgi, workers=workers, database_url=database_url))
                   for name, asgi, workers in kinds}
        session = sign_in(servers["one"], http.RECIPIENT)
        for server in servers.values():
            http.check_routes(server, session, message_id, ("open",))
        for _ in range(load.rounds):
            for name, server in servers.items():
                url = http.urls(server, message_id)["open"]
                runs[name].append(_run(server, url, session, load, script, db_pid))
    return runs


@contextmanager
def _postgres() -> Iterator[tuple[str, int] | None]:
    """A database on a throwaway cluster with fsync on, and its postmaster's pid."""
    from tests.support.postgres import postgres_bin, start_cluster

    bin = postgres_bin()
    if bin is None:
        yield None
        return
    cluster = start_cluster(bin, fsync=True)
    try:
        pid = int((cluster.folder / "data" / "postmaster.pid").read_text().split()[0])
        yield cluster.url(cluster.create_database()), pid
    finally:
        cluster.stop()


def _median(runs: list[Run], field: str) -> float:
    return statistics.median(float(getattr(run, field)) for run in runs)


def _bound(runs: list[Run]) -> float:
    app = _median(runs, "app_ms")
    return 2 * app / (app + _median(runs, "db_ms") + _median(runs, "wrk_ms"))


def _per_request(runs: list[Run]) -> str:
    return (f"CPU per open: app {_median(runs, 'app_ms'):.2f} ms, db {_median(runs, 'db_ms'):.2f} ms, "
            f"wrk {_median(runs, 'wrk_ms'):.2f} ms")


def measure(work: Path, load: http.Load) -> list[Result]:
    if http.wrk_missing() is not None:
        return skipped(LINES, "wrk is not installed (Debian package wrk): workers not measured")
    granian = importlib.util.find_spec("granian") is not None
    load = http.Load(seconds=load.seconds, connections=CONNECTIONS, rounds=load.rounds, warmup=load.warmup)
    busy = os.getloadavg()[0]  # two workers can only gain what the other tenants of the two cores leave free
    lite = _side(work, "sqlite", "", None, load, granian=granian)
    with _postgres() as postgres:
        pg = (_side(work, "postgresql", postgres[0], postgres[1], load, granian=False)
              if postgres is not None else None)
    note = f"{load.describe()}, wrk on the same 2 cores; load average {busy:.1f} at start"
    model = "what two idle cores allow, 2·app / (app + db + wrk) from the CPU per open of the two workers' runs: " \
            "a model from measured CPU, not a measured rate"
    results = [
        Result("workers.open_message.rps", _median(lite["uvicorn"], "rps"), "req/s", "one process, open-message req/s",
               _median(lite["one"], "rps"), f"--role web --workers 2 (uvicorn) on SQLite (synchronous=FULL); {note}; "
               f"{_per_request(lite['uvicorn'])} (one process: {_per_request(lite['one'])})",
               goal=at_least_ratio(1.6)),
        Result("workers.open_message.bound", _bound(lite["uvicorn"]), "x", None, None, model),
    ]
    if pg is None:
        results += skipped(LINES[2:4], "PostgreSQL's binaries are not installed (Debian package postgresql)")
    else:
        results += [
            Result("workers.postgresql.open_message.rps", _median(pg["uvicorn"], "rps"), "req/s",
                   "one process, open-message req/s", _median(pg["one"], "rps"),
                   f"the same on PostgreSQL (fsync on), whose server shares the 2 cores; {note}; "
                   f"{_per_request(pg['uvicorn'])} (one process: {_per_request(pg['one'])})"),
            Result("workers.postgresql.open_message.bound", _bound(pg["uvicorn"]), "x", None, None, model),
        ]
    if granian:
        results.append(Result("workers.granian.open_message.rps", _median(lite["granian"], "rps"), "req/s",
                              "uvicorn --workers 2 open-message req/s", _median(lite["uvicorn"], "rps"),
                              f"granian --workers 2 against uvicorn --workers 2, SQLite; {note}; "
                              f"{_per_request(lite['granian'])}"))
    else:
        results += skipped(LINES[4:], "granian is not installed (.venv/bin/python -m pip install granian)")
    return results
