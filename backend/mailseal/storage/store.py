"""The store: an engine and the repositories bound to it, and units of work that span several of them.

    store.seals.get(id)                       a read, or a write that is its own transaction
    async with store.transaction() as tx:     several writes that commit together or not at all
        await tx.seals.add(...)
        await tx.audit.add(...)

Repositories are made on first use (`cached_property`), so a transaction builds only those it touches.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cached_property, partial
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mailseal.errors import ConfigError
from mailseal.storage.engine import Connection, Dialect, Engine
from mailseal.storage.group_commit import GroupCommit
from mailseal.storage.repositories.access_log import AccessLog
from mailseal.storage.repositories.admin_tokens import AdminTokenRows
from mailseal.storage.repositories.audit import Audit, AuditRow, write_rows
from mailseal.storage.repositories.codes import PasscodeRows
from mailseal.storage.repositories.devices import DeviceRows
from mailseal.storage.repositories.envelopes import Envelopes
from mailseal.storage.repositories.forward_addresses import ForwardAddressRows
from mailseal.storage.repositories.limits import RateEvents
from mailseal.storage.repositories.mail_queue import MailQueueRows
from mailseal.storage.repositories.passkeys import PasskeyRows
from mailseal.storage.repositories.push_queue import PushQueueRows
from mailseal.storage.repositories.push_subscriptions import PushSubscriptions
from mailseal.storage.repositories.seals import Seals
from mailseal.storage.repositories.sessions import SessionRows
from mailseal.storage.repositories.sign_in_flows import SignInFlowRows


class Repositories:
    """Every repository, bound to the engine alone (`Store`) or to one transaction (`Transaction`)."""

    def __init__(self, engine: Engine, conn: Connection | None = None) -> None:
        self._engine = engine
        self._conn = conn

    @property
    def dialect(self) -> Dialect:
        return self._engine.dialect

    @cached_property
    def seals(self) -> Seals:
        return Seals(self._engine, self._conn)

    @cached_property
    def audit(self) -> Audit:
        return Audit(self._engine, self._conn)

    @cached_property
    def access_log(self) -> AccessLog:
        return AccessLog(self._engine, self._conn)

    @cached_property
    def envelopes(self) -> Envelopes:
        return Envelopes(self._engine, self._conn)

    @cached_property
    def forward_addresses(self) -> ForwardAddressRows:
        return ForwardAddressRows(self._engine, self._conn)

    @cached_property
    def admin_tokens(self) -> AdminTokenRows:
        return AdminTokenRows(self._engine, self._conn)

    @cached_property
    def mail_queue(self) -> MailQueueRows:
        return MailQueueRows(self._engine, self._conn)

    @cached_property
    def codes(self) -> PasscodeRows:
        return PasscodeRows(self._engine, self._conn)

    @cached_property
    def limits(self) -> RateEvents:
        return RateEvents(self._engine, self._conn)

    @cached_property
    def sessions(self) -> SessionRows:
        return SessionRows(self._engine, self._conn)

    @cached_property
    def devices(self) -> DeviceRows:
        return DeviceRows(self._engine, self._conn)

    @cached_property
    def sign_in_flows(self) -> SignInFlowRows:
        return SignInFlowRows(self._engine, self._conn)

    @cached_property
    def passkeys(self) -> PasskeyRows:
        return PasskeyRows(self._engine, self._conn)

    @cached_property
    def push_subscriptions(self) -> PushSubscriptions:
        return PushSubscriptions(self._engine, self._conn)

    @cached_property
    def push_queue(self) -> PushQueueRows:
        return PushQueueRows(self._engine, self._conn)


class Transaction(Repositories):
    """The repositories of one unit of work (see `Store.transaction`)."""


class Store(Repositories):
    """The database of one installation, whichever engine runs it."""

    def __init__(self, engine: Engine, *, url: str) -> None:
        super().__init__(engine)
        self.engine = engine
        self.url = url
        self.audit_commits: GroupCommit[AuditRow] = GroupCommit(partial(write_rows, engine))
        """Audit rows written outside a transaction share commits (see `storage/group_commit.py`)."""

    @cached_property
    def audit(self) -> Audit:
        return Audit(self._engine, commits=self.audit_commits)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A unit of work: what `tx.<repository>` writes commits together when the block ends, or not at
        all when it raises. Durable before the caller goes on."""
        async with self.engine.transaction() as conn:
            yield Transaction(self.engine, conn)

    async def ping(self) -> bool:
        """Whether the database answers (for the health check)."""
        row = await self.engine.fetch_one("SELECT 1")
        return row is not None

    async def after_key_destroyed(self) -> None:
        """Make destroyed keys unrecoverable from the engine's files (see `Engine.after_key_destroyed`)."""
        await self.engine.after_key_destroyed()

    async def close(self) -> None:
        await self.audit_commits.drain()
        await self.engine.close()


def sqlite_url(path: Path) -> str:
    """The `database_url` of an SQLite file: `sqlite:///abs/path`."""
    return "sqlite" + path.resolve().as_uri().removeprefix("file")


async def open_store(database_url: str) -> Store:
    """The store at `database_url`, created and migrated as needed: `sqlite:///abs/path` (embedded, the
    default) or `postgresql://…`. The one place an engine is chosen."""
    scheme = urlsplit(database_url).scheme.lower()
    if scheme == "sqlite":
        from mailseal.storage.sqlite_engine import open_sqlite

        return Store(await open_sqlite(sqlite_path(database_url)), url=database_url)
    if scheme in {"postgresql", "postgres"}:
        # Imported by name: the PostgreSQL engine (and asyncpg) load only when asked for.
        postgres = importlib.import_module("mailseal.storage.postgres_engine")
        engine: Engine = await postgres.open_postgres(database_url)
        return Store(engine, url=database_url)
    raise ConfigError("database_url must start with sqlite:/// or postgresql://")


def sqlite_path(database_url: str) -> Path:
    """The file of a `sqlite:///abs/path` URL (or `sqlite:////abs/path`, as SQLAlchemy writes it): always an
    absolute path."""
    parts = urlsplit(database_url)
    if parts.netloc or parts.query or parts.fragment or not parts.path.startswith("/"):
        raise ConfigError("database_url: an SQLite URL is sqlite:///absolute/path/to/file.sqlite")
    return Path("/" + unquote(parts.path).lstrip("/"))
