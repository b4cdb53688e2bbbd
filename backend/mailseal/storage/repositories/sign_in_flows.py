"""Federated sign-ins under way (the identity room's OpenID Connect flows): single-use, short-lived rows."""

from __future__ import annotations

import msgspec

from mailseal.storage.repositories.base import Repository


class SignInFlow(msgspec.Struct, frozen=True, kw_only=True):
    """What the callback of one sign-in needs. `state_hash` and `binding_hash` are SHA-256 hex digests."""

    state_hash: str
    binding_hash: str
    provider: str
    nonce: str
    code_verifier: str
    return_to: str
    expires_at: int


class SignInFlowRows(Repository):
    __slots__ = ()

    async def add(self, flow: SignInFlow) -> None:
        await self._execute(
            "INSERT INTO sign_in_flows (state_hash, binding_hash, provider, nonce, code_verifier, return_to,"
            " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (flow.state_hash, flow.binding_hash, flow.provider, flow.nonce, flow.code_verifier, flow.return_to,
             flow.expires_at),
        )

    async def take(self, state_hash: str) -> SignInFlow | None:
        """The flow of this state, deleted in the same statement: a second callback finds nothing."""
        row = await self._write_returning(
            "DELETE FROM sign_in_flows WHERE state_hash = ?"
            " RETURNING state_hash, binding_hash, provider, nonce, code_verifier, return_to, expires_at",
            (state_hash,),
        )
        if row is None:
            return None
        return SignInFlow(state_hash=row[0], binding_hash=row[1], provider=row[2], nonce=row[3],
                          code_verifier=row[4], return_to=row[5], expires_at=row[6])

    async def live_count(self, *, now: int) -> int:
        row = await self._fetch_one("SELECT COUNT(*) FROM sign_in_flows WHERE expires_at > ?", (now,))
        return int(row[0]) if row is not None else 0

    async def forget_expired(self, *, now: int) -> None:
        await self._execute("DELETE FROM sign_in_flows WHERE expires_at <= ?", (now,))
