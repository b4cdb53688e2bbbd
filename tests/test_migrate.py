"""`mailseal migrate`: an embedded installation (SQLite + blob folder) copied to PostgreSQL + S3.

The main test seals 1,000 messages, kills the copy twice with SIGKILL part-way, runs it to the end, then
opens every message on the new engines byte for byte as its recipient; the others check what it refuses
(a target holding another installation's data, a source being written) and that a key destroyed after a
copy stays destroyed in the copy.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest

from mailseal import format as fmt
from mailseal.composition import Instance, open_instance
from mailseal.config import load_settings
from mailseal.errors import MessageRevoked, MigrationRefused
from mailseal.keys import Identity, KeyRing, KeyService, open_key_ring
from mailseal.messages.protect import protect
from mailseal.storage import AuditEntry, Store, open_store
from mailseal.storage.blobs import BlobStore, FolderBlobStore, open_blob_store
from mailseal.storage.migrate import MigrationReport, copy_blob, migrate
from mailseal.templates import policy_for
from support.postgres import postgres_cluster, postgres_url

__all__ = ["postgres_cluster", "postgres_url"]

SENDER = "alice@example.org"


def mail(number: int) -> bytes:
    recipient = f"r{number % 7}@example.net"
    return (
        f"From: {SENDER}\r\nTo: {recipient}\r\nSubject: Message {number}\r\n"
        f"Message-ID: <m{number}@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Body of message {number}: {'figures ' * (number % 13)}\r\n"
    ).encode()


def recipient_of(number: int) -> str:
    return f"r{number % 7}@example.net"


class Sealed(msgspec.Struct, frozen=True):
    message_id: str
    number: int


async def seal_many(instance: Instance, count: int) -> list[Sealed]:
    """Seal `count` small mails, a few dozen at a time (their fsyncs overlap)."""
    policy = policy_for("encrypt-only", expires_days=None, now=time.time())

    async def one(number: int) -> Sealed:
        sealed = await protect(instance.messages, io.BytesIO(mail(number)), sender=SENDER,
                               recipients=[recipient_of(number)], policy=policy, actor="test")
        return Sealed(sealed.message_id, number)

    done: list[Sealed] = []
    for start in range(0, count, 50):
        done += await asyncio.gather(*(one(n) for n in range(start, min(start + 50, count))))
    return done


async def add_identity_rows(store: Store) -> None:
    """Passcodes, devices, sessions with addresses, rate events, forward addresses, a push subscription, an
    admin token and a queued mail: one or more rows in every table."""
    now = int(time.time())
    for n in range(5):
        await store.codes.add(address_key=f"key{n}", version=1, reference=f"ref{n}", mac=bytes([n]) * 32,
                              requester="client", created_at=now, expires_at=now + 600)
        await store.devices.add(f"device{n}", name=f"Phone {n}", now=now)
        session = await store.sessions.add(id_hash=f"hash{n}", device_id=f"device{n}", now=now, expires_at=now + 9)
        await store.sessions.add_address(session, recipient_of(n), now=now)
        await store.limits.record(f"bucket{n % 2}", at=now)
        await store.limits.record(f"bucket{n % 2}", at=now)  # the same row twice: a table without a key
    await store.forward_addresses.add_token("tok", at=now)
    await store.forward_addresses.add_owner(recipient_of(1), "tok", at=now)
    await store.push_subscriptions.save(device_id="device1", endpoint="https://push.example/1",
                                        p256dh=b"\x04" * 65, auth=b"a" * 16, show_sender=False, now=now)
    await store.admin_tokens.add("tokenhash", name="ops", at=now)
    await store.mail_queue.add(mail_from=SENDER, recipients=("x@example.net",), message=b"x" * 70_000, at=now)


async def make_installation(data: Path, count: int, *, revoke: int) -> tuple[list[Sealed], set[str]]:
    """An embedded installation in `data`: `count` sealed messages, the first `revoke` of them revoked."""
    instance = await open_instance(load_settings({"MAILSEAL_DATA": str(data)}))
    try:
        sealed = await seal_many(instance, count)
        revoked = {s.message_id for s in sealed[:revoke]}
        for message_id in revoked:
            await instance.keys.revoke(message_id, actor="cli:test")
        await add_identity_rows(instance.store)
    finally:
        await instance.close()
    return sealed, revoked


def key_ring(data: Path) -> KeyRing:
    """The installation's key ring (a file ring: the default `key_store`), as the new installation opens it."""
    ring, _ = open_key_ring(load_settings({"MAILSEAL_DATA": str(data)}), data / "keys")
    return ring


def command(data: Path, database: str, blobs: str) -> list[str]:
    return [sys.executable, "-m", "mailseal", "--data", str(data), "migrate", "--to-database", database,
            "--to-blobs", blobs]


def run_until(args: list[str], pattern: str) -> list[str]:
    """Start `mailseal migrate`, SIGKILL it as soon as it prints a line matching `pattern`; its lines."""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if re.search(pattern, line):
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "".join(lines)
    return lines


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)


