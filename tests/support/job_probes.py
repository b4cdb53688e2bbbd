"""Jobs for the pool's tests, importable by the worker processes (module-level, picklable)."""

from __future__ import annotations

import os
import time

from mailseal.errors import NoEnvelope

_kept: list[bytes] = []


def pid_and_echo(data: bytes) -> tuple[int, int]:
    return os.getpid(), len(data)


def sleep(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def refuse() -> None:
    raise NoEnvelope("nothing here")


def crash() -> None:
    raise ValueError("secret plaintext that must not travel")


def keep_memory(mib: int) -> int:
    """Take `mib` MiB in small objects and keep it, as a parser's leftovers would stay in its heap."""
    _kept.extend(os.urandom(512) for _ in range(mib * 2048))
    return os.getpid()


def take_memory(mib: int) -> int:
    block = bytearray(mib * 1024 * 1024)
    return len(block)
