"""The data folder is private to the account Mailseal runs as: folders 0700, files 0600, whatever the umask.

The database and its WAL hold queued passcode mails; blobs, the outbox, keys and rules are no one
else's either. `keep_data_private` runs once at the start of `mailseal serve` and of every other
command: it sets the process umask to 0o077, so whatever is created afterwards (by SQLite, the blob
store, the outbox, the CLI) is private, and it looks at what is already there (a bounded walk), so a
folder or file made wider by hand is named in one warning line. It changes no existing mode itself:
the operator may have had a reason, and a chmod is theirs to run.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final, NamedTuple

PRIVATE_UMASK: Final = 0o077
MAX_ENTRIES_CHECKED: Final = 10_000  # a start-up check, not an audit: the blobs folder may hold millions


class WiderEntry(NamedTuple):
    path: Path
    mode: int  # the permission bits, e.g. 0o755


def wider_than_private(root: Path, *, limit: int = MAX_ENTRIES_CHECKED) -> list[WiderEntry]:
    """Folders and files under `root` (and `root` itself) that group or others may use, in walk order;
    at most `limit` entries are looked at. Symbolic links are not followed (their own mode means nothing)."""
    found: list[WiderEntry] = []
    pending = [root]
    checked = 0
    while pending and checked < limit:
        path = pending.pop()
        try:
            info = path.lstat()
        except OSError:
            continue
        checked += 1
        if stat.S_ISLNK(info.st_mode):
            continue
        mode = stat.S_IMODE(info.st_mode)
        if mode & PRIVATE_UMASK:
            found.append(WiderEntry(path, mode))
        if stat.S_ISDIR(info.st_mode):
            try:
                pending.extend(sorted(path.iterdir(), reverse=True))
            except OSError:
                continue
    return found


def keep_data_private(root: Path) -> str | None:
    """Make everything created from now on private; one warning line about `root` if it is not, else None."""
    os.umask(PRIVATE_UMASK)
    found = wider_than_private(root)
    if not found:
        return None
    first = found[0]
    others = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return (
        f"{first.path} has mode {first.mode:04o}{others}: the data folder should be 0700 and its files 0600,"
        f" readable by this account only (chmod -R go= {root})"
    )
