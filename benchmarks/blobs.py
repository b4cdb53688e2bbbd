"""Seal to S3 against seal to the folder: the whole `protect` flow, once into each blob store.

Each side is a real instance (key ring, SQLite database, blob store) sealing the same message through
`mailseal.messages.protect`: seal to a staging file, store it, register the seal. The S3 side uploads
to moto's S3 server (tests/support/s3.py) in its own process on loopback; a multipart upload of 5 MiB
parts, 4 at a time. The folder side fsyncs and renames. The two are run in turn, best of `repeats`.

moto takes uploads at roughly 40-70 MiB/s on this machine (a Python server), far below what sealing
reaches, so the second line puts seal to S3 beside the upload alone of an envelope of the same size
(`commit` of a ready file, the same client and settings): the ceiling this endpoint allows.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AbstractContextManager
from pathlib import Path

import mailseal.format as fmt
from benchmarks.results import Result, at_least_ratio, skipped
from benchmarks.workload import MiB
from mailseal.composition import Instance, open_instance
from mailseal.config import Settings
from mailseal.messages.protect import protect
from mailseal.templates import policy_for

LINES = (("blobs.seal_to_s3", "MiB/s"), ("blobs.seal_to_s3_vs_upload", "MiB/s"))


def _s3_endpoint() -> AbstractContextManager[str]:
    from tests.support.s3 import moto_with_credentials

    return moto_with_credentials()


async def _seal_runs(work: Path, source: Path, blob_url: str, repeats: int, limit: int) -> dict[str, list[float]]:
    instances = {
        "folder": await open_instance(Settings(data=str(work / "folder"), max_message_bytes=limit)),
        "s3": await open_instance(Settings(data=str(work / "s3"), blob_url=blob_url, max_message_bytes=limit)),
    }
    times: dict[str, list[float]] = {name: [] for name in (*instances, "upload")}
    policy = policy_for("encrypt-only", expires_days=None, now=time.time())
    try:
        for _ in range(repeats):
            for name, instance in instances.items():
                with source.open("rb") as message:
                    started = time.perf_counter()
                    sealed = await protect(instance.messages, message, sender="alice@example.org",
                                           recipients=["bob@example.net"], policy=policy, actor="bench")
                    times[name].append(time.perf_counter() - started)
                if instance.blobs.size(sealed.message_id) != sealed.envelope_size:
                    raise RuntimeError(f"the {name} store holds a different envelope")
                if name == "s3":
                    times["upload"].append(await asyncio.to_thread(_upload_alone, instance, sealed.message_id))
                instance.blobs.delete(sealed.message_id)  # moto keeps objects in memory
    finally:
        for instance in instances.values():
            await instance.close()
    return times


def _upload_alone(instance: Instance, message_id: str) -> float:
    """Copy the stored envelope to a staging file, then time only its commit (the upload) under a new id."""
    store = instance.blobs
    with store.staging() as (staged, path), store.open(message_id) as envelope:
        while block := envelope.read(MiB):
            staged.write(block)
        staged.flush()
        copy_id = fmt.message_id_text(fmt.new_message_id())
        started = time.perf_counter()
        store.commit(path, copy_id)
        elapsed = time.perf_counter() - started
    store.delete(copy_id)
    return elapsed


def measure(work: Path, source: Path, repeats: int) -> list[Result]:
    try:
        import moto.server  # noqa: F401
    except ImportError:
        return skipped(LINES, "moto[server] is not installed (a test extra): no S3 endpoint")
    from tests.support.s3 import blob_url, create_bucket

    with _s3_endpoint() as endpoint:
        url = blob_url(endpoint, create_bucket(endpoint, "mailseal-bench"))
        times = asyncio.run(_seal_runs(work, source, url, repeats, source.stat().st_size + MiB))
    size_mib = source.stat().st_size / MiB
    note = f"{size_mib:.0f} MiB message through protect, S3 = moto on loopback, best of {repeats}"
    to_s3 = size_mib / min(times["s3"])
    return [
        Result("blobs.seal_to_s3", to_s3, "MiB/s", "seal to the folder", size_mib / min(times["folder"]), note,
               goal=at_least_ratio(0.5)),
        Result("blobs.seal_to_s3_vs_upload", to_s3, "MiB/s", "upload alone to the same endpoint",
               size_mib / min(times["upload"]), note),
    ]
