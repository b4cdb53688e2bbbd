"""Seal and open throughput through `mailseal.format`, against raw AES-256-GCM and the `age` command.

All three read the same message file and write their output to a file in the same folder. Raw AES-GCM
is `cryptography`'s AESGCM over 64 KiB blocks (the format's chunk size) with nothing else: the ceiling
for this machine and library. `age` is timed as a command (its process start is included, a few ms).
Each is run `repeats` times, interleaved, and the best run counts.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import mailseal.format as fmt
from benchmarks.results import Result, at_least_ratio
from benchmarks.workload import MiB

LINES = (("crypto.seal", "MiB/s"), ("crypto.open", "MiB/s"), ("crypto.seal_vs_age", "MiB/s"),
         ("crypto.open_vs_age", "MiB/s"))
BLOCK = fmt.CHUNK_SIZE
KEY = bytes(range(32))
MESSAGE_ID = bytes(range(16))


@dataclass(frozen=True)
class Files:
    source: Path
    envelope: Path
    raw: Path
    aged: Path
    output: Path
    identity: Path


def seal_library(files: Files) -> None:
    with files.source.open("rb") as src, files.envelope.open("wb") as out:
        fmt.seal(src, out, content_key=KEY, message_id=MESSAGE_ID, issuer="example.org", sender="alice@example.org",
                 recipients=["bob@gmail.com"], policy=fmt.Policy("encrypt-only", ("view",), None), key_id="k1",
                 created=0)


def open_library(files: Files) -> None:
    with files.envelope.open("rb") as src, files.output.open("wb") as out:
        for piece in fmt.open_envelope(src, KEY).iter_plaintext():
            out.write(piece)


def seal_raw(files: Files) -> None:
    aead = AESGCM(KEY)
    counter = 0
    with files.source.open("rb") as src, files.raw.open("wb") as out:
        while block := src.read(BLOCK):
            out.write(aead.encrypt(counter.to_bytes(12, "big"), block, None))
            counter += 1


def open_raw(files: Files) -> None:
    aead = AESGCM(KEY)
    counter = 0
    with files.raw.open("rb") as src, files.output.open("wb") as out:
        while block := src.read(BLOCK + 16):
            out.write(aead.decrypt(counter.to_bytes(12, "big"), block, None))
            counter += 1


def _age(*args: str) -> None:
    subprocess.run(["age", *args], check=True, capture_output=True, timeout=300)  # noqa: S603, S607


def make_identity(files: Files) -> str:
    """A passphrase-less X25519 identity from age-keygen; returns its recipient."""
    files.identity.unlink(missing_ok=True)
    subprocess.run(["age-keygen", "-o", str(files.identity)], check=True, capture_output=True, timeout=60)  # noqa: S603, S607
    result = subprocess.run(["age-keygen", "-y", str(files.identity)],  # noqa: S603, S607
                            check=True, capture_output=True, text=True, timeout=60)
    return result.stdout.strip()


def _timed(action: Callable[[], None], runs: list[float]) -> None:
    started = time.perf_counter()
    action()
    runs.append(time.perf_counter() - started)


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def measure(work: Path, source: Path, repeats: int) -> list[Result]:
    files = Files(source, work / "message.seal", work / "message.raw", work / "message.age", work / "message.out",
                  work / "age-identity.txt")
    have_age = shutil.which("age") is not None and shutil.which("age-keygen") is not None
    recipient = make_identity(files) if have_age else ""
    times: dict[str, list[float]] = {k: [] for k in ("seal", "open", "raw_seal", "raw_open", "age_seal", "age_open")}
    for _ in range(repeats):
        _timed(lambda: seal_library(files), times["seal"])
        _timed(lambda: seal_raw(files), times["raw_seal"])
        _timed(lambda: open_library(files), times["open"])
        _timed(lambda: open_raw(files), times["raw_open"])
        if have_age:
            _timed(lambda: _age("-r", recipient, "-o", str(files.aged), str(files.source)), times["age_seal"])
            _timed(lambda: _age("-d", "-i", str(files.identity), "-o", str(files.output), str(files.aged)),
                          times["age_open"])
    open_library(files)
    if _digest(files.output) != _digest(source):
        raise RuntimeError("the opened message differs from the sealed one")
    size_mib = source.stat().st_size / MiB
    speed = {k: size_mib / min(v) if v else None for k, v in times.items()}
    note = f"{size_mib:.0f} MiB message, best of {repeats}"
    age_note = note if have_age else "age is not installed (Debian package age): no age baseline"
    return [
        Result("crypto.seal", speed["seal"], "MiB/s", "raw AES-256-GCM seal", speed["raw_seal"], note,
               goal=at_least_ratio(0.5)),
        Result("crypto.open", speed["open"], "MiB/s", "raw AES-256-GCM open", speed["raw_open"], note,
               goal=at_least_ratio(0.5)),
        Result("crypto.seal_vs_age", speed["seal"], "MiB/s", "age encrypt" if have_age else None, speed["age_seal"],
               age_note),
        Result("crypto.open_vs_age", speed["open"], "MiB/s", "age decrypt" if have_age else None, speed["age_open"],
               age_note, goal=at_least_ratio(2)),
    ]
