"""Rate limits kept in the database, so they hold across processes, servers and restarts.

Each limit is a *sliding-window log*: one `rate_events` row per counted event, and a limit of N per W
seconds refuses when N events are younger than W. Unlike a fixed window it allows no double burst at a
window edge, and the wait until the oldest event leaves the window is an exact Retry-After. Refused
attempts are not logged, so the log of one key never holds more than N live rows. Keys are HMACs of
the address or client, so the table holds no addresses and no IP addresses.
"""

from __future__ import annotations

import msgspec

from mailseal.storage import RateEvents


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """The numbers behind every identity limit (defaults follow OWASP ASVS 5.0, 6.5 and 6.6).

    The README's attacker table works out what they allow; change both together.
    """

    # Tries at one code by one client. Counted per (code, client), so nobody can spend the owner's.
    tries_per_code: int = 5
    # Codes of one shape pending (not expired, not used) at once for one address: beyond this nothing is
    # sent, silently (see `IdentityService`), so a request that mails nothing always leaves this many
    # fresh codes in the mailbox. It also caps the mails: this many per address per code lifetime.
    pending_per_address: int = 3
    # Code requests per client (IP address): beyond this `ClientRateLimited` with Retry-After.
    requests_per_client: int = 10
    request_window_seconds: int = 15 * 60
    # Failed guesses at one address by one client: beyond this that client waits (`ClientRateLimited`).
    failures_per_address_client: int = 10
    address_client_failure_window_seconds: int = 24 * 60 * 60
    # Failed guesses at one address by all clients together: beyond this the address is *guarded*: codes
    # mailed for it are long (16 digits), and 8-digit codes are not checked at all.
    failures_per_address: int = 20
    failure_window_seconds: int = 24 * 60 * 60
    # Failed verifications per client (all addresses): beyond this `ClientRateLimited` with Retry-After.
    failures_per_client: int = 50
    client_failure_window_seconds: int = 60 * 60

    def __post_init__(self) -> None:
        for field in self.__struct_fields__:
            if getattr(self, field) < 1:
                raise ValueError(f"Limits.{field} must be at least 1")

    @property
    def longest_window(self) -> int:
        return max(
            self.request_window_seconds,
            self.address_client_failure_window_seconds,
            self.failure_window_seconds,
            self.client_failure_window_seconds,
        )


async def wait_seconds(events: RateEvents, bucket: str, limit: int, window: int, now: int) -> int:
    """0 if one more event fits in the window, else the seconds until it will."""
    # The limit-th youngest event in the window: one more fits once it has left the window.
    oldest_counted = await events.youngest_at(bucket, after=now - window, skip=limit - 1)
    if oldest_counted is None:
        return 0
    return max(1, oldest_counted + window - now)
