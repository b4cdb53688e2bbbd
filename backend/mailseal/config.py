"""Settings: defaults, then an optional TOML file, then `MAILSEAL_*` environment variables, then flags.

Every setting is documented in the README (a test checks it). The TOML file is `MAILSEAL_CONFIG`, else
`<data>/mailseal.toml` when it exists. Keys in the file use the same names as the fields below.
`load_settings` is the one place they are checked: a wrong value, an unknown key or a bad combination
is a `SettingError` naming the setting, where its value came from and what is allowed.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgspec

from mailseal.errors import ConfigError, SettingError
from mailseal.languages import checked_languages

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
    log_format: str = "text"
    database_url: str = ""
    blob_url: str = ""
    trusted_proxies: tuple[str, ...] = ()

    org_name: str = "Mailseal"
    org_domains: tuple[str, ...] = ("example.org",)
    mail_from: str = "no-reply@localhost"
    mail_languages: tuple[str, ...] = ("en",)  # the wrapper's and message.html's; two: bilingual
    smtp_url: str = ""

    # Which parts of Mailseal this process runs (roles.py): all, web, smtp or worker.
    role: str = "all"
    web_workers: int = 1  # HTTP worker processes of the web role
    smtp_listeners: bool = True  # false: this server runs no relay and no inbound listener (another does)
    relay_host: str = "127.0.0.1"
    relay_port: int = 2526
    relay_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    inbound_host: str = "127.0.0.1"
    inbound_port: int = 2525
    inbound_domain: str = "in.localhost"
    relay_users_file: str = ""
    relay_tls_cert_file: str = ""
    relay_tls_key_file: str = ""
    smtp_client_connections: int = 10
    mail_queue_lease_seconds: int = 900
    dkim_selector: str = ""
    dkim_domain: str = ""
    dkim_key_file: str = ""

    key_store: str = "file"
    key_passphrase_file: str = ""
    pkcs11_module: str = ""
    pkcs11_token_label: str = ""
    pkcs11_pin_file: str = ""

    max_upload_bytes: int = 30 * MiB
    max_message_bytes: int = 30 * MiB
    view_cache_mib: int = 64
    session_idle_minutes: int = 12 * 60
    session_absolute_hours: int = 14 * 24
    code_ttl_minutes: int = 10
    passkeys: bool = True  # sign-in with passkeys (WebAuthn) for people who signed in by code before

    # Sign-in methods (README: Configuration, Threat model). The passcode works for every address except
    # those at `passcode_off_domains`; each identity provider is off until its client id is set.
    passcode_off_domains: tuple[str, ...] = ()
    oidc_google_client_id: str = ""
    oidc_google_client_secret: str = ""
    oidc_google_issuer: str = "https://accounts.google.com"
    oidc_microsoft_client_id: str = ""
    oidc_microsoft_client_secret: str = ""
    oidc_microsoft_tenant: str = "common"  # personal and work accounts; consumers, organizations or a tenant id
    oidc_microsoft_authority: str = "https://login.microsoftonline.com"
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_name: str = ""
    oidc_allow_loopback: bool = False  # tests only: a provider on http://127.0.0.1

    # Offline reading (opt-in per device): what a phone may keep, encrypted under its own key.
    offline_reading: bool = True  # false: no device keeps anything, and kept copies are deleted at next contact
    offline_attachment_max_bytes: int = 10 * MiB
    offline_store_max_mib: int = 200
    offline_confirm_days: int = 7

    audit_retention_days: int = 0  # 0: keep every audit row; else opens older than this go (see keys/audit_retention)

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
    push_queue_lease_seconds: int = 60
    push_queue_per_device: int = 100
    push_queue_max: int = 100000

    # Watching it run: /metrics (admin token), optionally also on a listener of its own; /readyz.
    metrics_listen: str = ""
    ready_queue_age_seconds: int = 900

    @property
    def data_path(self) -> Path:
        return Path(self.data).expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        """`database_url`, else the SQLite file in the data folder."""
        return self.database_url or "sqlite" + (self.data_path / "mailseal.sqlite").as_uri().removeprefix("file")

    @property
    def resolved_blob_url(self) -> str:
        """`blob_url`, else the blob folder in the data folder."""
        return self.blob_url or (self.data_path / "blobs").as_uri()

    @property
    def base_url(self) -> str:
        """The origin people use: `public_url`, else the listen address (for a server on this machine)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def redacted(self) -> dict[str, Any]:
        """The effective settings as a dict with secrets hidden, for `mailseal config`."""
        out: dict[str, Any] = msgspec.structs.asdict(self)
        out["public_url"] = self.base_url
        if self.smtp_url:
            out["smtp_url"] = redact_url(self.smtp_url)
        if self.database_url:
            out["database_url"] = redact_url(self.database_url)
        for name in HIDDEN_SETTINGS:
            if out[name]:
                out[name] = "***"
        return out


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