def table_counts(output: str) -> dict[str, tuple[int, int]]:
    """(rows, copied) per table from the report."""
    found = re.findall(r"^([a-z_]+)\s+(\d+)\s+(\d+)\s+(\d+)$", output, re.MULTILINE)
    return {name: (int(rows), int(copied)) for name, rows, copied, _ in found}


def blob_line(output: str) -> tuple[int, int, int, int]:
    found = re.search(r"envelopes: (\d+) \(.*\): (\d+) copied, (\d+) there already, (\d+) verified by SHA-256",
                      output)
    assert found, output
    total, copied, skipped, verified = found.groups()
    return int(total), int(copied), int(skipped), int(verified)


def read_all(blobs: BlobStore, message_id: str, key: bytes) -> bytes:
    with blobs.open(message_id) as envelope:
        return b"".join(fmt.open_envelope(envelope, key).iter_plaintext())


async def audit_trail(database: str) -> list[AuditEntry]:
    store = await open_store(database)
    try:
        return await store.audit.entries(None, limit=1_000_000)
    finally:
        await store.close()


@pytest.mark.slow
async def test_a_thousand_messages_survive_two_kills_and_open_on_postgres_and_s3(
    data_dir: Path, postgres_url: str, s3_blob_url: str
) -> None:
    began = time.monotonic()
    sealed, revoked = await make_installation(data_dir, 1000, revoke=5)
    source_url = load_settings({"MAILSEAL_DATA": str(data_dir)}).resolved_database_url
    source_audit = await audit_trail(source_url)
    built = time.monotonic()
    args = [*command(data_dir, postgres_url, s3_blob_url), "--batch-rows", "10"]

    # Killed while copying tables (small batches: the copy of the tables takes a while), then killed again
    # after some envelopes reached the bucket.
    run_until(args, r"^table admin_tokens")
    second = "".join(run_until(args, r"^blobs: \d+/1000"))
    resumed = [tuple(map(int, found)) for found in re.findall(r"\((\d+) copied now, (\d+) there already\)", second)]
    assert sum(now for now, _ in resumed) > 0 and sum(there for _, there in resumed) > 0, second
    assert re.search(r"^blobs: 100/1000 \(100 copied", second, re.MULTILINE), second
    finished = run(args)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    total, copied, skipped, verified = blob_line(finished.stdout)
    # The envelopes of the killed run were checked and kept, not copied again.
    assert (total, verified) == (1000, 1000) and skipped >= 100 and copied + skipped == 1000
    tables = table_counts(finished.stdout)
    assert tables["seals"][0] == 1000 and tables["envelopes"][0] == 1000 and tables["inbox"][0] == 1000
    assert tables["audit"][0] == len(source_audit) == 1000 + 5  # a seal each, and the revokes
    for name in ("passcodes", "sessions", "session_addresses", "devices", "rate_events", "push_subscriptions",
                 "forward_owners", "admin_tokens", "mail_queue"):
        assert tables[name][0] > 0, name
    assert f"a file key ring, {data_dir / 'keys' / 'ring.json'}" in finished.stdout
    assert "MAILSEAL_DATABASE_URL=postgresql://" in finished.stdout
    assert f"MAILSEAL_BLOB_URL={s3_blob_url}" in finished.stdout
    migrated = time.monotonic()

    # Run again after completion: nothing to copy, everything verified.
    again = run(args[:-2])
    assert again.returncode == 0, again.stdout + again.stderr
    assert blob_line(again.stdout) == (1000, 0, 1000, 1000)
    assert table_counts(again.stdout) == {name: (rows, 0) for name, (rows, _) in tables.items()}
    checked = time.monotonic()

    # The audit trail arrived whole and in order, before our opens add to it.
    assert await audit_trail(postgres_url) == source_audit

    # Every message opens on PostgreSQL + S3 as its recipient, byte for byte; the revoked stay refused.
    store = await open_store(postgres_url)
    blobs = open_blob_store(s3_blob_url)
    keys = KeyService(store, key_ring(data_dir))

    async def open_one(item: Sealed) -> None:
        identity = Identity(addresses=(recipient_of(item.number),))
        if item.message_id in revoked:
            with pytest.raises(MessageRevoked):
                await keys.unwrap(item.message_id, identity)
            found = await store.seals.get(item.message_id)
            assert found is not None and found.wrapped_key is None
            return
        key = await keys.unwrap(item.message_id, identity)
        assert await asyncio.to_thread(read_all, blobs, item.message_id, key.key) == mail(item.number)

    try:
        for start in range(0, len(sealed), 20):
            await asyncio.gather(*(open_one(item) for item in sealed[start : start + 20]))
        # The sequences went past the copied ids: new rows (the opens' audit rows above, a new session) fit.
        await store.devices.add("device-new", name="Laptop", now=int(time.time()))
        session = await store.sessions.add(id_hash="new", device_id="device-new", now=int(time.time()), expires_at=1)
        assert session.pk == 6
    finally:
        await store.close()
    opened = time.monotonic()

    # Once the new installation has written to it (the opens' audit rows), the target is no longer a copy.
    refused = run(args)
    assert refused.returncode == 1 and "[migrate.refused]" in refused.stderr and "audit (" in refused.stderr
    print(f"\n{finished.stdout}\n{again.stdout}")  # what the runs said, with their timings (pytest -s)
    print(f"\nbuild {built - began:.1f} s, migrate (3 runs) {migrated - built:.1f} s, again {checked - migrated:.1f}"
          f" s, open {opened - checked:.1f} s, refused {time.monotonic() - opened:.1f} s")


