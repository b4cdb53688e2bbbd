"""Rate limits kept in SQLite, so they hold across processes and restarts.

Each limit is a *sliding-window log*: one `rate_events` row per counted event, and a limit of N per W
seconds refuses when N events are younger than W. Unlike a fixed window it allows no double burst at a
window edge, and the wait until the oldest event leaves the window is an exact Retry-After. Refused
attempts are not logged, so the log of one key never holds more than N live rows. Keys are HMACs of
the address or client, so the table holds no addresses and no IP addresses.
"""

from __future__ import annotations

import aiosqlite
import msgspec


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """The numbers behind every identity limit (defaults follow OWASP ASVS 5.0, 6.5 and 6.6)."""

    tries_per_code: int = 5
    # Passcode mails per address: beyond this nothing is sent, silently (see `IdentityService`).
    sends_per_address: int = 3
    send_window_seconds: int = 15 * 60
    # Code requests per client (IP address): beyond this `ClientRateLimited` with Retry-After.
    requests_per_client: int = 10
    request_window_seconds: int = 15 * 60
    # Failed verifications per address: beyond this `AddressLocked` with Retry-After.
    failures_per_address: int = 30
    failure_window_seconds: int = 24 * 60 * 60
    # Failed verifications per client: beyond this `ClientRateLimited` with Retry-After.
    failures_per_client: int = 50
    client_failure_window_seconds: int = 60 * 60

    def __post_init__(self) -> None:
        for field in self.__struct_fields__:
            if getattr(self, field) < 1:
                raise ValueError(f"Limits.{field} must be at least 1")

    @property
    def longest_window(self) -> int:
        return max(
            self.send_window_seconds,
            self.request_window_seconds,
            self.failure_window_seconds,
            self.client_failure_window_seconds,
        )


async def wait_seconds(conn: aiosqlite.Connection, bucket: str, limit: int, window: int, now: int) -> int:
    """0 if one more event fits in the window, else the seconds until it will."""
    async with conn.execute(
        "SELECT at FROM rate_events WHERE bucket = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?",
        (bucket, now - window, limit - 1),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return 0
    # `row` is the limit-th youngest event: one more fits once it has left the window.
    return max(1, int(row[0]) + window - now)


async def record(conn: aiosqlite.Connection, bucket: str, now: int) -> None:
    await conn.execute("INSERT INTO rate_events (bucket, at) VALUES (?, ?)", (bucket, now))


async def forget_older_than(conn: aiosqlite.Connection, cutoff: int) -> None:
    await conn.execute("DELETE FROM rate_events WHERE at <= ?", (cutoff,))
