"""`mailseal audit --export`: the audit trail as JSON Lines an organisation can keep elsewhere.

JSON Lines because every log store and SIEM reads it (one object a line, appendable, greppable), a line
stands alone so an export streams in pages with bounded memory, and unlike CSV a `detail` with commas
or quotes needs no dialect. The first line names the format; the last carries the number of rows, the
last id (start the next export after it: `--after-id`) and the SHA-256 of every byte before it, so a
truncated or altered copy is noticed with `head -n -1 FILE | sha256sum`. A checksum is not a signature:
whoever can rewrite the file can recompute it; keep exports where Mailseal's operators cannot write.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from typing import BinaryIO, Final

import msgspec

from mailseal.storage import AuditEntry, Store

FORMAT: Final = "mailseal-audit/1"
PAGE: Final = 2_000


class ExportSummary(msgspec.Struct, frozen=True):
    rows: int
    first_id: int | None
    last_id: int | None
    sha256: str


def _line(value: dict[str, object]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def entry_line(entry: AuditEntry) -> bytes:
    return _line({f: getattr(entry, f) for f in entry.__struct_fields__})


def export_to(out: BinaryIO, next_page: Callable[[int], list[AuditEntry]], *, after_id: int, now: int) -> ExportSummary:
    """Write the rows after `after_id`, page by page (`next_page(after)` gives the next page), with the
    format line first and the checksum line last."""
    digest = hashlib.sha256()

    def put(data: bytes) -> None:
        digest.update(data)
        out.write(data)

    put(_line({"format": FORMAT, "exportedAt": now, "afterId": after_id}))
    rows, first, last = 0, None, None
    cursor = after_id
    while page := next_page(cursor):
        for entry in page:
            put(entry_line(entry))
        rows += len(page)
        first = page[0].id if first is None else first
        last = cursor = page[-1].id
    summary = ExportSummary(rows=rows, first_id=first, last_id=last, sha256=digest.hexdigest())
    out.write(_line({"end": True, "rows": rows, "lastId": last, "sha256": summary.sha256}))
    return summary


def page_reader(store: Store, loop: asyncio.AbstractEventLoop) -> Callable[[int], list[AuditEntry]]:
    """`next_page` for `export_to` run in a thread: each page is read on `loop`, which stays free meanwhile."""

    def next_page(after: int) -> list[AuditEntry]:
        return asyncio.run_coroutine_threadsafe(store.audit.after(after, limit=PAGE), loop).result()

    return next_page
