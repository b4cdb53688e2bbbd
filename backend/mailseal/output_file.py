"""Where the `mailseal` command writes a file the user named with `-o`: one safe way for every command.

A regular file (or a new one) is written through a temporary file renamed into place only on success,
so nothing is ever half-written. `-` is standard output. Anything else that exists — a device such as
`/dev/null`, a fifo — is written in place and never replaced: renaming over it would swap the device
for a regular file. A symbolic link is followed, so the link stays and its target is written.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from mailseal.errors import CannotWrite

STANDARD_OUTPUT = "-"

Writer = Callable[[BinaryIO], object]


def is_standard_output(target: Path | str) -> bool:
    return str(target) == STANDARD_OUTPUT


def write_output(target: Path | str, write: Writer) -> None:
    """Write `target` with `write(out)`; `CannotWrite` (naming the path and why) if the system refuses."""
    if is_standard_output(target):
        out = sys.stdout.buffer
        write(out)
        out.flush()
        return
    path = Path(target)
    path = path.resolve() if path.is_symlink() else path
    try:
        mode: int | None = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise CannotWrite(f"cannot write {target}: {exc.strerror}") from None
    try:
        if mode is not None and stat.S_ISDIR(mode):
            raise CannotWrite(f"cannot write {target}: it is a folder")
        if mode is not None and not stat.S_ISREG(mode):
            with open(path, "wb") as out:  # a device or a fifo: in place (truncation means nothing to them)
                write(out)
            return
        _replace_regular_file(path, write)
    except OSError as exc:
        raise CannotWrite(f"cannot write {target}: {exc.strerror or exc}") from None


def _replace_regular_file(path: Path, write: Writer) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def discard_output(target: Path | str) -> None:
    """Remove what `write_output` wrote, when it is a regular file (a device or a stream stays as it is)."""
    if is_standard_output(target):
        return
    path = Path(target)
    path = path.resolve() if path.is_symlink() else path
    if path.is_file():
        path.unlink(missing_ok=True)
