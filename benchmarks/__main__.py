"""`./scripts/bench [--quick] [--compare-asgi]`: every measurement, one JSON line each, then a table.

`--profile` instead profiles one open-message request path with pyinstrument and prints where time goes.
A measurement that fails prints its lines with value null and the reason, and the run goes on.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks import (
    asgi,
    audit,
    blobs,
    crypto,
    engines,
    hostile,
    http,
    inbox,
    memory,
    passkey,
    phone,
    push,
    server_memory,
    smtp,
    workers,
)
from benchmarks.results import Report, Result, skipped, warn
from benchmarks.server import SignedIn, running_server, sign_in
from benchmarks.workload import KiB, MiB, write_attachment_message

HTML_SIZE = 50 * KiB


@dataclass(frozen=True)
class Plan:
    message_size: int
    crypto_repeats: int
    load: http.Load  # its `rounds` also go for SMTP and push: each side measured in turn, that many times
    smtp_mails: int
    smtp_senders: int
    push_subscriptions: int
    first_opens: int  # messages sealed only to be opened once each
    inbox: inbox.Plan


QUICK = Plan(16 * MiB, 3, http.Load(seconds=3, connections=4, rounds=1, warmup=1), 100, 4, 250, 5,
             inbox.Plan(large=2_000, requests=30, cold_starts=1, load_seconds=2))
FULL = Plan(100 * MiB, 5, http.Load(seconds=10, connections=4, rounds=3, warmup=1), 1000, 4, 1000, 20,
            inbox.Plan(large=inbox.LARGE, requests=300, cold_starts=5, load_seconds=10))


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} x {model}, Python {platform.python_version()}, Linux {platform.release()}, "
            f"load average at start {load}")


def scratch_folder() -> str | None:
    """tmpfs for the big files when it has room: the crypto runs then measure no disk write-back."""
    shm = Path("/dev/shm")  # noqa: S108 - only as the parent of a mkdtemp folder
    try:
        stats = os.statvfs(shm)
    except OSError:
        return None
    return str(shm) if stats.f_bavail * stats.f_frsize > 2 * 1024 * MiB else None


def guarded(report: Report, lines: Sequence[tuple[str, str]], measure: Callable[[], list[Result]]) -> bool:
    """Run one measurement; on failure print its lines with value null and the reason."""
    try:
        report.add(measure())
        return True
    except Exception as error:
        traceback.print_exc(file=sys.stderr)
        report.add(skipped(lines, f"failed: {type(error).__name__}: {str(error)[:200]}"))
        return False


@dataclass(frozen=True)
class HostileLoad:
    first_ids: list[str]  # 1 MB HTML messages never opened
    message_html: bytes  # a page sealed here, carried by the large uploads


def server_runs(report: Report, plan: Plan, work: Path, data: Path, message_id: str, first_ids: list[str],
                sealed: smtp.Sealed | None, hostile_load: HostileLoad) -> tuple[bool, SignedIn | None]:
    """HTTP and SMTP against one `mailseal serve`, its memory before and after them, then the event loop
    under hostile load."""
    ok, session, idle, after = True, None, None, None
    try:
        with running_server(data) as server:
            signed_in = session = sign_in(server, http.RECIPIENT)
            idle = server_memory.rss_mib(server.pid())
            ok &= guarded(report, http.LINES, lambda: http.measure(server, signed_in, message_id, plan.load, work))
            ok &= guarded(report, http.FIRST_OPEN_LINES,
                          lambda: http.measure_first_opens(server, signed_in, first_ids, message_id))
            ok &= guarded(report, smtp.LINES, lambda: smtp.measure(server, signed_in, sealed, plan.smtp_senders,
                                                                  plan.load.rounds))
            after = server_memory.rss_mib(server.pid())
            ok &= guarded(report, hostile.LINES, lambda: hostile.measure(
                server, signed_in, hostile_load.first_ids, hostile_load.message_html))
    except Exception as error:
        ok = False
        traceback.print_exc(file=sys.stderr)
        note = f"failed: the server run: {type(error).__name__}: {str(error)[:200]}"
        done = {r.name for r in report.results}
        lines = (*http.LINES, *http.FIRST_OPEN_LINES, *smtp.LINES, *hostile.LINES)
        report.add([r for r in skipped(lines, note) if r.name not in done])
    report.add(server_memory.results(idle, after) if after is not None else
               skipped(server_memory.LINES, "failed: the server run did not finish"))
    return ok, session


def compare_servers(plan: Plan, work: Path, data: Path, message_id: str, session: SignedIn | None) -> list[Result]:
    if session is None:
        return skipped(asgi.LINES, "no session: the server run failed")
    return asgi.compare(work, data, message_id, session, plan.load)


def run(plan: Plan, *, compare_asgi: bool) -> int:
    report = Report()
    ok = True
    started = time.monotonic()
    host = machine()
    with tempfile.TemporaryDirectory(prefix="mailseal-bench-") as tmp:
        work = Path(tmp)
        data = work / "data"
        with tempfile.TemporaryDirectory(prefix="mailseal-bench-", dir=scratch_folder()) as big:
            scratch = Path(big)
            source = scratch / "message.eml"
            write_attachment_message(source, plan.message_size)
            ok &= guarded(report, crypto.LINES, lambda: crypto.measure(scratch, source, plan.crypto_repeats))
            ok &= guarded(report, memory.LINES, lambda: memory.measure(scratch, source))
            ok &= guarded(report, blobs.LINES, lambda: blobs.measure(work / "blobs", source, plan.crypto_repeats))

        message_id = http.prepare(work, data, HTML_SIZE)
        first_ids = http.prepare_many(work, data, HTML_SIZE, plan.first_opens)
        hostile_ids = http.prepare_many(work, data, hostile.HTML_SIZE, hostile.FIRST_OPENS)
        hostile_load = HostileLoad(hostile_ids, (work / "newsletter.html").read_bytes())
        sealed = smtp.prepare(data, plan.smtp_mails) if smtp.inbound_available() else None
        served, session = server_runs(report, plan, work, data, message_id, first_ids, sealed, hostile_load)
        ok &= served
        ok &= guarded(report, inbox.LINES, lambda: inbox.measure(work / "inbox", plan.inbox))
        ok &= guarded(report, engines.LINES, lambda: engines.measure(
            work, HTML_SIZE, plan.smtp_mails, plan.load, plan.smtp_senders))
        ok &= guarded(report, workers.LINES, lambda: workers.measure(work, plan.load))
        ok &= guarded(report, audit.LINES, lambda: audit.measure(work, plan.load.seconds))
        ok &= guarded(report, push.LINES, lambda: push.measure(work, plan.push_subscriptions, plan.load.rounds))
        phone_data = work / "phone-data"
        ok &= guarded(report, phone.LINES, lambda: phone.measure(work, phone_data))
        ok &= guarded(report, passkey.LINES, lambda: passkey.measure(work, work / "passkey-data"))
        if compare_asgi:
            ok &= guarded(report, asgi.LINES, lambda: compare_servers(plan, work, data, message_id, session))
    elapsed = time.monotonic() - started
    print()
    print(report.table(f"{host}; {elapsed:.0f} s"))
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and short runs: under a minute")
    parser.add_argument("--compare-asgi", action="store_true",
                        help="also run the open-message benchmark under uvicorn and granian")
    parser.add_argument("--profile", action="store_true",
                        help="only profile the open-message path with pyinstrument and print it")
    args = parser.parse_args(argv)
    if args.profile:
        from benchmarks.profile_open import profile_open

        with tempfile.TemporaryDirectory(prefix="mailseal-profile-") as tmp:
            print(profile_open(Path(tmp)))
        return 0
    if sys.platform != "linux":
        warn("the memory and server measurements read /proc and ru_maxrss in KiB: Linux only")
    return run(QUICK if args.quick else FULL, compare_asgi=args.compare_asgi)


if __name__ == "__main__":
    sys.exit(main())
