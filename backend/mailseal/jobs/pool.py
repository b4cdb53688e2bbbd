"""A bounded pool of worker processes for heavy work, so that the event loop only ever waits for it.

Parsing a 30 MiB upload or sanitizing a large HTML body holds the CPU (and the GIL) for hundreds of
milliseconds; on the event loop that stalls every HTTP request and both SMTP listeners. Here each job
runs in a worker process: a fixed number of them, a bounded line of waiting jobs (one more gets
`ServerBusy`, a 503 with Retry-After), a time limit per job (past it the worker is killed and replaced,
and only that job fails), a memory limit per worker, and a worker is replaced after a number of jobs or
when its memory after a job has grown past a bound, so that what one large job took is given back.

Why not `concurrent.futures.ProcessPoolExecutor` (with `max_tasks_per_child`): it cannot stop one job
(killing its worker breaks the whole pool and fails every other job), it recycles only by count, and
its queue grows without bound. Workers start from the `forkserver`: a clean process that has imported
only the job modules, so a worker inherits no open database, no key ring and no threads of the server
(plain `fork` would copy all three), and starts in milliseconds (`spawn` would import everything again).

Each worker is driven by one runner task; the blocking pipe I/O runs in a thread of the pool's own, so
the loop does nothing but hand over references. Large byte strings travel out of band, never copied.
"""

from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing
import os
import pickle
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.context import ForkServerContext
from typing import Any, Literal, TypeVar, cast

import msgspec

from mailseal import metrics
from mailseal.config import Settings
from mailseal.errors import JobFailed, JobTimedOut, JobTooLarge, MailsealError, ServerBusy
from mailseal.jobs import worker as worker_side
from mailseal.jobs.worker import COUNT_BYTES, STARTED, Job, Outcome

log = logging.getLogger("mailseal.jobs")

T = TypeVar("T")
MiB = 1024 * 1024
# Byte strings from this size on are sent beside the pickle rather than inside it.
OUT_OF_BAND_BYTES = 64 * 1024
STOP_GRACE_SECONDS = 5.0
ACK_SECONDS = 10.0


class JobLimits(msgspec.Struct, frozen=True, kw_only=True):
    """How much heavy work may run and wait at once, and for how long and how large."""

    workers: int = 2
    waiting: int = 16
    time_limit_seconds: float = 30.0
    recycle_after_jobs: int = 200
    recycle_above_bytes: int = 96 * MiB
    memory_limit_bytes: int = 1024 * MiB

    @classmethod
    def from_settings(cls, settings: Settings) -> JobLimits:
        return cls(
            workers=settings.jobs_workers if settings.jobs_workers > 0 else cpu_count(),
            waiting=max(0, settings.jobs_waiting),
            time_limit_seconds=float(max(1, settings.jobs_time_limit_seconds)),
            recycle_after_jobs=max(1, settings.jobs_recycle_after),
            recycle_above_bytes=settings.jobs_recycle_mib * MiB,
            memory_limit_bytes=max(0, settings.jobs_memory_limit_mib) * MiB,
        )


class JobEvent(msgspec.Struct, frozen=True):
    """What observers are told: a job `started` in a worker (it has the job), `finished` (answered or
    failed), `stopped` (killed at its time limit), a worker `replaced` (recycled or after a failure)."""

    kind: Literal["started", "finished", "stopped", "replaced"]
    name: str
    pid: int


Observer = Callable[[JobEvent], None]


class _Pending(msgspec.Struct):
    job: Job
    name: str
    future: asyncio.Future[Any]


class _Timeout(msgspec.Struct, frozen=True):
    pass


class _Died(msgspec.Struct, frozen=True):
    pass