# Where each value came from, by setting name: "default", "<file> line N", "environment variable X", "flag --x".
Sources = dict[str, str]

DEFAULT_SOURCE = "default"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
SECRET_SETTINGS = frozenset({"smtp_url"})
# Shown as *** by `mailseal config` and never echoed in an error about them.
HIDDEN_SETTINGS = ("oidc_google_client_secret", "oidc_microsoft_client_secret", "oidc_client_secret")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
_TOML_KEY = re.compile(r"""\s*\[*\s*["']?([A-Za-z0-9_-]+)""")


def _fields() -> dict[str, msgspec.structs.FieldInfo]:
    return {f.name: f for f in msgspec.structs.fields(Settings)}


def _shown(name: str, value: Any) -> str:
    if name in HIDDEN_SETTINGS:
        return "(hidden)"
    if name in SECRET_SETTINGS and isinstance(value, str):
        value = redact_url(value)
    return repr(value)


def _kind(field_type: Any) -> str:
    if field_type is bool:
        return "true or false"
    if field_type is int:
        return "a whole number"
    if field_type == tuple[str, ...]:
        return "a list of text values (comma-separated in the environment)"
    return "text"


def _convert(name: str, field_type: Any, raw: Any, source: str) -> Any:
    try:
        return msgspec.convert(raw, field_type, strict=False)
    except msgspec.ValidationError:
        raise SettingError(name, f"{_shown(name, raw)} is not {_kind(field_type)}", source=source) from None


def _from_env(environ: Mapping[str, str], sources: Sources) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, field in _fields().items():
        variable = f"MAILSEAL_{name.upper()}"
        raw = environ.get(variable)
        if raw is None:
            continue
        source = f"environment variable {variable}"
        if field.type is bool:
            word = raw.strip().lower()
            if word not in _TRUE | _FALSE:
                raise SettingError(name, f"{raw!r} is not one of 1, 0, true, false, yes, no, on, off", source=source)
            values[name] = word in _TRUE
        elif field.type == tuple[str, ...]:
            values[name] = tuple(item.strip() for item in raw.split(",") if item.strip())
        else:
            values[name] = _convert(name, field.type, raw.strip() if field.type is int else raw, source)
        sources[name] = source
    return values


def _line_of(text: str, key: str) -> int | None:
    """The first line that sets `key` or opens a table named `key` (mailseal.toml has no tables)."""
    for number, line in enumerate(text.splitlines(), start=1):
        match = _TOML_KEY.match(line)
        if match and match[1] == key and not line.lstrip().startswith("#"):
            return number
    return None


