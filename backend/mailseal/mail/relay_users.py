"""Who may submit to the relay with SMTP AUTH: a file of `login:scrypt$N$r$p$salt$hash` lines.

Only password hashes are stored (scrypt, RFC 7914). An unknown login costs the same scrypt as a known
one, so the time of an answer does not tell which logins exist. Make a line with

    python -m mailseal.mail.relay_users LOGIN      (asks for the password twice in a terminal,
                                                   else reads it as the first line of standard input)
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
import sys
from pathlib import Path
from typing import Final

from mailseal.errors import ConfigError

SCHEME: Final = "scrypt"
N: Final = 2**14
R: Final = 8
P: Final = 1
SALT_BYTES: Final = 16
HASH_BYTES: Final = 32
MAX_PASSWORD_BYTES: Final = 1024
MAX_LOGIN_CHARS: Final = 256
_DUMMY_SALT: Final = b"mailseal-dummy-salt"


def _scrypt(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=HASH_BYTES)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """The stored form of a password: `scrypt$N$r$p$salt$hash` (base64)."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password.encode("utf-8"), salt, N, R, P)
    return f"{SCHEME}${N}${R}${P}${_b64(salt)}${_b64(digest)}"


class _Entry:
    def __init__(self, n: int, r: int, p: int, salt: bytes, digest: bytes) -> None:
        self.n, self.r, self.p, self.salt, self.digest = n, r, p, salt, digest


def _parse_hash(text: str, where: str) -> _Entry:
    parts = text.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise ConfigError(f"{where}: expected login:scrypt$N$r$p$salt$hash")
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except ValueError as exc:
        raise ConfigError(f"{where}: the hash is not valid") from exc
    if not (2**10 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16 and digest):
        raise ConfigError(f"{where}: the scrypt parameters are out of range")
    return _Entry(n, r, p, salt, digest)


class RelayUsers:
    """The logins allowed to authenticate to the relay."""

    def __init__(self, entries: dict[str, _Entry]) -> None:
        self._entries = entries

    @classmethod
    def load(cls, path: str | Path) -> RelayUsers:
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: the relay users file cannot be read") from exc
        entries: dict[str, _Entry] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            login, sep, stored = line.partition(":")
            where = f"{file}, line {number}"
            if not sep or not login or len(login) > MAX_LOGIN_CHARS:
                raise ConfigError(f"{where}: expected login:scrypt$N$r$p$salt$hash")
            entries[login] = _parse_hash(stored, where)
        return cls(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def check(self, login: str, password: bytes) -> bool:
        """Whether the password is right for the login (constant work whether the login exists or not)."""
        entry = self._entries.get(login)
        if len(password) > MAX_PASSWORD_BYTES:
            return False
        if entry is None:
            _scrypt(password, _DUMMY_SALT, N, R, P)
            return False
        candidate = _scrypt(password, entry.salt, entry.n, entry.r, entry.p)
        return hmac.compare_digest(candidate, entry.digest)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or ":" in argv[0]:
        print("usage: python -m mailseal.mail.relay_users LOGIN", file=sys.stderr)
        return 2
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {argv[0]}: ")
        if not password or password != getpass.getpass("again: "):
            print("the passwords are empty or differ", file=sys.stderr)
            return 1
    else:  # piped: one line, no prompt and no confirmation (a script typed it)
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            print("no password: give it as the first line of standard input, or run this in a terminal",
                  file=sys.stderr)
            return 1
    print(f"{argv[0]}:{hash_password(password)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
