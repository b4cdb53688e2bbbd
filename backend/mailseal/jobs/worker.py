"""The worker process: run one job at a time from the parent's pipe, answer, report its memory.

A job is a module-level function and its arguments, pickled; it may carry plaintext (an upload, a
message to render), which lives only in this process's memory and the pipe. Nothing here writes a file
or a log line: a failure goes back as the error's class (a `MailsealError` whole, since its detail never
holds plaintext; any other exception by its type name only).
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import msgspec

from mailseal.errors import MailsealError

# Sent as soon as a job is read, before it runs: the parent starts the job's clock and tells observers.
STARTED = b"s"
# Workers run at a lower CPU priority: on a busy machine the event loop gets a core first, so that a
# burst of heavy work slows itself, not every other request.
NICENESS = 10
# A job travels as one message (how many large byte strings follow, then the pickle that refers to them)
# and those byte strings, each sent whole: an upload of 30 MiB is never copied into the pickle.
COUNT_BYTES = 2


class Job(msgspec.Struct, frozen=True):
    function: Callable[..., Any]
    args: tuple[Any, ...]


class Outcome(msgspec.Struct, frozen=True):
    """What a job came to: its value, a `MailsealError`, or `failure` naming what went wrong."""

    value: Any = None
    error: MailsealError | None = None
    failure: str = ""
    resident_bytes: int = 0


def resident_bytes() -> int:
    """This process's resident memory now (Linux), else its peak (which is never lower)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def serve(conn: Connection, memory_limit_bytes: int) -> None:
    """The worker's whole life: until the pipe closes or the parent sends an empty message."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent stops us
    os.nice(NICENESS)
    if memory_limit_bytes > 0:
        # Private writable memory: a job that needs more gets MemoryError here, not the machine's OOM killer.
        resource.setrlimit(resource.RLIMIT_DATA, (memory_limit_bytes, memory_limit_bytes))
    while True:
        try:
            head = conn.recv_bytes()
            if not head:
                return
            buffers = [conn.recv_bytes() for _ in range(int.from_bytes(head[:COUNT_BYTES], "big"))]
        except (EOFError, OSError):
            return
        conn.send_bytes(STARTED)
        outcome = _run(head[COUNT_BYTES:], buffers)
        del head, buffers
        conn.send_bytes(_encode(outcome))


def _run(pickled: bytes, buffers: list[bytes]) -> Outcome:
    try:
        job = pickle.loads(pickled, buffers=buffers)  # noqa: S301 - from the parent, over our private pipe
        buffers.clear()
        value = job.function(*job.args)
        del job  # the input is freed before memory is measured
        return Outcome(value=value, resident_bytes=resident_bytes())
    except MailsealError as exc:
        return Outcome(error=exc, resident_bytes=resident_bytes())
    except MemoryError:
        return Outcome(failure="memory", resident_bytes=resident_bytes())
    except Exception as exc:  # a surprise on hostile input: its type only, never its message
        return Outcome(failure=type(exc).__name__, resident_bytes=resident_bytes())


def _encode(outcome: Outcome) -> bytes:
    try:
        return pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return pickle.dumps(Outcome(failure="memory", resident_bytes=outcome.resident_bytes))
    except Exception as exc:
        return pickle.dumps(Outcome(failure=f"unpicklable {type(exc).__name__}",
                                    resident_bytes=outcome.resident_bytes))
