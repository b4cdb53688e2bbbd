"""The server's resident memory from /proc: at idle after start, and after the HTTP and SMTP runs."""

from __future__ import annotations

from pathlib import Path

from benchmarks.results import Result

LINES = (("server.rss.idle", "MiB"), ("server.rss.after_runs", "MiB"))


def rss_mib(pid: int) -> float:
    """VmRSS of one process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def results(idle: float | None, after: float | None, note: str = "") -> list[Result]:
    return [
        Result("server.rss.idle", idle, "MiB", note=note or "after start and sign-in, before any load"),
        Result("server.rss.after_runs", after, "MiB", "idle", idle, note or "after the HTTP and SMTP runs"),
    ]
