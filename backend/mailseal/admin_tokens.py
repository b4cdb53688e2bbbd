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

import msgspec

from mailseal.errors import AdminTokenRequired, InputError
from mailseal.storage import Database

TOKEN_PREFIX: Final = "mailseal_admin_"  # noqa: S105 - a marker, not a secret
MAX_TOKEN_CHARS: Final = 200
TOUCH_INTERVAL_SECONDS: Final = 60
_NAME: Final = re.compile(r"[A-Za-z0-9 ._@-]{1,64}")


class AdminToken(msgspec.Struct, frozen=True):
    """A stored admin token (never the token itself)."""

    id: int
    name: str
    created_at: int
    last_used_at: int | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AdminTokens:
    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._clock = clock

    async def create(self, name: str = "admin") -> tuple[str, AdminToken]:
        """A new token: the token (to show once) and its stored record."""
        if not _NAME.fullmatch(name):
            raise InputError("A token name is 1-64 letters, digits, spaces or . _ @ -")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = int(self._clock())
        async with self.db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO admin_tokens (token_hash, name, created_at) VALUES (?, ?, ?)",
                (token_hash(token), name, now),
            )
            token_id = int(cursor.lastrowid or 0)
        return token, AdminToken(id=token_id, name=name, created_at=now, last_used_at=None)

    async def verify(self, token: str) -> AdminToken:
        """The record of a valid token; `AdminTokenRequired` for anything else."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_CHARS:
            raise AdminTokenRequired()
        row = await self.db.fetch_one(
            "SELECT id, name, created_at, last_used_at FROM admin_tokens WHERE token_hash = ?", (token_hash(token),)
        )
        if row is None:
            raise AdminTokenRequired()
        now = int(self._clock())
        if row["last_used_at"] is None or now - row["last_used_at"] >= TOUCH_INTERVAL_SECONDS:
            async with self.db.write() as conn:
                await conn.execute("UPDATE admin_tokens SET last_used_at = ? WHERE id = ?", (now, row["id"]))
        return AdminToken(id=row["id"], name=row["name"], created_at=row["created_at"], last_used_at=now)

    async def list(self) -> list[AdminToken]:
        rows = await self.db.fetch_all("SELECT id, name, created_at, last_used_at FROM admin_tokens ORDER BY id")
        return [AdminToken(row["id"], row["name"], row["created_at"], row["last_used_at"]) for row in rows]
