"""Offline reading: the server's word on the copies a device keeps.

A device keeps what it opened, encrypted under a key it made and never sends (docs/offline.md). It asks
here at every contact whether each copy may live on: the same policy decision as an open (revoked,
expired, not yours), without unwrapping, and whether the organisation lets it be kept at all. A copy
whose answer is not `ok` and `keep` is deleted by the device.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Literal

import msgspec

from mailseal.errors import MessageExpired, MessageRevoked, NotARecipient, UnknownKey
from mailseal.keys import Identity, KeyService, SealRecord
from mailseal.rules import DO_NOT_FORWARD, Template

MAX_KEPT_IDS: Final = 500

KeptStateName = Literal["ok", "revoked", "expired", "gone"]


class OfflinePolicy(msgspec.Struct, frozen=True, kw_only=True):
    """What the organisation lets a device keep (from the settings)."""

    enabled: bool
    attachment_max_bytes: int
    store_max_bytes: int
    confirm_days: int


class KeptState(msgspec.Struct, frozen=True, kw_only=True):
    """One kept message's fate: `ok` (and whether it may stay kept), or why it must go."""

    message_id: str
    state: KeptStateName
    keep: bool
    expires_at: int | None = None


def may_keep(record: SealRecord, template: Template | None, policy: OfflinePolicy) -> bool:
    """Never when the organisation forbids it, never Do-Not-Forward (or any template without `forward`)."""
    if not policy.enabled or record.template == DO_NOT_FORWARD or "forward" not in record.rights:
        return False
    return template.offline if template is not None else True


async def confirm_kept(
    keys: KeyService,
    identity: Identity,
    message_ids: Sequence[str],
    *,
    templates: Callable[[str], Template | None],
    policy: OfflinePolicy,
) -> list[KeptState]:
    """The state of each message a device keeps, for this identity, in the order asked (duplicates once)."""
    answers: list[KeptState] = []
    for message_id in dict.fromkeys(message_ids):
        try:
            record = await keys.check(message_id, identity)
        except MessageRevoked:
            answers.append(KeptState(message_id=message_id, state="revoked", keep=False))
        except MessageExpired:
            answers.append(KeptState(message_id=message_id, state="expired", keep=False))
        except (NotARecipient, UnknownKey):
            answers.append(KeptState(message_id=message_id, state="gone", keep=False))
        else:
            keep = may_keep(record, templates(record.template), policy)
            answers.append(KeptState(message_id=message_id, state="ok", keep=keep, expires_at=record.expires_at))
    return answers
