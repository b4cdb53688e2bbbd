"""Bearer tokens for the admin API, made by `mailseal admin token` and shown once.

Only the SHA-256 of a token is stored. A token is 256 random bits, so its hash cannot be reversed by
guessing, and a lookup by hash leaks nothing useful through its timing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from typing import Final

from mailseal.errors import AdminTokenRequired, InputError
from mailseal.storage import AdminToken, Store

__all__ = ["AdminToken", "AdminTokens", "token_hash"]

TOKEN_PREFIX: Final = "mailseal_admin_"  # noqa: S105 - a marker, not a secret
MAX_TOKEN_CHARS: Final = 200
TOUCH_INTERVAL_SECONDS: Final = 60
_NAME: Final = re.compile(r"[A-Za-z0-9 ._@-]{1,64}")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AdminTokens:
    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._clock = clock

    async def create(self, name: str = "admin") -> tuple[str, AdminToken]:
        """A new token: the token (to show once) and its stored record."""
        if not _NAME.fullmatch(name):
            raise InputError("A token name is 1-64 letters, digits, spaces or . _ @ -")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = int(self._clock())
        return token, await self.store.admin_tokens.add(token_hash(token), name=name, at=now)

    async def verify(self, token: str) -> AdminToken:
        """The record of a valid token; `AdminTokenRequired` for anything else."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_CHARS:
            raise AdminTokenRequired()
        found = await self.store.admin_tokens.find(token_hash(token))
        if found is None:
            raise AdminTokenRequired()
        now = int(self._clock())
        if found.last_used_at is None or now - found.last_used_at >= TOUCH_INTERVAL_SECONDS:
            await self.store.admin_tokens.touch(found.id, at=now)
        return AdminToken(id=found.id, name=found.name, created_at=found.created_at, last_used_at=now)

    async def list(self) -> list[AdminToken]:
        return await self.store.admin_tokens.all()