def _from_file(path: Path, sources: Sources) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        table = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    fields = _fields()
    values: dict[str, Any] = {}
    for key, raw in table.items():
        line = _line_of(text, key)
        source = f"{path} line {line}" if line else str(path)
        if key not in fields:
            close = difflib.get_close_matches(key, fields, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise SettingError(key, f"not a setting (the settings are listed in the README){hint}", source=source)
        values[key] = _convert(key, fields[key].type, raw, source)
        sources[key] = source
    return values


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build and check the settings; `overrides` (from command-line flags) win over everything else."""
    return load_settings_with_sources(environ, **overrides)[0]


def load_settings_with_sources(environ: Mapping[str, str] | None = None, **overrides: Any) -> tuple[Settings, Sources]:
    """The settings and where each value came from, for error messages about them after loading."""
    env = os.environ if environ is None else environ
    fields = _fields()
    sources: Sources = dict.fromkeys(fields, DEFAULT_SOURCE)
    env_sources: Sources = {}
    from_env = _from_env(env, env_sources)
    flags = {name: value for name, value in overrides.items() if value is not None}
    data = flags.get("data") or from_env.get("data") or DEFAULT_DATA
    from_file: dict[str, Any] = {}
    named_file = env.get("MAILSEAL_CONFIG")
    config_file = Path(named_file or Path(data) / "mailseal.toml")
    if named_file and not config_file.is_file():
        raise SettingError("MAILSEAL_CONFIG", f"{named_file!r} is not a file", source="environment variable")
    if config_file.is_file():
        from_file = _from_file(config_file, sources)
    sources.update(env_sources)  # the environment wins over the file
    for name, value in flags.items():
        source = f"flag --{name.replace('_', '-')}"
        flags[name] = _convert(name, fields[name].type, value, source)
        sources[name] = source
    settings = Settings(**{**from_file, **from_env, **flags})
    check_settings(settings, sources)
    return msgspec.structs.replace(settings, log_level=settings.log_level.upper()), sources


def check_settings(settings: Settings, sources: Mapping[str, str]) -> None:
    """Every rule that one value or a combination must follow; the first broken one is raised."""
    for name, check in CHECKS.items():
        problem = check(settings)
        if problem is not None:
            raise SettingError(name, problem, source=_source_of(name, settings, sources))


def _source_of(name: str, settings: Settings, sources: Mapping[str, str]) -> str:
    source = sources.get(name, DEFAULT_SOURCE)
    if name == "public_url" and not settings.public_url:
        return f"not set, so {settings.base_url} from host ({sources.get('host')}) and port ({sources.get('port')})"
    return source


def _log_level(settings: Settings) -> str | None:
    if settings.log_level.upper() in LOG_LEVELS:
        return None
    return f"{settings.log_level!r} is not a log level; allowed: {', '.join(LOG_LEVELS)} (any case)"


def _log_format(settings: Settings) -> str | None:
    if settings.log_format in LOG_FORMATS:
        return None
    return f"{settings.log_format!r} is not a log format; allowed: {', '.join(LOG_FORMATS)}"


def _listen_address(name: str) -> Callable[[Settings], str | None]:
    """Empty (off), or HOST:PORT with a port from 0 (any free port) to 65535 ([::1]:9464 for IPv6)."""

    def check(settings: Settings) -> str | None:
        value = getattr(settings, name)
        if not value:
            return None
        host, _, port = value.rpartition(":")
        if host and port.isdigit() and 0 <= int(port) <= 65535:
            return None
        return f"{value!r} is not HOST:PORT; allowed: empty (off) or an address such as 127.0.0.1:9464"

    return check


def _port(name: str) -> Callable[[Settings], str | None]:
    def check(settings: Settings) -> str | None:
        value = getattr(settings, name)
        return None if 0 <= value <= 65535 else f"{value} is not a port; allowed: 0 to 65535 (0: any free port)"

    return check


def _at_least(name: str, low: int, high: int | None = None) -> Callable[[Settings], str | None]:
    def check(settings: Settings) -> str | None:
        value = getattr(settings, name)
        if value >= low and (high is None or value <= high):
            return None
        allowed = f"{low} to {high}" if high is not None else f"{low} or more"
        return f"{value} is out of range; allowed: {allowed}"

    return check


def is_loopback_host(host: str) -> bool:
    """Whether a browser treats `http://host` as a secure context: this machine only."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _public_url(settings: Settings) -> str | None:
    """An origin (no path: the app, its cookie and its service worker live at `/`) in a secure context."""
    url = settings.base_url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return f"{url!r} is not a URL; allowed: an origin such as https://mail.example.org"
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.username or parts.password:
        return f"{url!r} is not an origin; allowed: https://HOST[:PORT], such as https://mail.example.org"
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        return (f"{url!r} has a path; allowed: an origin without one (https://HOST[:PORT]): Mailseal must be "
                "served at the root of its own host name")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return (f"{url!r} is plain http on another machine, where browsers refuse the session cookie and the "
                "service worker; set public_url to https://… (a TLS proxy in front of Mailseal), or use http:// "
                "only on localhost, 127.0.0.1 or [::1] (README: Trying it from a phone)")
    return None


def _networks(name: str) -> Callable[[Settings], str | None]:
    def check(settings: Settings) -> str | None:
        for text in getattr(settings, name):
            try:
                ipaddress.ip_network(text.strip(), strict=False)
            except ValueError:
                return f"{text!r} is not a network; allowed: networks such as 10.0.0.0/8 or ::1/128"
        return None

    return check


def _smtp_url(settings: Settings) -> str | None:
    if not settings.smtp_url:
        return None
    parts = urlsplit(settings.smtp_url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        return f"{_shown('smtp_url', settings.smtp_url)} is not allowed: smtp://[user:pass@]host[:port] or smtps://…"
    return None


def _together(*names: str) -> Callable[[Settings], str | None]:
    def check(settings: Settings) -> str | None:
        given = [bool(getattr(settings, name)) for name in names]
        if any(given) and not all(given):
            missing = [name for name, set_ in zip(names, given, strict=True) if not set_]
            return f"goes together with {', '.join(names[1:])}: set {', '.join(missing)} as well, or none of them"
        return None

    return check


def _provider_url(name: str) -> Callable[[Settings], str | None]:
    """An identity provider's address: https, or http on loopback when `oidc_allow_loopback` (tests)."""

    def check(settings: Settings) -> str | None:
        value = getattr(settings, name)
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname and not parts.query and not parts.fragment:
            return None
        if settings.oidc_allow_loopback and parts.scheme == "http" and is_loopback_host(parts.hostname or ""):
            return None
        return f"{value!r} is not allowed: an https:// URL without query or fragment, such as https://login.example.org"

    return check


def _domains(name: str) -> Callable[[Settings], str | None]:
    def check(settings: Settings) -> str | None:
        for domain in getattr(settings, name):
            if domain != "*" and not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", domain):
                return f"{domain!r} is not a domain; allowed: lower-case domains such as example.org, or * for all"
        return None

    return check


def _microsoft_tenant(settings: Settings) -> str | None:
    if re.fullmatch(r"[A-Za-z0-9.-]{1,100}", settings.oidc_microsoft_tenant):
        return None
    return (f"{settings.oidc_microsoft_tenant!r} is not a tenant; allowed: common, consumers, organizations, a "
            "tenant id or a domain")


KEY_STORES = ("file", "passphrase", "pkcs11")
ROLES = ("all", "web", "smtp", "worker")


def _role(settings: Settings) -> str | None:
    if settings.role not in ROLES:
        return f"{settings.role!r} is not a role; allowed: {', '.join(ROLES)}"
    if settings.role == "smtp" and not settings.smtp_listeners:
        return "'smtp' runs the SMTP listeners, which smtp_listeners = false turns off; remove one of the two"
    return None


def _web_workers(settings: Settings) -> str | None:
    if not 1 <= settings.web_workers <= 64:
        return f"{settings.web_workers} is out of range; allowed: 1 to 64"
    if settings.web_workers > 1 and settings.role != "web":
        return (f"{settings.web_workers} HTTP workers need role = web (--role web): the relay and inbound ports and "
                "the queue worker belong to one process each; run them as the smtp and worker roles")
    return None


def _key_store(settings: Settings) -> str | None:
    if settings.key_store in KEY_STORES:
        return None
    return f"{settings.key_store!r} is not a key store; allowed: {', '.join(KEY_STORES)}"


def _needed_for_pkcs11(name: str) -> Callable[[Settings], str | None]:
    def check(settings: Settings) -> str | None:
        if settings.key_store == "pkcs11" and not getattr(settings, name):
            return "not set; it is needed when key_store is pkcs11"
        return None

    return check


def _mail_languages(settings: Settings) -> str | None:
    if not settings.mail_languages:
        return "name at least one language"
    try:
        checked_languages(settings.mail_languages, where="mail_languages")
    except ConfigError as exc:
        return str(exc).removeprefix("mail_languages: ")
    return None


CHECKS: dict[str, Callable[[Settings], str | None]] = {
    "mail_languages": _mail_languages,
    "log_level": _log_level,
    "log_format": _log_format,
    "metrics_listen": _listen_address("metrics_listen"),
    "ready_queue_age_seconds": _at_least("ready_queue_age_seconds", 1),
    "port": _port("port"),
    "public_url": _public_url,
    "relay_port": _port("relay_port"),
    "relay_networks": _networks("relay_networks"),
    "trusted_proxies": _networks("trusted_proxies"),
    "inbound_port": _port("inbound_port"),
    "smtp_url": _smtp_url,
    "smtp_client_connections": _at_least("smtp_client_connections", 1),
    "mail_queue_lease_seconds": _at_least("mail_queue_lease_seconds", 2, 86400),
    "push_queue_lease_seconds": _at_least("push_queue_lease_seconds", 2, 86400),
    "push_queue_per_device": _at_least("push_queue_per_device", 1, 100000),
    "push_queue_max": _at_least("push_queue_max", 1, 100000000),
    "role": _role,
    "web_workers": _web_workers,
    "relay_tls_cert_file": _together("relay_tls_cert_file", "relay_tls_key_file"),
    "dkim_selector": _together("dkim_selector", "dkim_domain", "dkim_key_file"),
    "max_upload_bytes": _at_least("max_upload_bytes", 1),
    "max_message_bytes": _at_least("max_message_bytes", 1),
    "view_cache_mib": _at_least("view_cache_mib", 0),
    "session_idle_minutes": _at_least("session_idle_minutes", 1),
    "session_absolute_hours": _at_least("session_absolute_hours", 1),
    "code_ttl_minutes": _at_least("code_ttl_minutes", 1, 10),
    "offline_attachment_max_bytes": _at_least("offline_attachment_max_bytes", 0),
    "offline_store_max_mib": _at_least("offline_store_max_mib", 1, 4096),
    "offline_confirm_days": _at_least("offline_confirm_days", 1, 365),
    "audit_retention_days": _at_least("audit_retention_days", 0),
    "key_store": _key_store,
    "passcode_off_domains": _domains("passcode_off_domains"),
    "oidc_google_issuer": _provider_url("oidc_google_issuer"),
    "oidc_microsoft_authority": _provider_url("oidc_microsoft_authority"),
    "oidc_microsoft_tenant": _microsoft_tenant,
    "oidc_issuer": _provider_url("oidc_issuer"),
    "oidc_client_id": _together("oidc_client_id", "oidc_issuer", "oidc_client_secret", "oidc_name"),
    "oidc_google_client_id": _together("oidc_google_client_id", "oidc_google_client_secret"),
    "oidc_microsoft_client_id": _together("oidc_microsoft_client_id", "oidc_microsoft_client_secret"),
    "pkcs11_module": _needed_for_pkcs11("pkcs11_module"),
    "pkcs11_token_label": _needed_for_pkcs11("pkcs11_token_label"),
    "pkcs11_pin_file": _needed_for_pkcs11("pkcs11_pin_file"),
}
