"""The storage the integration tests run on: SQLite and the blob folder (the default), or PostgreSQL + S3.

A test marked `@pytest.mark.engines` runs twice, as `[sqlite]` and `[postgresql]` (the `storage_engine`
fixture, parametrised in `conftest.py`). For `postgresql` the test gets a fresh database in the session's
throwaway cluster (`support.postgres`) and a fresh bucket on the session's moto server (`support.s3`);
the app helpers (`support.mailseal_app.make_settings`, `support.mail_listeners.stack_settings`) put both
URLs into the settings they build, and `MAILSEAL_DATABASE_URL`/`MAILSEAL_BLOB_URL` are set for the test's
duration, so the CLI (in-process or a child process) reaches the same storage as the app.

Only where the engine matters is worth the second run (sign-in, open, reply, revoke, the admin API, the
relay, inbound, push): the rest of the suite runs on SQLite alone.
"""

from __future__ import annotations

from typing import Any

import msgspec

ENGINES = ("sqlite", "postgresql")
DEFAULT = "sqlite"


class StorageUrls(msgspec.Struct, frozen=True):
    database_url: str
    blob_url: str


_current: StorageUrls | None = None


def use(urls: StorageUrls | None) -> None:
    """Point the app helpers at `urls` (None: each data folder's own SQLite file and blob folder)."""
    global _current
    _current = urls


def current() -> StorageUrls | None:
    return _current


def storage_settings(overrides: dict[str, Any]) -> dict[str, Any]:
    """The storage URLs of the test's engine, unless the test names its own."""
    if _current is None:
        return {}
    return {name: value for name, value in msgspec.structs.asdict(_current).items() if name not in overrides}
