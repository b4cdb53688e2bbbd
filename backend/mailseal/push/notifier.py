"""The push side of `messages.Notifier`: from the addresses a message reached to their devices.

Which devices hold which addresses is the identity room's knowledge, so it is passed in as a
function; this keeps the push room free of identity's tables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from mailseal.push.payload import Kind
from mailseal.push.service import PushService

DevicesFor = Callable[[Sequence[str]], Awaitable[list[str]]]


class PushNotifier:
    def __init__(self, push: PushService, devices_for: DevicesFor) -> None:
        self._push = push
        self._devices_for = devices_for

    async def message_arrived(self, addresses: Sequence[str], message_id: str, kind: str) -> None:
        devices = await self._devices_for(addresses)
        if devices:
            push_kind: Kind = "reply" if kind == "reply" else "message"
            await self._push.notify(devices, message_id, push_kind)
