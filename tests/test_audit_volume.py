"""The audit trail at volume, on both engines: group commit, retention, export.

A key leaves `KeyService.unwrap` only once its audit row is committed; concurrent opens share that
commit; a commit that fails refuses every open in its batch. Retention deletes routine rows past the
period and keeps seals, refusals, revocations and expiries forever. The export is JSON Lines whose last
line checks every byte before it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from mailseal.cli import main
from mailseal.errors import AuditNotRecorded, NotARecipient
from mailseal.keys import ContentKey, Identity, KeyService, audit_retention
from mailseal.keys.file_ring import FileKeyRing
from mailseal.keys.service import NewSeal
from mailseal.storage import Store, open_store, sqlite_url
from mailseal.storage.store import sqlite_path
from support import engines

CONTENT_KEY = bytes(range(32))
MESSAGE = "m" * 26
BOB = Identity(("bob@gmail.com",))
DAY = 86_400

pytestmark = pytest.mark.engines


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    urls = engines.current()
    return urls.database_url if urls is not None else sqlite_url(tmp_path / "data" / "mailseal.sqlite")


@pytest.fixture
async def keys(database_url: str, tmp_path: Path) -> AsyncIterator[KeyService]:
    store = await open_store(database_url)
    ring, _ = FileKeyRing.load_or_create(tmp_path / "ring.json")
    service = KeyService(store, ring, clock=Clock(), audit_retention_days=30)
    seal = NewSeal(
        message_id=MESSAGE, issuer="https://mail.example.org", sender="alice@example.org",
        recipients=("bob@gmail.com",), template="encrypt-only", rights=("view",),
        created_at=int(service.clock()), expires_at=None, header_fingerprint=b"\x01" * 32,
    )
    async with store.transaction() as tx:
        await service.register(tx, seal, CONTENT_KEY, key_id=service.current_key_id, actor="alice@example.org")
    yield service
    await store.close()


async def _run_sql(database_url: str, statements: list[str]) -> None:
    """SQL from outside Mailseal, as a second client of the same database."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(database_url), isolation_level=None) as conn:
            for statement in statements:
                conn.execute(statement)
        return
    conn = await asyncpg.connect(database_url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _opens_committed(database_url: str) -> int:
    """Open rows another connection sees: what is committed, not what Mailseal holds in hand."""
    query = "SELECT COUNT(*) FROM audit WHERE action = 'open'"
    if database_url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(database_url)) as conn:
            return int(conn.execute(query).fetchone()[0])
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval(query))
    finally:
        await conn.close()


