"""PostgreSQL beside SQLite in the same run: sealing, opening a message and inbound ingest.

Two real `mailseal serve` processes run at once, one on the SQLite file of its data folder, one on a
throwaway PostgreSQL cluster (Debian's binaries, started like the tests' cluster by
`tests/support/postgres.py`, but with `fsync=on`: commits are as durable as a production server's; a Unix
socket, no TCP). Both keep their envelopes in their own blob folder, so that only the database differs
(seal to S3 is `blobs.seal_to_s3`). The routes are loaded in turn, engine after engine, round after round,
so that a noisy neighbour hurts both alike; medians count.

- `engines.seal.rate`: ~20 KiB mails sealed one after another through `protect` (a seal row, its wrapped
  key, an audit row and an inbox row in one transaction, the envelope written), in-process.
- `engines.open_message.*`: GET /api/messages/{id} under `wrk` (after the first open the rendering comes
  from the sealed view cache, so what remains is the session lookup, the policy decision from the store
  and the audit row: the database's share).
- `engines.ingest.*`: forwarded mails to the inbound listener, each committing a new inbox row.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks import http, smtp
from benchmarks.results import Result, at_least, at_least_ratio, skipped
from benchmarks.server import Server, SignedIn, running_server, sign_in
from benchmarks.workload import forwarded_mail

LINES = (("engines.seal.rate", "msg/s"), ("engines.open_message.rps", "req/s"), ("engines.open_message.p99", "ms"),
         ("engines.ingest.rate", "msg/s"), ("engines.ingest.p99", "ms"))
ENGINES = ("sqlite", "postgresql")


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A database on a throwaway cluster with fsync on; None without PostgreSQL's binaries."""
    from tests.support.postgres import postgres_bin, start_cluster

    bin = postgres_bin()
    if bin is None:
        yield None
        return
    cluster = start_cluster(bin, fsync=True)
    try:
        yield cluster.url(cluster.create_database())
    finally:
        cluster.stop()


@dataclass
class Side:
    """One engine's data folder, its prepared messages and, once started, its server and session."""

    data: Path
    database_url: str
    message_id: str
    sealed: smtp.Sealed
    server: Server | None = None
    session: SignedIn | None = None


def _prepare(work: Path, name: str, database_url: str, html_size: int, mails: int) -> Side:
    data = work / f"engine-{name}" / "data"
    data.parent.mkdir(parents=True)
    message_id = http.prepare(data.parent, data, html_size, database_url)
    return Side(data, database_url, message_id, smtp.prepare(data, mails, database_url=database_url))


def _open_load(sides: dict[str, Side], load: http.Load, work: Path) -> dict[str, list[http.WrkRun]]:
    script = http.write_script(work)
    for side in sides.values():
        assert side.server is not None and side.session is not None
        http.check_route(http.urls(side.server, side.message_id)["open"], side.session.cookie,
                         http.EXPECTED["open"])
    runs: dict[str, list[http.WrkRun]] = {name: [] for name in sides}
    for _ in range(load.rounds):
        for name, side in sides.items():
            assert side.server is not None and side.session is not None
            url = http.urls(side.server, side.message_id)["open"]
            runs[name].append(http.load_route(url, side.session, load, script))
    return runs


def _ingest(sides: dict[str, Side], senders: int, rounds: int) -> dict[str, smtp.Run]:
    runs = {name: smtp.Run() for name in sides}
    batches: dict[str, list[list[bytes]]] = {}
    for name, side in sides.items():
        assert side.server is not None and side.session is not None and side.session.forward_address
        mails = [forwarded_mail(page, sender=smtp.OWNER, to=side.session.forward_address)
                 for page in side.sealed.pages]
        size = -(-len(mails) // rounds)
        batches[name] = [mails[start:start + size] for start in range(0, len(mails), size)]
    for index in range(rounds):
        for name, side in sides.items():
            assert side.server is not None and side.session is not None and side.session.forward_address
            if index < len(batches[name]):
                runs[name].add(asyncio.run(smtp.send_all(side.server.inbound_port, batches[name][index],
                                                          side.session.forward_address, senders)))
    return runs


def measure(work: Path, html_size: int, mails: int, load: http.Load, senders: int) -> list[Result]:
    if http.wrk_missing() is not None:
        return skipped(LINES, "wrk is not installed (Debian package wrk): the engines not compared")
    with postgres_database() as database_url:
        if database_url is None:
            return skipped(LINES, "PostgreSQL's binaries are not installed (Debian package postgresql)")
        sides = {"sqlite": _prepare(work, "sqlite", "", html_size, mails),
                 "postgresql": _prepare(work, "postgresql", database_url, html_size, mails)}
        with ExitStack() as servers:
            for side in sides.values():
                side.server = servers.enter_context(running_server(side.data, database_url=side.database_url))
                side.session = sign_in(side.server, http.RECIPIENT)
            opened = _open_load(sides, load, work)
            ingested = _ingest(sides, senders, load.rounds)
    return _results(sides, opened, ingested, load, senders)


def _results(sides: dict[str, Side], opened: dict[str, list[http.WrkRun]], ingested: dict[str, smtp.Run],
             load: http.Load, senders: int) -> list[Result]:
    seal = {name: len(side.sealed.seal_seconds) / sum(side.sealed.seal_seconds) for name, side in sides.items()}
    seal_p50 = {name: statistics.median(side.sealed.seal_seconds) * 1000 for name, side in sides.items()}
    pg, lite = "postgresql", "sqlite"
    durable = "PostgreSQL with fsync on, SQLite synchronous=FULL, each with its own blob folder"
    open_note = f"{load.describe()}; {durable}"
    failures = sum(run.failures for runs in opened.values() for run in runs)
    if failures:
        open_note += f"; {failures} failed requests"
    mails = len(sides[pg].sealed.pages)
    ingest_note = f"{mails} forwarded mails per engine in {load.rounds} round(s), {senders} connections; {durable}"
    refused = sum(run.failures for run in ingested.values())
    if refused:
        ingest_note += f"; {refused} refused"
    return [
        Result("engines.seal.rate", seal[pg], "msg/s", "SQLite msg/s", seal[lite],
               f"{mails} mails of ~20 KiB through protect, one at a time, in-process; p50 {seal_p50[pg]:.1f} ms "
               f"against {seal_p50[lite]:.1f} ms; {durable}"),
        Result("engines.open_message.rps", http.median(opened[pg], "rps"), "req/s", "SQLite req/s",
               http.median(opened[lite], "rps"), open_note, goal=at_least_ratio(0.7)),
        Result("engines.open_message.p99", http.median(opened[pg], "p99_ms"), "ms", "SQLite p99",
               http.median(opened[lite], "p99_ms"), open_note),
        Result("engines.ingest.rate", ingested[pg].rate, "msg/s", "SQLite msg/s", ingested[lite].rate, ingest_note,
               goal=at_least(100, "msg/s")),
        Result("engines.ingest.p99", ingested[pg].percentile_ms(0.99), "ms", "SQLite p99",
               ingested[lite].percentile_ms(0.99), ingest_note),
    ]
