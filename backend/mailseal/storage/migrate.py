"""Copy an embedded installation (SQLite + its blob store) to PostgreSQL + another blob store (S3).

`mailseal migrate --to-database postgresql://… --to-blobs s3://…` runs `migrate()`. What it does, in order:

1. Takes SQLite's write lock (`BEGIN IMMEDIATE`) and holds it to the end, so the copy is one consistent
   state and nothing is written meanwhile. The rule for operators: stop `mailseal serve` first; if it still
   runs, the lock is refused (a write under way) or its writes wait and fail while the copy runs.
2. Reads the tables from the source's schema (`sqlite_master`, their foreign keys for the order) and checks
   that the target has the same tables and columns; PostgreSQL's `seq` identity columns take SQLite's rowid.
3. Carries destroyed keys over first: a seal whose key the source has destroyed (revoked, expired) since an
   earlier, interrupted run loses its wrapped key in the target too, before anything else is looked at (and,
   as in the source, its inbox rows stop being unread, in the kept counts too).
4. Refuses a target that holds any row not identical to the source's (another installation's data, or this
   one's as it was before it changed): nothing is written to it.
5. Copies every table in dependency order, in batches of at most `batch_rows` rows and about `BATCH_BYTES`,
   each batch one transaction, `ON CONFLICT (primary key) DO NOTHING`: run again after an interruption (even
   kill -9), it adds only what is missing. Identity columns' sequences are advanced past the copied ids.
6. Copies every envelope named in `envelopes` (skipping one already there with the same size and SHA-256),
   reading each back from the target to check its SHA-256.
7. Verifies every table: the same row count, and every target row identical to the source's.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, BinaryIO, Final, Literal
from urllib.parse import urlsplit

import msgspec

from mailseal.errors import MigrationIncomplete, MigrationRefused
from mailseal.storage.blobs import BlobStore
from mailseal.storage.engine import Connection, Dialect, Engine, Executor, Row
from mailseal.storage.repositories.envelopes import Envelopes
from mailseal.storage.store import Store, open_store, sqlite_path

BATCH_ROWS: Final = 500  # rows per page read and per insert transaction
MAX_BATCH_ROWS: Final = 2000  # PostgreSQL takes at most 32,767 parameters per statement (our widest table: 13)
BATCH_BYTES: Final = 8 * 1024 * 1024  # a page of large rows (queued mail) stops at about this many bytes
BLOB_PAGE: Final = 100  # envelopes listed, copied and reported at a time
BLOB_WORKERS: Final = 8  # envelopes copied at once (each mostly waits on the object store)
READ_SIZE: Final = 1024 * 1024
_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_SEQ: Final = "seq"  # PostgreSQL's identity column standing for SQLite's rowid (arrival order)

Progress = Callable[[str], None]


class Table(msgspec.Struct, frozen=True):
    """One table as both engines hold it: target columns, where each comes from, its key and identities."""

    name: str
    columns: tuple[str, ...]  # the target's columns, in order
    sources: tuple[str, ...]  # the source expression of each: the same column, or `rowid` for `seq`
    key: tuple[str, ...]  # the primary key (the same names on both), () for a table without one
    identities: tuple[str, ...]  # the target's identity columns, whose sequences are advanced after the copy
    blob_columns: tuple[str, ...]  # columns holding bytes (BLOB / BYTEA): they size a page


class TableCopy(msgspec.Struct, frozen=True):
    name: str
    rows: int  # in the source (and, verified, in the target)
    copied: int  # by this run; the rest were there from an earlier run


class BlobCopy(msgspec.Struct, frozen=True):
    total: int
    copied: int
    skipped: int  # already in the target with the same size and SHA-256
    verified: int  # read back from the target with the source's SHA-256
    bytes: int


class MigrationReport(msgspec.Struct, frozen=True):
    tables: tuple[TableCopy, ...]
    blobs: BlobCopy
    destroyed_keys: int  # keys destroyed in the target because the source destroyed them since a former run
    seconds: float


def quoted(name: str) -> str:
    """A table or column name from our own schema, quoted; anything else is refused."""
    if not _NAME.fullmatch(name):
        raise MigrationRefused(f"unexpected name in the schema: {name!r}")
    return f'"{name}"'


def _names(names: Sequence[str]) -> str:
    return ", ".join(quoted(n) if n != "rowid" else n for n in names)


def _row_of(names: Sequence[str]) -> str:
    return f"({_names(names)})"


def _marks(count: int) -> str:
    return "(" + ", ".join("?" * count) + ")"


def _values(row: Row, start: int, count: int) -> tuple[Any, ...]:
    """`count` values of `row` from position `start` (rows of both engines index by position)."""
    return tuple(row[i] for i in range(start, start + count))


async def migrate(
    *,
    source_database: str,
    source_blobs: BlobStore,
    target_database: str,
    target_blobs: BlobStore,
    progress: Progress = lambda line: None,
    batch_rows: int = BATCH_ROWS,
) -> MigrationReport:
    """Copy the installation at `source_database` (SQLite) and `source_blobs` to the targets (see the module).
    `batch_rows` rows are copied per transaction (fewer hold less in memory; more go faster)."""
    began = time.monotonic()
    if not 1 <= batch_rows <= MAX_BATCH_ROWS:
        raise MigrationRefused(f"the batch size must be 1 to {MAX_BATCH_ROWS} rows")
    if urlsplit(source_database).scheme != "sqlite":
        raise MigrationRefused("this installation does not run on SQLite: there is nothing embedded to migrate")
    if urlsplit(target_database).scheme not in {"postgresql", "postgres"}:
        raise MigrationRefused("--to-database must be a postgresql:// URL")
    if not sqlite_path(source_database).is_file():
        raise MigrationRefused(f"no database at {sqlite_path(source_database)}: is the data folder right?")
    try:
        source = await open_store(source_database)
    except sqlite3.OperationalError as error:  # a migration of its schema found the database locked
        raise MigrationRefused(f"the SQLite database is busy ({error}): stop `mailseal serve` first") from error
    try:
        target = await open_store(target_database)
        try:
            async with _write_locked(source) as locked:
                return await _copy(locked, target.engine, source_blobs, target_blobs, progress, began, batch_rows)
        finally:
            await target.close()
    finally:
        await source.close()


@asynccontextmanager
async def _write_locked(source: Store) -> AsyncIterator[Connection]:
    """The source's write transaction (`BEGIN IMMEDIATE`), held for the whole copy; it writes nothing. A
    lock held by another writer (a running server) waits out the busy timeout, then refuses."""
    entered = False
    try:
        async with source.engine.transaction() as conn:
            entered = True
            yield conn
    except sqlite3.OperationalError as error:
        if entered:
            raise
        raise MigrationRefused(
            f"the SQLite database is being written ({error}): stop `mailseal serve` first"
        ) from error


async def _copy(
    source: Connection, target: Engine, source_blobs: BlobStore, target_blobs: BlobStore, progress: Progress,
    began: float, batch_rows: int,
) -> MigrationReport:
    def say(line: str) -> None:
        progress(f"{line} [{time.monotonic() - began:.1f} s]")

    await _check_versions(source, target)
    tables = await describe(source, target)
    destroyed = await carry_destroyed_keys(source, target)
    if destroyed:
        say(f"destroyed {destroyed} key(s) in the target that the source destroyed since an earlier run")
    if present := await refuse_foreign_rows(source, target, tables):
        say(f"the target's {present} rows are this installation's (an earlier run's): going on")
    copies = []
    for table in tables:
        copied = await copy_table(source, target, table, batch_rows=batch_rows)
        rows = await _count(source, table.name)
        copies.append(TableCopy(table.name, rows, copied))
        say(f"table {table.name}: {rows} rows ({copied} copied now, {rows - copied} there already)")
    if destroyed:
        await target.after_key_destroyed()
    blobs = await copy_blobs(source, source_blobs, target_blobs, say)
    await verify(source, target, tables)
    say("verified: every table has the same rows in the target")
    return MigrationReport(tuple(copies), blobs, destroyed, time.monotonic() - began)


async def _check_versions(source: Executor, target: Executor) -> None:
    query = "SELECT COALESCE(MAX(version), 0) FROM schema_version"
    mine, theirs = await source.fetch_one(query), await target.fetch_one(query)
    if mine is None or theirs is None or int(mine[0]) != int(theirs[0]):
        raise MigrationRefused(
            f"the source has schema version {mine and mine[0]}, the target {theirs and theirs[0]}: "
            "run the same Mailseal version on both"
        )


async def describe(source: Executor, target: Executor) -> list[Table]:
    """Every table of the source's schema, in dependency order (parents first), matched to the target's."""
    names = [str(row[0]) for row in await source.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name <> 'schema_version' ORDER BY name"
    )]
    target_columns: dict[str, list[tuple[str, bool]]] = {}
    for row in await target.fetch_all(
        "SELECT c.table_name, c.column_name, c.is_identity FROM information_schema.columns c"
        " JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
        " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
        " AND c.table_name <> 'schema_version' ORDER BY c.table_name, c.ordinal_position"
    ):
        target_columns.setdefault(str(row[0]), []).append((str(row[1]), row[2] == "YES"))
    if set(target_columns) != set(names):
        raise MigrationRefused(
            f"the target's tables ({', '.join(sorted(target_columns))}) are not the source's ({', '.join(names)})"
        )
    tables: dict[str, Table] = {}
    parents: dict[str, set[str]] = {}
    for name in names:
        info = await source.fetch_all(f"PRAGMA table_info({quoted(name)})")
        source_columns = {str(row["name"]): str(row["type"]).upper() for row in info}
        key = tuple(str(row["name"]) for row in sorted((r for r in info if r["pk"]), key=lambda r: int(r["pk"])))
        columns = tuple(column for column, _ in target_columns[name])
        sources = []
        for column in columns:
            if column in source_columns:
                sources.append(column)
            elif column == _SEQ:
                sources.append("rowid")
            else:
                raise MigrationRefused(f"the target's column {name}.{column} has no source")
        missing = set(source_columns) - set(columns)
        if missing:
            raise MigrationRefused(f"the target's table {name} lacks column(s) {', '.join(sorted(missing))}")
        tables[name] = Table(
            name=name, columns=columns, sources=tuple(sources), key=key,
            identities=tuple(column for column, identity in target_columns[name] if identity),
            blob_columns=tuple(c for c in columns if source_columns.get(c) == "BLOB"),
        )
        foreign = await source.fetch_all(f"PRAGMA foreign_key_list({quoted(name)})")
        parents[name] = {str(row["table"]) for row in foreign} - {name}
    return [tables[name] for name in _dependency_order(names, parents)]


def _dependency_order(names: Sequence[str], parents: dict[str, set[str]]) -> list[str]:
    """Parents before children (a table's foreign keys point at tables copied before it), else by name."""
    order: list[str] = []
    pending = list(names)
    while pending:
        ready = [n for n in pending if parents[n] <= set(order)]
        if not ready:
            raise MigrationRefused(f"the foreign keys of {', '.join(pending)} form a cycle")
        order.extend(ready)
        pending = [n for n in pending if n not in ready]
    return order


async def _count(reads: Executor, table: str) -> int:
    row = await reads.fetch_one(f"SELECT COUNT(*) FROM {quoted(table)}")
    return int(row[0]) if row is not None else 0


async def pages(
    reads: Executor, dialect: Dialect, table: Table, *, key: Sequence[str], select: Sequence[str],
    rows_per_page: int = BATCH_ROWS,
) -> AsyncIterator[list[Row]]:
    """`select` of `table`'s rows in `key` order, in pages of at most `rows_per_page` rows and, when the table
    holds bytes, about BATCH_BYTES bytes (at least one row). The key columns come first in `select`."""
    keys = _row_of(key)
    length = "length" if dialect == "sqlite" else "octet_length"
    size = " + ".join(f"COALESCE({length}({quoted(c)}), 0)" for c in table.blob_columns)
    after: tuple[Any, ...] | None = None
    while True:
        where, params = ("", []) if after is None else (f" WHERE {keys} > {_marks(len(key))}", list(after))
        if size:
            sized = await reads.fetch_all(
                f"SELECT {_names(key)}, {size} FROM {quoted(table.name)}{where} ORDER BY {_names(key)}"
                f" LIMIT {int(rows_per_page)}", params,
            )
            if not sized:
                return
            total, last = 0, sized[0]
            for row in sized:
                total += int(row[len(key)])
                if total > BATCH_BYTES and row is not sized[0]:
                    break
                last = row
            bound = " AND " if where else " WHERE "
            rows = await reads.fetch_all(
                f"SELECT {_names(select)} FROM {quoted(table.name)}{where}{bound}{keys} <= {_marks(len(key))}"
                f" ORDER BY {_names(key)}", [*params, *_values(last, 0, len(key))],
            )
        else:
            rows = await reads.fetch_all(
                f"SELECT {_names(select)} FROM {quoted(table.name)}{where} ORDER BY {_names(key)}"
                f" LIMIT {int(rows_per_page)}", params,
            )
        if not rows:
            return
        yield rows
        after = _values(rows[-1], 0, len(key))


async def carry_destroyed_keys(source: Executor, target: Engine) -> int:
    """Destroy in the target every key the source has destroyed (a revoke or an expiry after an interrupted
    run): a destroyed key stays destroyed wherever the copy went. Message ids are 130 random bits, so no
    other installation's seal can be touched. Returns how many keys were destroyed here."""
    changed = 0
    after = ""
    while True:
        rows = await source.fetch_all(
            "SELECT message_id, revoked_at, destroyed_at FROM seals WHERE wrapped_key IS NULL AND message_id > ?"
            f" ORDER BY message_id LIMIT {BATCH_ROWS}", (after,),
        )
        if not rows:
            return changed
        values = ", ".join("(?, ?::bigint, ?::bigint)" for _ in rows)
        async with target.transaction() as conn:
            destroyed = await conn.fetch_all(
                "UPDATE seals AS s SET wrapped_key = NULL, revoked_at = v.revoked_at, destroyed_at = v.destroyed_at"
                f" FROM (VALUES {values}) AS v (message_id, revoked_at, destroyed_at)"
                " WHERE s.message_id = v.message_id AND s.wrapped_key IS NOT NULL"
                " RETURNING s.message_id, s.destroyed_at",
                [value for row in rows for value in (row[0], row[1], row[2])],
            )
            for row in destroyed:  # as the source did: the message's inbox rows are no longer unread
                await Envelopes(target, conn).settle_unread(str(row[0]), at=int(row[1] or 0))
            changed += len(destroyed)
        after = str(rows[-1][0])


async def differing_rows(source: Executor, target: Engine, table: Table) -> int:
    """How many of the target's rows of `table` the source does not hold exactly (a missing key or another
    value in any column)."""
    if not table.key:
        theirs = await _multiset(target, table, table.columns)
        mine = await _multiset(source, table, table.sources)
        return sum((theirs - mine).values())
    width = len(table.key)
    differing = 0
    async for page in pages(target, "postgresql", table, key=table.key, select=[*table.key, *table.columns]):
        wanted = [_values(row, 0, width) for row in page]
        if width == 1:
            lookup = f"{quoted(table.key[0])} IN {_marks(len(wanted))}"
        else:
            lookup = f"{_row_of(table.key)} IN (VALUES {', '.join(_marks(width) for _ in wanted)})"
        found = await source.fetch_all(
            f"SELECT {_names([*table.key, *table.sources])} FROM {quoted(table.name)} WHERE {lookup}",
            [value for key in wanted for value in key],
        )
        columns = len(table.columns)
        mine_by_key = {_values(row, 0, width): _values(row, width, columns) for row in found}
        for key, row in zip(wanted, page, strict=True):
            if mine_by_key.get(key) != _values(row, width, columns):
                differing += 1
    return differing


async def refuse_foreign_rows(source: Executor, target: Engine, tables: Sequence[Table]) -> int:
    """Refuse a target holding rows that are not the source's as it is now; an empty one, or one holding part
    of this source (an interrupted run), passes. Returns how many rows the target holds."""
    foreign = []
    present = 0
    for table in tables:
        rows = await _count(target, table.name)
        present += rows
        if rows and (count := await differing_rows(source, target, table)):
            foreign.append(f"{table.name} ({count})")
    if foreign:
        raise MigrationRefused(
            "the target database holds rows that are not this installation's: "
            f"{', '.join(foreign)}. Use an empty database (if an earlier migrate was interrupted and the "
            "installation changed since, empty the target and run again)"
        )
    return present


async def copy_table(source: Executor, target: Engine, table: Table, *, batch_rows: int = BATCH_ROWS) -> int:
    """Copy the rows of `table` the target lacks; the number copied. Each batch is one transaction."""
    copied = 0
    if not table.key:
        # No key to conflict on: copy what the target lacks (a multiset difference; such a table, the rate
        # limits' sliding window, stays small).
        mine = await _multiset(source, table, table.sources)
        theirs = await _multiset(target, table, table.columns)
        missing = list((mine - theirs).elements())
        for start in range(0, len(missing), batch_rows):
            copied += await _insert(target, table, missing[start : start + batch_rows], conflict="")
    else:
        conflict = f" ON CONFLICT {_row_of(table.key)} DO NOTHING"
        async for page in pages(source, "sqlite", table, key=["rowid"], select=["rowid", *table.sources],
                              rows_per_page=batch_rows):
            rows = [_values(row, 1, len(table.columns)) for row in page]
            copied += await _insert(target, table, rows, conflict=conflict)
    async with target.transaction() as conn:
        for column in table.identities:
            # The next id the target hands out follows the largest copied one (1 for an empty table).
            await conn.fetch_one(
                f"SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX({quoted(column)}), 0) + 1, false)"
                f" FROM {quoted(table.name)}", (table.name, column),
            )
    return copied


async def _multiset(reads: Executor, table: Table, select: Sequence[str]) -> Counter[tuple[Any, ...]]:
    rows = await reads.fetch_all(f"SELECT {_names(select)} FROM {quoted(table.name)}")
    return Counter(_values(row, 0, len(select)) for row in rows)


async def _insert(target: Engine, table: Table, rows: Sequence[tuple[Any, ...]], *, conflict: str) -> int:
    if not rows:
        return 0
    values = ", ".join(_marks(len(table.columns)) for _ in rows)
    async with target.transaction() as conn:
        return await conn.execute(
            f"INSERT INTO {quoted(table.name)} ({_names(table.columns)}) VALUES {values}{conflict}",
            [value for row in rows for value in row],
        )


async def verify(source: Executor, target: Engine, tables: Sequence[Table]) -> None:
    """Every table: the same number of rows on both sides, and no target row unlike the source's."""
    problems = []
    for table in tables:
        mine, theirs = await _count(source, table.name), await _count(target, table.name)
        if mine != theirs:
            problems.append(f"{table.name}: {mine} rows in the source, {theirs} in the target")
        elif count := await differing_rows(source, target, table):
            problems.append(f"{table.name}: {count} rows differ")
    if problems:
        raise MigrationIncomplete("the copy does not match the source: " + "; ".join(problems))


async def copy_blobs(source: Executor, source_blobs: BlobStore, target_blobs: BlobStore,
                     progress: Progress) -> BlobCopy:
    """Copy the envelope of every row of `envelopes`, a page at a time, several at once."""
    total = await _count(source, "envelopes")
    done = copied = size = 0
    problems: list[str] = []
    after = ""
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(BLOB_WORKERS, thread_name_prefix="migrate-blobs") as workers:
        while True:
            rows = await source.fetch_all(
                f"SELECT message_id, size FROM envelopes WHERE message_id > ? ORDER BY message_id LIMIT {BLOB_PAGE}",
                (after,),
            )
            if not rows:
                break
            outcomes = await asyncio.gather(*(
                loop.run_in_executor(workers, copy_blob, source_blobs, target_blobs, str(r[0]), int(r[1]))
                for r in rows
            ), return_exceptions=True)
            for row, outcome in zip(rows, outcomes, strict=True):
                if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                    raise outcome
                if isinstance(outcome, (str, Exception)):  # one envelope's trouble (a network error): go on
                    problems.append(f"{row[0]}: {outcome}")
                    continue
                copied += outcome
                size += int(row[1])
            done += len(rows)
            after = str(rows[-1][0])
            progress(f"blobs: {done}/{total} ({copied} copied, {done - copied - len(problems)} there already)")
    if problems:
        raise MigrationIncomplete(f"{len(problems)} envelope(s) did not copy: " + "; ".join(problems[:5]))
    return BlobCopy(total=done, copied=copied, skipped=done - copied, verified=done, bytes=size)


def copy_blob(source: BlobStore, target: BlobStore, message_id: str, size: int) -> Literal[0, 1] | str:
    """Copy one envelope unless the target has it whole; 1 when copied, 0 when it was there (same size and
    SHA-256), else what went wrong. Either way the target's bytes are read back and hashed."""
    if _already_there(source, target, message_id, size):
        return 0
    with target.staging() as (staged, staged_path):
        try:
            reader = source.open(message_id)
        except FileNotFoundError:
            return "the source envelope is missing"
        with reader:
            digest, length = hashlib.sha256(), 0
            while block := reader.read(READ_SIZE):
                digest.update(block)
                staged.write(block)
                length += len(block)
        if length != size:
            return f"the source envelope has {length} bytes, the database says {size}"
        staged.flush()
        target.commit(staged_path, message_id)
    if _sha256(target, message_id) != digest.hexdigest():
        return "the copy in the target does not have the source's SHA-256"
    return 1


def _already_there(source: BlobStore, target: BlobStore, message_id: str, size: int) -> bool:
    """Whether the target holds the envelope with the source's size and SHA-256 (one open: the size comes
    with it, so a remote store is asked once before the bytes are read)."""
    try:
        reader = target.open(message_id)
    except FileNotFoundError:
        return False
    with reader:
        if reader.seek(0, io.SEEK_END) != size:
            return False
        reader.seek(0)
        theirs = _digest(reader)
    return theirs == _sha256(source, message_id)


def _sha256(store: BlobStore, message_id: str) -> str:
    with store.open(message_id) as reader:
        return _digest(reader)


def _digest(reader: BinaryIO) -> str:
    digest = hashlib.sha256()
    while block := reader.read(READ_SIZE):
        digest.update(block)
    return digest.hexdigest()