@asynccontextmanager
async def audit_writes_held(database_url: str) -> AsyncIterator[None]:
    """Another client holds a lock that keeps every insert into `audit` waiting until the block ends."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(sqlite_path(database_url), isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    pg = await asyncpg.connect(database_url)
    try:
        async with pg.transaction():
            await pg.execute("LOCK TABLE audit IN SHARE ROW EXCLUSIVE MODE")
            yield
    finally:
        await pg.close()


def _opening(keys: KeyService, identity: Identity = BOB) -> asyncio.Task[ContentKey]:
    return asyncio.create_task(keys.unwrap(MESSAGE, identity))


async def test_no_key_is_handed_out_before_its_audit_row_is_committed(keys: KeyService, database_url: str) -> None:
    async with audit_writes_held(database_url):
        opens = [_opening(keys) for _ in range(8)]
        await asyncio.sleep(0.5)
        # The rows cannot be written: a batcher that answered on queueing would have handed out keys here.
        assert [task for task in opens if task.done()] == []
        assert await _opens_committed(database_url) == 0
    handed_out = await asyncio.gather(*opens)
    assert {key.key for key in handed_out} == {CONTENT_KEY}
    assert await _opens_committed(database_url) == 8
    # They came together: the first commit took what had come, the next one all the rest.
    assert keys.store.audit_commits.commits <= 2


async def test_a_failed_commit_refuses_every_open_in_its_batch(keys: KeyService, database_url: str) -> None:
    await _run_sql(database_url, POISON[database_url.split(":", 1)[0]])
    async with audit_writes_held(database_url):
        first = _opening(keys)
        await asyncio.sleep(0.2)  # its commit is in flight, waiting on the lock
        batch = [_opening(keys) for _ in range(3)] + [_opening(keys, Identity(("bob@gmail.com",), actor="poison"))]
        await asyncio.sleep(0.2)
    assert (await first).key == CONTENT_KEY
    outcomes = await asyncio.gather(*batch, return_exceptions=True)
    # Three of these rows were fine, but they were committed with the poisoned one: no key for any of them.
    assert [type(outcome) for outcome in outcomes] == [AuditNotRecorded] * 4
    assert await _opens_committed(database_url) == 1
    assert (await keys.unwrap(MESSAGE, BOB)).key == CONTENT_KEY  # the next batch commits again


POISON = {
    "sqlite": ["CREATE TRIGGER poison BEFORE INSERT ON audit WHEN NEW.actor = 'poison' "
               "BEGIN SELECT RAISE(ABORT, 'poisoned'); END"],
    "postgresql": [
        "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN IF NEW.actor = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER poison BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION poison()",
    ],
}


async def _history(keys: KeyService) -> list[tuple[str, str]]:
    return [(entry.action, entry.actor) for entry in await keys.audit(limit=10_000)]


async def test_retention_deletes_old_opens_and_keeps_what_must_be_kept(
    keys: KeyService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_retention, "WINDOW", 4)  # several windows for a dozen rows
    clock = keys.clock
    assert isinstance(clock, Clock)
    for _ in range(10):
        await keys.unwrap(MESSAGE, BOB)
    with pytest.raises(NotARecipient):
        await keys.unwrap(MESSAGE, Identity(("mallory@evil.test",)))
    await keys.unwrap(MESSAGE, BOB, purpose="attachment")
    clock.now += 31 * DAY
    await keys.unwrap(MESSAGE, BOB)  # within the period
    await keys.revoke(MESSAGE, actor="admin")
    assert await keys.drop_expired_audit() == 11
    assert await _history(keys) == [
        ("seal", "alice@example.org"), ("refuse", "mallory@evil.test"), ("open", "bob@gmail.com"),
        ("revoke", "admin"),
    ]
    clock.now += 365 * DAY
    assert await keys.drop_expired_audit() == 1  # the last open; seals, refusals, revocations stay
    assert [action for action, _ in await _history(keys)] == ["seal", "refuse", "revoke"]


async def test_without_a_retention_period_nothing_is_deleted(keys: KeyService) -> None:
    await keys.unwrap(MESSAGE, BOB)
    keys.retention.days = 0
    keys.clock.now += 10_000 * DAY  # type: ignore[attr-defined]
    assert await keys.drop_expired_audit() == 0
    assert [action for action, _ in await _history(keys)] == ["seal", "open"]


def _exported(path: Path) -> tuple[dict[str, object], list[dict[str, object]], dict[str, object]]:
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    trailer = json.loads(lines[-1])
    assert trailer["sha256"] == hashlib.sha256(b"".join(lines[:-1])).hexdigest()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:-1]], trailer


async def test_export_is_json_lines_checked_by_its_last_line_and_continues_after_an_id(
    tmp_path: Path, database_url: str
) -> None:
    data = tmp_path / "data"
    assert await asyncio.to_thread(main, ["--data", str(data), "keys", "init"]) == 0
    store: Store = await open_store(database_url)
    try:
        for n in range(5):
            await store.audit.add(at=1_800_000_000 + n, action="open", message_id=MESSAGE, actor=f"r{n}@x.test",
                                  detail='as="quoted", and a comma')
    finally:
        await store.close()
    run: Callable[[list[str]], Awaitable[int]] = lambda argv: asyncio.to_thread(  # noqa: E731
        main, ["--data", str(data), *argv])
    first = tmp_path / "first.jsonl"
    assert await run(["audit", "--export", str(first)]) == 0
    head, rows, trailer = _exported(first)
    assert head["format"] == "mailseal-audit/1"
    assert [row["actor"] for row in rows] == [f"r{n}@x.test" for n in range(5)]
    assert rows[0]["detail"] == 'as="quoted", and a comma' and trailer["rows"] == 5
    # The next export starts after the last id this one names.
    again = tmp_path / "again.jsonl"
    assert await run(["audit", "--export", str(again), "--after-id", str(trailer["lastId"])]) == 0
    assert _exported(again)[1] == []
    # A changed byte no longer matches the checksum.
    tampered = first.read_bytes().replace(b"r3@x.test", b"r9@x.test")
    assert hashlib.sha256(b"".join(tampered.splitlines(keepends=True)[:-1])).hexdigest() != trailer["sha256"]
