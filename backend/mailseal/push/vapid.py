"""VAPID (RFC 8292): the server's P-256 key that push services use to recognise our pushes.

The key lives in `<data>/keys/vapid.pem` (mode 0600, created on first start). Browsers subscribe with its
public half (`application_server_key`); every push carries a short-lived ES256 JWT signed with it.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from mailseal.errors import ConfigError

VAPID_FILE = "vapid.pem"
# Apple refuses tokens whose `exp` is more than a day ahead; stay well inside it.
TOKEN_LIFETIME_SECONDS = 12 * 60 * 60

# Contact hosts that no push service can reach; Apple answers 403 BadJwtToken for them.
_UNREACHABLE_SUFFIXES = ("localhost", "local", "invalid", "test", "example", "internal", "home.arpa", "lan")
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")
_LOCAL_PART = re.compile(r"[A-Za-z0-9.!#$&'*+/=^_`{|}~-]{1,64}")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class VapidKeys:
    """The server's VAPID key pair."""

    private_key: ec.EllipticCurvePrivateKey

    @property
    def public_bytes(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )

    @property
    def application_server_key(self) -> str:
        """The public key as base64url of the uncompressed point, for `PushManager.subscribe()`."""
        return b64url(self.public_bytes)

    def authorization(self, audience: str, subject: str, *, now: float | None = None) -> str:
        """The `Authorization: vapid t=…, k=…` header value for one push service origin."""
        issued = int(time.time() if now is None else now)
        claims = {"aud": audience, "sub": subject, "exp": issued + TOKEN_LIFETIME_SECONDS}
        # We check `sub` ourselves (validate_contact); py_vapid's own check refuses https URLs with a path.
        headers = cast(dict[str, str], Vapid02(self.private_key, conf={"no-strict": True}).sign(claims))
        return headers["Authorization"]


class AuthorizationCache:
    """Signed `Authorization` headers reused per push service origin for the first half of their
    lifetime, so a fan-out to many devices signs once per origin instead of once per push. A reused
    token still has at least half its lifetime (6 h) left when it is sent."""

    MAX_ORIGINS = 64  # origins come from the configured push services; a bound all the same

    def __init__(self, keys: VapidKeys, subject: str) -> None:
        self._keys = keys
        self._subject = subject
        self._signed: dict[str, tuple[float, str]] = {}  # origin -> (signed at, header)

    def header(self, audience: str, now: float) -> str:
        cached = self._signed.get(audience)
        if cached is not None and 0 <= now - cached[0] < TOKEN_LIFETIME_SECONDS / 2:
            return cached[1]
        header = self._keys.authorization(audience, self._subject, now=now)
        if len(self._signed) >= self.MAX_ORIGINS:
            self._signed.clear()
        self._signed[audience] = (now, header)
        return header


def load_or_create_vapid(keys_dir: Path) -> VapidKeys:
    """Load `<keys_dir>/vapid.pem`, creating it (0600, folder 0700) on first start."""
    path = keys_dir / VAPID_FILE
    if not path.exists():
        _create(path)
    if path.stat().st_mode & 0o077:
        raise ConfigError(f"{path} must not be readable by others (chmod 600)")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise ConfigError(f"{path} is not a valid VAPID key") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ConfigError(f"{path} must hold a P-256 key")
    return VapidKeys(key)


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        # A link, not a replace: two processes starting at once keep the first key.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def validate_contact(contact: str, *, allow_local: bool = False) -> str:
    """Check the VAPID `sub`: a `mailto:` or `https:` URI that a push service could reach.

    `allow_local` lets tests use `mailto:…@localhost`; Apple refuses such tokens.
    """
    if contact.startswith("mailto:"):
        local, sep, host = contact[len("mailto:") :].rpartition("@")
        if not sep or not _LOCAL_PART.fullmatch(local):
            raise ConfigError("push_contact must be mailto:<address> or an https: URL")
    elif contact.startswith("https://"):
        rest = contact[len("https://") :]
        host = re.split(r"[/?#]", rest, maxsplit=1)[0]
        if not contact.isascii() or any(c.isspace() for c in contact):
            raise ConfigError("push_contact must be mailto:<address> or an https: URL")
    else:
        raise ConfigError("push_contact must be mailto:<address> or an https: URL")
    host = host.lower()
    if allow_local:
        return contact
    if not _HOST.fullmatch(host) or _is_ip(host) or _unreachable(host):
        raise ConfigError("push_contact must name a real, public domain (Apple refuses localhost and the like)")
    return contact


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _unreachable(host: str) -> bool:
    return any(host == suffix or host.endswith("." + suffix) for suffix in _UNREACHABLE_SUFFIXES)
