"""The ASGI server, chosen by measurement: the open-message benchmark under uvicorn and under granian.

`app_from_env` is the factory granian imports (`benchmarks.asgi:app_from_env`): the very app that
`mailseal serve` runs, built from the same `MAILSEAL_*` environment, with one worker (the SMTP listeners
and the single SQLite writer live in the app's process). Both servers run at once on the same data folder
and are loaded in turn, round after round, so that a noisy neighbour hurts both alike; medians count.
"""

from __future__ import annotations

import importlib.util
from contextlib import ExitStack
from pathlib import Path

from litestar import Litestar

from benchmarks import http
from benchmarks.results import Result, skipped
from benchmarks.server import SignedIn, running_server

SERVERS = ("uvicorn", "granian")
LINES = (("asgi.granian.open_message.rps", "req/s"), ("asgi.granian.open_message.p99", "ms"),
         ("asgi.granian.healthz.rps", "req/s"))


def app_from_env() -> Litestar:
    from mailseal.config import load_settings
    from mailseal.logs import configure_logging
    from mailseal.server import build_app

    settings = load_settings()
    configure_logging(settings.log_level)
    app: Litestar = build_app(settings, require_listeners=True)
    return app


def compare(work: Path, data: Path, message_id: str, session: SignedIn, load: http.Load) -> list[Result]:
    """uvicorn and granian on the same data folder, message, session and load. The session lives in the
    database, so it is signed in once (passcode requests are rate-limited per address)."""
    if importlib.util.find_spec("granian") is None:
        return skipped(LINES, "granian is not installed (.venv/bin/pip install granian): no comparison")
    if (missing := http.wrk_missing()) is not None:
        return skipped(LINES, missing[0].note)
    with ExitStack() as stack:
        servers = {name: stack.enter_context(running_server(data, asgi=name)) for name in SERVERS}
        runs = http.load_in_turn(servers, session, message_id, load, work)

    def median(name: str, route: str, field: str) -> float:
        return http.median(runs[(name, route)], field)

    note = f"one worker each, uvloop, {load.describe()}"
    return [
        Result("asgi.granian.open_message.rps", median("granian", "open", "rps"), "req/s",
               "uvicorn open-message req/s", median("uvicorn", "open", "rps"), note),
        Result("asgi.granian.open_message.p99", median("granian", "open", "p99_ms"), "ms",
               "uvicorn open-message p99", median("uvicorn", "open", "p99_ms"), note),
        Result("asgi.granian.healthz.rps", median("granian", "trivial", "rps"), "req/s",
               "uvicorn GET /healthz req/s", median("uvicorn", "trivial", "rps"), note),
    ]
