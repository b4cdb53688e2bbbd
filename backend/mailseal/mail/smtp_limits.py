"""How much of a listener one SMTP client may hold: connections, time, and commands that move no mail.

Without these bounds one client could hold every connection slot for as long as it liked (a `NOOP`
now and then keeps an idle session alive), and nobody else would get a `220`. Clients are told apart
by IP address; an IPv6 client by its /64, since one host can use a whole /64.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from typing import Any, Final

import msgspec

from mailseal.mail.smtp_session import address_of

MAX_CONNECTIONS: Final = 100
MAX_CLIENT_CONNECTIONS: Final = 10
IDLE_TIMEOUT_SECONDS: Final = 120.0
SESSION_SECONDS: Final = 600.0
MAX_COMMANDS_WITHOUT_MAIL: Final = 20
# Commands that move no mail, counted since the session's last accepted mail: these always, ...
COMMANDS_WITHOUT_MAIL: Final = frozenset({"NOOP", "RSET", "HELP", "VRFY", "EXPN", "HELO", "EHLO"})
# ... these when refused (a guessed password, a probed address, a sender that is not valid).
COUNTED_WHEN_REFUSED: Final = frozenset({"AUTH", "MAIL", "RCPT"})
UNKNOWN_CLIENT: Final = "unknown"


class SessionLimits(msgspec.Struct, frozen=True, kw_only=True):
    """The bounds one listener enforces; the defaults are what `mailseal serve` uses."""

    max_connections: int = MAX_CONNECTIONS  # in all, whoever holds them
    max_client_connections: int = MAX_CLIENT_CONNECTIONS  # from one client at a time
    idle_seconds: float = IDLE_TIMEOUT_SECONDS  # between two commands
    session_seconds: float = SESSION_SECONDS  # from the 220 to the close, busy or idle
    max_commands_without_mail: int = MAX_COMMANDS_WITHOUT_MAIL  # since the last accepted mail


def client_key(peer: Any) -> str:
    """Who a connection counts against: its IP address, an IPv6 address's /64, or `unknown`."""
    address = address_of(peer)
    if address is None:
        return UNKNOWN_CLIENT
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class ConnectionTally:
    """Open connections, in all and per client, checked when a connection arrives."""

    def __init__(self, limits: SessionLimits) -> None:
        self.limits = limits
        self.total = 0
        self._by_client: Counter[str] = Counter()

    def of(self, client: str) -> int:
        return self._by_client[client]

    def refusal(self, client: str) -> str | None:
        """Which bound a new connection from `client` would break: "total", "client", or None."""
        if self.total >= self.limits.max_connections:
            return "total"
        if self._by_client[client] >= self.limits.max_client_connections:
            return "client"
        return None

    def add(self, client: str) -> None:
        self.total += 1
        self._by_client[client] += 1

    def remove(self, client: str) -> None:
        self.total -= 1
        self._by_client[client] -= 1
        if self._by_client[client] <= 0:
            del self._by_client[client]

    def clear(self) -> None:
        self.total = 0
        self._by_client.clear()
