"""Settings: defaults, then an optional TOML file, then `MAILSEAL_*` environment variables.

Every setting is documented in the README (a test checks it). The TOML file is `MAILSEAL_CONFIG`, else
`<data>/mailseal.toml` when it exists. Keys in the file use the same names as the fields below.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgspec

from mailseal.errors import ConfigError

MiB = 1024 * 1024
DEFAULT_DATA = "./var"


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    """The effective settings of one Mailseal instance."""

    data: str = DEFAULT_DATA
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    dev: bool = False
    log_level: str = "INFO"

    org_name: str = "Mailseal"
    org_domains: tuple[str, ...] = ("example.org",)
    mail_from: str = "no-reply@localhost"
    smtp_url: str = ""

    relay_host: str = "127.0.0.1"
    relay_port: int = 2526
    relay_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    inbound_host: str = "127.0.0.1"
    inbound_port: int = 2525
    inbound_domain: str = "in.localhost"
    relay_users_file: str = ""
    relay_tls_cert_file: str = ""
    relay_tls_key_file: str = ""
    dkim_selector: str = ""
    dkim_domain: str = ""
    dkim_key_file: str = ""

    max_upload_bytes: int = 30 * MiB
    max_message_bytes: int = 30 * MiB
    view_cache_mib: int = 64
    session_idle_minutes: int = 12 * 60
    session_absolute_hours: int = 14 * 24
    code_ttl_minutes: int = 10

    # Heavy work (parsing uploads, rendering messages) runs in a pool of worker processes (jobs/).
    jobs_workers: int = 0  # 0: one per CPU
    jobs_waiting: int = 16
    jobs_time_limit_seconds: int = 30
    jobs_recycle_after: int = 200
    jobs_recycle_mib: int = 96
    jobs_memory_limit_mib: int = 1024

    push_contact: str = "mailto:admin@example.org"
    push_services: tuple[str, ...] = ()
    push_allow_loopback: bool = False

    @property
    def data_path(self) -> Path:
        return Path(self.data).expanduser().resolve()

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def redacted(self) -> dict[str, Any]:
        """The settings as a dict with secrets hidden, for `mailseal config`."""
        out: dict[str, Any] = msgspec.structs.asdict(self)
        if self.smtp_url:
            out["smtp_url"] = redact_url(self.smtp_url)
        return out


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _from_env(environ: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    fields = {f.name: f for f in msgspec.structs.fields(Settings)}
    for name, field in fields.items():
        raw = environ.get(f"MAILSEAL_{name.upper()}")
        if raw is None:
            continue
        if field.type is bool:
            values[name] = raw.strip().lower() in {"1", "true", "yes", "on"}
        elif field.type is int:
            try:
                values[name] = int(raw)
            except ValueError as exc:
                raise ConfigError(f"MAILSEAL_{name.upper()} must be a whole number") from exc
        elif field.type == tuple[str, ...]:
            values[name] = tuple(item.strip() for item in raw.split(",") if item.strip())
        else:
            values[name] = raw
    return values


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build the settings; `overrides` (from command-line flags) win over everything else."""
    env = dict(os.environ if environ is None else environ)
    from_env = _from_env(env)
    data = overrides.get("data") or from_env.get("data") or DEFAULT_DATA
    file_values: dict[str, Any] = {}
    config_file = env.get("MAILSEAL_CONFIG") or str(Path(data) / "mailseal.toml")
    if Path(config_file).is_file():
        try:
            file_values = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{config_file}: {exc}") from exc
    merged = {**file_values, **from_env, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return msgspec.convert(merged, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(str(exc)) from exc
