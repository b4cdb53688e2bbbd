"""Revocations made after a backup, re-applied to a restored installation.

A backup holds every content key that was live when it was taken: a message revoked later is readable
again after a restore, unless its revocation is applied again. The restore cannot know of it by itself, so
it asks for a list kept outside the backup: `mailseal revocations` of the old installation (run it on a
schedule to somewhere else, or on the failed machine if it still starts), or its `mailseal audit --json`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from mailseal.errors import InputError
from mailseal.storage import Store
from mailseal.storage.blobs.contract import check_name

# The audit action to re-apply. Expiry needs nothing: each seal's `expires_at` is in the backup, and the
# server destroys the keys due at its next sweep (and refuses an expired message before that).
REVOKE = "revoke"


def read_revocations(path: Path) -> list[str]:
    """The revoked message ids in a file of lines: `mailseal revocations` output, `mailseal audit --json`
    output (its successful revoke rows), or bare message ids."""
    ids: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        message_id: object = text
        if text.startswith("{"):
            try:
                row = json.loads(text)
            except ValueError:
                raise InputError(f"{path}:{number}: not a JSON line") from None
            if "action" in row and (row.get("action") != REVOKE or row.get("outcome") != "ok"):
                continue  # an audit row of another kind
            message_id = row.get("message_id")
        try:
            ids.append(check_name(str(message_id).lower()))
        except ValueError:
            raise InputError(f"{path}:{number}: not a message id, an audit row or a revocations row") from None
    return list(dict.fromkeys(ids))


async def apply_revocations(store: Store, message_ids: list[str], *, source: str) -> int:
    """Destroy the content keys of these messages (those the restored database knows); how many it did."""
    now = time.time()
    applied = 0
    async with store.transaction() as tx:
        for message_id in message_ids:
            if not await tx.seals.mark_revoked(message_id, at=int(now)):
                continue  # sealed after the backup: not in it
            if await tx.seals.destroy_key(message_id, at=int(now)):
                await tx.audit.add(at=now, action="revoke", message_id=message_id, actor="restore",
                                   detail=f"re-applied after a restore, from {source}"[:200])
                applied += 1
    if applied:
        await store.after_key_destroyed()
    return applied
