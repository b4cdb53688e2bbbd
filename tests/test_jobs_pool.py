"""The job pool with real worker processes: errors come back by code, a job past its time limit is
stopped and only it fails, the waiting line is bounded, and memory a job kept is given back."""

from __future__ import annotations

import asyncio
import os

import pytest

from mailseal.errors import JobFailed, JobTimedOut, JobTooLarge, NoEnvelope, ServerBusy
from mailseal.jobs import JobEvent, JobLimits, JobPool
from support import job_probes

MiB = 1024 * 1024


def resident(pid: int) -> int:
    with open(f"/proc/{pid}/statm", "rb") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def gone(pid: int) -> bool:
    """The process has exited and been reaped (by the forkserver, its parent), within a few seconds."""
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        await asyncio.sleep(0.05)
    return False


async def until(events: list[JobEvent], kind: str) -> None:
    for _ in range(200):
        if any(e.kind == kind for e in events):
            return
        await asyncio.sleep(0.05)


async def test_answers_and_errors_cross_by_value_and_by_code_only() -> None:
    pool = JobPool(JobLimits(workers=1))
    try:
        big = os.urandom(3 * MiB)
        pid, size = await pool.run(job_probes.pid_and_echo, big)
        assert size == len(big) and pid != os.getpid(), "it ran in another process"
        with pytest.raises(NoEnvelope) as refused:
            await pool.run(job_probes.refuse)
        assert refused.value.detail == "nothing here", "a MailsealError arrives whole"
        with pytest.raises(JobFailed) as failed:
            await pool.run(job_probes.crash)
        assert type(failed.value) is JobFailed and "secret" not in str(failed.value), "only its type crossed"
        assert (await pool.run(job_probes.pid_and_echo, b"x"))[0] != pid, "a worker that failed is replaced"
    finally:
        await pool.close()


async def test_a_job_past_its_time_limit_is_stopped_and_only_it_fails() -> None:
    events: list[JobEvent] = []
    pool = JobPool(JobLimits(workers=2, time_limit_seconds=1.0), observer=events.append)
    try:
        slow = asyncio.create_task(pool.run(job_probes.sleep, 60))
        quick = asyncio.create_task(pool.run(job_probes.sleep, 0.1))
        assert isinstance(await quick, int), "the other worker's job is answered"
        with pytest.raises(JobTimedOut) as stopped:
            await asyncio.wait_for(slow, 30)
        assert stopped.value.status == 503 and stopped.value.code == "server.job-timeout"
        (killed,) = [e.pid for e in events if e.kind == "stopped"]
        await until(events, "replaced")
        assert await gone(killed), "the worker running it was killed"
        assert [e.kind for e in events if e.pid == killed][-1] == "replaced"
        assert killed not in pool.pids and len(pool.pids) == 2
        assert await pool.run(job_probes.sleep, 0) in pool.pids, "the pool goes on with a fresh worker"
    finally:
        await pool.close()


async def test_the_waiting_line_is_bounded_and_the_excess_is_told_when_to_come_back() -> None:
    pool = JobPool(JobLimits(workers=1, waiting=2, time_limit_seconds=30))
    started = asyncio.Event()
    pool.observer = lambda event: started.set() if event.kind == "started" else None
    try:
        held = [asyncio.create_task(pool.run(job_probes.sleep, 1.5)) for _ in range(3)]
        await asyncio.wait_for(started.wait(), 30)
        with pytest.raises(ServerBusy) as busy:
            await pool.run(job_probes.sleep, 0)
        assert busy.value.status == 503 and busy.value.code == "server.busy" and busy.value.retry_after >= 1
        assert len(set(await asyncio.gather(*held))) == 1, "the three admitted ran, one after another"
        assert await pool.run(job_probes.sleep, 0), "room again once the line is gone"
    finally:
        await pool.close()


async def test_a_caller_that_goes_away_frees_its_place() -> None:
    pool = JobPool(JobLimits(workers=1, waiting=1, time_limit_seconds=30))
    try:
        running = asyncio.create_task(pool.run(job_probes.sleep, 1))
        waiting = asyncio.create_task(pool.run(job_probes.sleep, 0))
        await asyncio.sleep(0.1)
        waiting.cancel()
        await running
        assert await pool.run(job_probes.sleep, 0)
    finally:
        await pool.close()


async def test_memory_a_job_kept_is_given_back_by_replacing_its_worker() -> None:
    events: list[JobEvent] = []
    pool = JobPool(JobLimits(workers=1, time_limit_seconds=60), observer=events.append)
    try:
        first = await pool.run(job_probes.sleep, 0)
        pool.limits = JobLimits(workers=1, recycle_above_bytes=resident(first) + 40 * MiB, time_limit_seconds=60)
        events.clear()
        grown = await pool.run(job_probes.keep_memory, 80)
        assert grown == first
        await until(events, "replaced")
        assert [e.kind for e in events] == ["started", "finished", "replaced"]
        assert await gone(grown), "the worker that kept 80 MiB is gone, and its memory with it"
        (fresh,) = pool.pids
        assert resident(fresh) < pool.limits.recycle_above_bytes - 30 * MiB
    finally:
        await pool.close()


async def test_a_worker_is_replaced_after_its_share_of_jobs() -> None:
    pool = JobPool(JobLimits(workers=1, recycle_after_jobs=2))
    try:
        pids = [await pool.run(job_probes.sleep, 0) for _ in range(4)]
        assert pids[0] == pids[1] != pids[2] == pids[3]
    finally:
        await pool.close()


async def test_a_job_that_needs_more_memory_than_allowed_is_refused() -> None:
    pool = JobPool(JobLimits(workers=1, memory_limit_bytes=400 * MiB))
    try:
        with pytest.raises(JobTooLarge) as refused:
            await pool.run(job_probes.take_memory, 600)
        assert refused.value.status == 413
        assert await pool.run(job_probes.take_memory, 16) == 16 * MiB
    finally:
        await pool.close()


async def test_the_pool_keeps_no_reference_to_a_job_once_it_is_answered() -> None:
    """A runner that held its last job until the next one came kept a 30 MiB upload per worker alive
    in the server: 6 uploads of 25 MB left it 53 MiB larger."""
    import sys

    pool = JobPool(JobLimits(workers=1))
    try:
        upload = os.urandom(2 * MiB)
        held = sys.getrefcount(upload)
        await pool.run(job_probes.pid_and_echo, upload)
        for _ in range(100):
            if sys.getrefcount(upload) == held:
                break
            await asyncio.sleep(0.01)
        assert sys.getrefcount(upload) == held
    finally:
        await pool.close()


async def test_one_kind_of_job_can_be_held_to_its_share_of_the_places() -> None:
    pool = JobPool(JobLimits(workers=1, waiting=3, time_limit_seconds=30))
    try:
        flood = [asyncio.create_task(pool.run(job_probes.sleep, 1, name="anonymous", share=0.5)) for _ in range(2)]
        await asyncio.sleep(0)
        with pytest.raises(ServerBusy):
            await pool.run(job_probes.sleep, 0, name="anonymous", share=0.5)
        assert isinstance(await pool.run(job_probes.sleep, 0, name="render"), int), "others still get a place"
        await asyncio.gather(*flood)
        assert await pool.run(job_probes.sleep, 0, name="anonymous", share=0.5), "its places come back"
    finally:
        await pool.close()