def folder_url(path: Path) -> str:
    return path.as_uri()


async def migrate_to(data: Path, database: str, blobs: Path) -> MigrationReport:
    settings = load_settings({"MAILSEAL_DATA": str(data)})
    return await migrate(source_database=settings.resolved_database_url,
                         source_blobs=open_blob_store(settings.resolved_blob_url),
                         target_database=database, target_blobs=open_blob_store(folder_url(blobs)))


async def seal_count(database: str) -> int:
    store = await open_store(database)
    try:
        return len(await store.seals.newest(limit=1000))
    finally:
        await store.close()


async def test_a_target_holding_another_installations_seals_is_refused_untouched(
    tmp_path: Path, postgres_url: str
) -> None:
    await make_installation(tmp_path / "ours", 3, revoke=0)
    other = await open_instance(load_settings({"MAILSEAL_DATA": str(tmp_path / "other"),
                                               "MAILSEAL_DATABASE_URL": postgres_url}))
    try:
        await seal_many(other, 2)
    finally:
        await other.close()

    with pytest.raises(MigrationRefused, match=r"audit \(2\), envelopes \(2\), seals \(2\), inbox \(2\)\."):
        await migrate_to(tmp_path / "ours", postgres_url, tmp_path / "target-blobs")
    assert await seal_count(postgres_url) == 2
    assert not any((tmp_path / "target-blobs").rglob("*.seal"))


async def test_a_key_destroyed_after_a_copy_is_destroyed_in_the_copy_by_the_next_run(
    tmp_path: Path, postgres_url: str
) -> None:
    data = tmp_path / "data"
    sealed, _ = await make_installation(data, 3, revoke=0)
    first = await migrate_to(data, postgres_url, tmp_path / "target-blobs")
    assert (first.destroyed_keys, first.blobs.copied) == (0, 3)

    instance = await open_instance(load_settings({"MAILSEAL_DATA": str(data)}))
    try:
        await instance.keys.revoke(sealed[0].message_id, actor="cli:test")
    finally:
        await instance.close()
    second = await migrate_to(data, postgres_url, tmp_path / "target-blobs")
    assert second.destroyed_keys == 1
    assert {t.name: t.copied for t in second.tables}["audit"] == 1  # the revoke

    store = await open_store(postgres_url)
    try:
        keys = KeyService(store, key_ring(data))
        found = await store.seals.get(sealed[0].message_id)
        assert found is not None and found.wrapped_key is None and found.record.revoked_at is not None
        with pytest.raises(MessageRevoked):
            await keys.unwrap(sealed[0].message_id, Identity(addresses=(recipient_of(0),)))
    finally:
        await store.close()


async def test_a_source_being_written_is_refused(tmp_path: Path, postgres_url: str) -> None:
    data = tmp_path / "data"
    await make_installation(data, 1, revoke=0)
    writer = sqlite3.connect(data / "mailseal.sqlite", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # what a server's write transaction holds
        with pytest.raises(MigrationRefused, match="stop `mailseal serve` first"):
            await migrate_to(data, postgres_url, tmp_path / "target-blobs")
    finally:
        writer.close()
    assert await seal_count(postgres_url) == 0


def test_an_envelope_is_copied_once_recopied_when_damaged_and_a_missing_one_is_named(tmp_path: Path) -> None:
    source, target = FolderBlobStore(tmp_path / "source"), FolderBlobStore(tmp_path / "target")
    message_id = "a" * 26
    with source.staging() as (handle, path):
        handle.write(b"sealed bytes" * 1000)
        handle.flush()
        source.commit(path, message_id)
    size = source.size(message_id)

    assert copy_blob(source, target, message_id, size) == 1
    assert copy_blob(source, target, message_id, size) == 0  # there, same size and SHA-256: kept
    damaged = bytearray(target.path(message_id).read_bytes())
    damaged[5] ^= 1
    target.path(message_id).write_bytes(bytes(damaged))  # same size, another hash: copied again
    assert copy_blob(source, target, message_id, size) == 1
    assert target.path(message_id).read_bytes() == source.path(message_id).read_bytes()
    wrong = copy_blob(source, target, message_id, size + 1)
    assert wrong == f"the source envelope has {size} bytes, the database says {size + 1}"
    assert copy_blob(source, target, "b" * 26, 10) == "the source envelope is missing"
