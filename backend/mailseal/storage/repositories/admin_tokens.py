"""Admin API tokens, stored only as their SHA-256."""

from __future__ import annotations

import msgspec

from mailseal.storage.repositories.base import Repository


class AdminToken(msgspec.Struct, frozen=True):
    """A stored admin token (never the token itself)."""

    id: int
    name: str
    created_at: int
    last_used_at: int | None


_COLUMNS = "id, name, created_at, last_used_at"


class AdminTokenRows(Repository):
    """The `admin_tokens` table."""

    __slots__ = ()

    async def add(self, token_hash: str, *, name: str, at: int) -> AdminToken:
        row = await self._write_returning(
            f"INSERT INTO admin_tokens (token_hash, name, created_at) VALUES (?, ?, ?) RETURNING {_COLUMNS}",
            (token_hash, name, at),
        )
        assert row is not None  # an INSERT … RETURNING returns its row
        return AdminToken(id=row[0], name=row[1], created_at=row[2], last_used_at=row[3])

    async def find(self, token_hash: str) -> AdminToken | None:
        row = await self._fetch_one(f"SELECT {_COLUMNS} FROM admin_tokens WHERE token_hash = ?", (token_hash,))
        return None if row is None else AdminToken(id=row[0], name=row[1], created_at=row[2], last_used_at=row[3])

    async def touch(self, token_id: int, *, at: int) -> None:
        await self._execute("UPDATE admin_tokens SET last_used_at = ? WHERE id = ?", (at, token_id))

    async def all(self) -> list[AdminToken]:
        rows = await self._fetch_all(f"SELECT {_COLUMNS} FROM admin_tokens ORDER BY id")
        return [AdminToken(id=r[0], name=r[1], created_at=r[2], last_used_at=r[3]) for r in rows]
