"""What `mailseal serve` checks before its banner: everything that would otherwise fail in the middle of
startup, where Litestar and uvicorn turn it into a traceback.

Each problem is a `SettingError` naming the setting; the CLI adds where its value came from.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from mailseal.config import Settings
from mailseal.errors import ConfigError, SettingError
from mailseal.roles import Parts, parts_of


def check_before_serving(settings: Settings, parts: Parts | None = None) -> None:
    """Files that must load, the key ring that must open, and ports that must be free; raises the first problem."""
    from mailseal.mail.dkim import DkimSigner
    from mailseal.mail.listeners import tls_context_from_files
    from mailseal.mail.relay_users import RelayUsers
    from mailseal.mail.smtp_queue import parse_smtp_url
    from mailseal.push import validate_contact
    from mailseal.push.egress import EgressPolicy

    checks: list[tuple[str, Callable[[], object]]] = [
        ("smtp_url", lambda: settings.smtp_url and parse_smtp_url(settings.smtp_url)),
        ("dkim_key_file", lambda: DkimSigner.from_settings(settings)),
        ("relay_tls_cert_file",
         lambda: tls_context_from_files(settings.relay_tls_cert_file, settings.relay_tls_key_file)),
        ("relay_users_file", lambda: settings.relay_users_file and RelayUsers.load(Path(settings.relay_users_file))),
        ("push_contact",
         lambda: validate_contact(settings.push_contact, allow_local=settings.push_allow_loopback)),
        ("push_services", lambda: EgressPolicy.with_services(settings.push_services)),
    ]
    for setting, check in checks:
        try:
            check()
        except SettingError:
            raise
        except ConfigError as exc:
            raise SettingError(setting, exc.detail) from None
    from mailseal.keys import check_key_ring

    check_key_ring(settings, settings.data_path / "keys")
    parts = parts or parts_of(settings)
    listens = [("port", settings.host, settings.port)] if parts.web else []
    if parts.smtp:
        listens += [("relay_port", settings.relay_host, settings.relay_port),
                    ("inbound_port", settings.inbound_host, settings.inbound_port)]
    for setting, host, port in listens:
        problem = _cannot_listen(host, port)
        if problem is not None:
            raise SettingError(setting, f"cannot listen on {host}:{port} ({problem}); allowed: a free port")


def _cannot_listen(host: str, port: int) -> str | None:
    """Why `host:port` cannot be bound now, or None. Binds as asyncio's servers do, then lets go."""
    if port == 0:
        return None
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return exc.strerror or "unknown host"
    for family, kind, protocol, _, address in addresses:
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                return exc.strerror or str(exc)
    return None