class _Worker:
    """One worker process and the parent's end of its pipe. Every method blocks: call it in a thread."""

    def __init__(self, context: ForkServerContext, memory_limit_bytes: int) -> None:
        parent, child = context.Pipe(duplex=True)
        self.process = context.Process(
            target=worker_side.serve, args=(child, memory_limit_bytes), name="mailseal-job", daemon=True
        )
        self.process.start()
        child.close()
        self.conn = parent
        self.jobs = 0
        self.resident_bytes = 0

    @property
    def pid(self) -> int:
        return self.process.pid or 0

    def run(self, job: Job, time_limit: float, on_start: Callable[[], None]) -> Outcome | _Timeout | _Died:
        buffers: list[pickle.PickleBuffer] = []
        args = tuple(pickle.PickleBuffer(a) if isinstance(a, bytes) and len(a) >= OUT_OF_BAND_BYTES else a
                     for a in job.args)
        head = pickle.dumps(Job(job.function, args), protocol=5, buffer_callback=buffers.append)
        try:
            self.conn.send_bytes(len(buffers).to_bytes(COUNT_BYTES, "big") + head)
            for buffer in buffers:
                self.conn.send_bytes(buffer.raw())
            del buffers, args
            # The job's clock starts when the worker has it; reading 30 MiB from the pipe takes milliseconds.
            if not self.conn.poll(max(time_limit, ACK_SECONDS)) or self.conn.recv_bytes() != STARTED:
                return _Died()
            on_start()
            if not self.conn.poll(time_limit):
                return _Timeout()
            answer = self.conn.recv_bytes()
        except (EOFError, OSError):
            return _Died()
        self.jobs += 1
        try:
            outcome = pickle.loads(answer)  # noqa: S301 - from our own worker, over its private pipe
        except Exception:  # e.g. an error class that cannot be rebuilt from its pickle
            return Outcome(failure="unreadable answer")
        self.resident_bytes = outcome.resident_bytes
        return cast(Outcome, outcome)

    def stop(self, *, kill: bool) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send_bytes(b"")
            except OSError:
                pass
        self.process.join(STOP_GRACE_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()
        self.process.close()


class JobPool:
    """Run picklable module-level functions in worker processes: `await pool.run(fn, *args)`.

    Workers start with the first job. Only picklable data crosses (bytes and Structs); plaintext in a
    job stays in memory and the pipe."""

    def __init__(self, limits: JobLimits, *, preload: Sequence[str] = (), observer: Observer | None = None) -> None:
        self.limits = limits
        self.observer = observer
        self._preload = ["mailseal.jobs.worker", *preload]
        self._queue: asyncio.Queue[_Pending] | None = None
        self._runners: list[asyncio.Task[None]] = []
        self._threads: ThreadPoolExecutor | None = None
        self._live: set[_Worker] = set()
        self._admitted = 0
        self._by_name: dict[str, int] = {}
        self._average_seconds = 1.0
        self._closed = False

    @property
    def pids(self) -> list[int]:
        """The worker processes alive now (for tests and the benchmark's memory line)."""
        return sorted(w.pid for w in self._live)

    async def run(self, function: Callable[..., T], *args: Any, name: str = "", share: float = 1.0) -> T:
        """The function's value, or the `MailsealError` it raised; `ServerBusy` when the pool is full,
        `JobTimedOut` past the time limit, `JobTooLarge` past the memory limit, else `JobFailed`.

        `share`: jobs of this `name` may hold at most this part of the pool's places (running and
        waiting), so that one kind of work (anonymous uploads) cannot take the places of the others."""
        if self._closed:
            raise ServerBusy("The server is stopping", retry_after=5)
        queue = self._start()
        name = name or function.__name__
        places = self.limits.workers + self.limits.waiting
        if self._admitted >= places or self._by_name.get(name, 0) >= max(1, math.floor(share * places)):
            metrics.job_refused(name)
            raise ServerBusy(retry_after=self._retry_after())
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._admitted += 1
        metrics.job_admitted()
        self._by_name[name] = self._by_name.get(name, 0) + 1
        queue.put_nowait(_Pending(Job(function, args), name, future))
        return await future

    async def close(self) -> None:
        """Stop the runners and every worker; jobs still waiting fail with `ServerBusy`."""
        self._closed = True
        for runner in self._runners:
            runner.cancel()
        for runner in self._runners:
            try:
                await runner
            except asyncio.CancelledError:
                pass
        if self._queue is not None:
            while not self._queue.empty():
                pending = self._queue.get_nowait()
                if not pending.future.done():
                    pending.future.set_exception(ServerBusy("The server is stopping", retry_after=5))
        workers = list(self._live)
        self._live.clear()
        if workers:
            await asyncio.get_running_loop().run_in_executor(self._threads, _stop_all, workers)
        if self._threads is not None:
            self._threads.shutdown(wait=False)

    def _start(self) -> asyncio.Queue[_Pending]:
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._threads = ThreadPoolExecutor(max_workers=self.limits.workers, thread_name_prefix="mailseal-jobs")
            self._runners = [asyncio.create_task(self._serve(), name="mailseal-jobs-runner")
                             for _ in range(self.limits.workers)]
        return self._queue

    def _context(self) -> ForkServerContext:
        context = multiprocessing.get_context("forkserver")
        assert isinstance(context, ForkServerContext)
        context.set_forkserver_preload(self._preload)
        return context

    def _spawn(self) -> _Worker:
        started = _Worker(self._context(), self.limits.memory_limit_bytes)
        self._live.add(started)
        return started

    def _retire(self, worker: _Worker) -> None:
        self._live.discard(worker)
        worker.stop(kill=True)

    def _retry_after(self) -> int:
        rounds = (self._admitted - self.limits.workers) / self.limits.workers + 1
        return max(1, min(60, math.ceil(rounds * self._average_seconds)))

    def _emit(self, kind: Literal["started", "finished", "stopped", "replaced"], name: str, pid: int) -> None:
        if self.observer is not None:
            self.observer(JobEvent(kind=kind, name=name, pid=pid))

    async def _serve(self) -> None:
        """One runner: take a job, hand it to this runner's worker, answer, replace the worker if due."""
        assert self._queue is not None
        current: _Worker | None = None
        while True:
            pending = await self._queue.get()
            try:
                if not pending.future.done():  # else its caller went away while it waited
                    current = await self._run_one(pending, current)
            finally:
                self._admitted -= 1
                metrics.job_finished()
                self._by_name[pending.name] -= 1
                # Nothing of a job outlives it here: a runner holding its last 30 MiB upload until the
                # next job came was most of what the server kept after a burst of uploads.
                del pending

    async def _run_one(self, pending: _Pending, current: _Worker | None) -> _Worker:
        """Run one job on `current` (started first if there is none); the worker to use next."""
        loop = asyncio.get_running_loop()
        worker: _Worker = current if current is not None else await loop.run_in_executor(self._threads, self._spawn)
        name, pid = pending.name, worker.pid

        def started() -> None:
            loop.call_soon_threadsafe(self._emit, "started", name, pid)

        began = time.monotonic()
        result = await loop.run_in_executor(self._threads, worker.run, pending.job, self.limits.time_limit_seconds,
                                            started)
        self._average_seconds = 0.8 * self._average_seconds + 0.2 * (time.monotonic() - began)
        replace = self._settle(pending, result, worker)
        self._emit("stopped" if isinstance(result, _Timeout) else "finished", name, pid)
        del result
        if not replace:
            return worker
        await loop.run_in_executor(self._threads, self._retire, worker)
        fresh = await loop.run_in_executor(self._threads, self._spawn)
        self._emit("replaced", name, pid)
        return fresh

    def _settle(self, pending: _Pending, result: Outcome | _Timeout | _Died, worker: _Worker) -> bool:
        """Answer the caller; True when the worker must be replaced."""
        future = pending.future
        limits = self.limits
        if isinstance(result, _Timeout):
            log.warning("job %s ran past %g s; its worker %d is stopped", pending.name, limits.time_limit_seconds,
                        worker.pid)
            _answer(future, error=JobTimedOut())
            return True
        if isinstance(result, _Died):
            log.warning("job %s: its worker %d stopped", pending.name, worker.pid)
            _answer(future, error=JobFailed())
            return True
        if result.error is not None:
            _answer(future, error=result.error)
        elif result.failure == "memory":
            _answer(future, error=JobTooLarge())
        elif result.failure:
            log.warning("job %s failed: %s", pending.name, result.failure)
            _answer(future, error=JobFailed())
        else:
            _answer(future, value=result.value)
        return (bool(result.failure) or worker.jobs >= limits.recycle_after_jobs
                or worker.resident_bytes > limits.recycle_above_bytes)


def _answer(future: asyncio.Future[Any], *, value: Any = None, error: MailsealError | None = None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


def _stop_all(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.stop(kill=False)


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
