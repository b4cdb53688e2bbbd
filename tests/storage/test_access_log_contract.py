"""The access log's reads on both engines: a person gets the rows of their own addresses and the rows about
no party, never another party's; pages of held and sent messages; the queries run on their indexes."""

from __future__ import annotations

import pytest

from mailseal.storage import NewSeal, Store

M1, M2, M3 = "a" * 26, "b" * 26, "c" * 26


def seal(message_id: str, *, sender: str = "alice@example.org", created_at: int = 100) -> NewSeal:
    return NewSeal(
        message_id=message_id, issuer="https://mail.example.org", sender=sender,
        recipients=("bob@gmail.com", "carol@yahoo.com"), template="encrypt-only", rights=("reply",),
        created_at=created_at, expires_at=None, header_fingerprint=b"\x01" * 32,
    )


async def populate(store: Store) -> None:
    await store.devices.add("dev-bob", name="Chrome on Android", now=100)
    for number, message_id in enumerate((M1, M2, M3)):
        await store.seals.add(seal(message_id, created_at=100 + number), key_id="k1", wrapped_key=b"w")
        await store.envelopes.add(message_id, size=1, stored_at=100 + number, thread_id=message_id, in_reply_to=None)
        await store.envelopes.add_to_inboxes(message_id, ["bob@gmail.com", "carol@yahoo.com"], via="seal",
                                             at=100 + number)
    add = store.audit.add
    await add(at=100, action="seal", message_id=M1, actor="relay")
    await add(at=110, action="open", message_id=M1, actor="bob@gmail.com,bob@work.example", detail="as=bob@gmail.com",
              address="bob@gmail.com", device_id="dev-bob")
    await add(at=111, action="open", message_id=M1, actor="carol@yahoo.com", detail="as=carol@yahoo.com",
              address="carol@yahoo.com", device_id="dev-carol")
    await add(at=112, action="refuse", message_id=M1, actor="mallory@evil.example", outcome="policy.not-recipient",
              detail="open")
    await add(at=113, action="open", message_id=M2, actor="bob@gmail.com", address="bob@gmail.com",
              device_id="gone-device")
    await add(at=114, action="open", message_id=M1, actor="bob@gmail.com", address="bob@gmail.com",
              device_id="dev-bob")


async def test_a_person_reads_their_own_rows_and_those_about_no_party(store: Store) -> None:
    await populate(store)
    rows = await store.access_log.rows_about([M1], ["Bob@Gmail.com"])
    assert [(r.action, r.address) for r in rows] == [
        ("seal", None), ("open", "bob@gmail.com"), ("refuse", None), ("open", "bob@gmail.com")]
    assert rows[1].device_name == "Chrome on Android" and rows[1].device_id == "dev-bob"
    assert all(r.address != "carol@yahoo.com" for r in rows)
    both = await store.access_log.rows_about([M1, M2], ["bob@gmail.com"])
    gone = [r for r in both if r.message_id == M2]
    assert len(gone) == 1 and gone[0].device_id == "gone-device" and gone[0].device_name is None
    assert await store.access_log.rows_about([], ["bob@gmail.com"]) == []
    assert [r.address for r in await store.access_log.rows_about([M1], [])] == [None, None]


async def test_the_sender_reads_every_row_and_counts_opens(store: Store) -> None:
    await populate(store)
    assert len(await store.access_log.rows_of(M1)) == 5
    opens = {(o.message_id, o.address): o for o in await store.access_log.opens([M1, M2])}
    assert set(opens) == {(M1, "bob@gmail.com"), (M1, "carol@yahoo.com"), (M2, "bob@gmail.com")}
    bob = opens[(M1, "bob@gmail.com")]
    assert (bob.first_at, bob.last_at, bob.count) == (110, 114, 2)


async def test_deliveries_are_the_inbox_rows_of_the_asked_addresses(store: Store) -> None:
    await populate(store)
    found = await store.access_log.deliveries([M1, M2], ["bob@gmail.com"])
    assert [(d.message_id, d.address, d.at, d.via) for d in found] == [
        (M1, "bob@gmail.com", 100, "seal"), (M2, "bob@gmail.com", 101, "seal")]
    assert await store.access_log.deliveries([M1], []) == []


async def test_held_and_sent_messages_page_newest_first(store: Store) -> None:
    await populate(store)
    first = await store.access_log.held(["bob@gmail.com"], before=None, limit=2)
    assert [h.message_id for h in first] == [M3, M2]
    rest = await store.access_log.held(["bob@gmail.com"], before=(first[-1].added_at, first[-1].message_id), limit=2)
    assert [h.message_id for h in rest] == [M1]
    assert await store.access_log.held(["dave@example.com"], before=None, limit=5) == []
    sent = await store.seals.sent_by(["Alice@Example.org"], before=None, limit=2)
    assert [s.message_id for s in sent] == [M3, M2]
    older = await store.seals.sent_by(["alice@example.org"], before=(sent[-1].created_at, M2), limit=2)
    assert [s.message_id for s in older] == [M1]
    assert await store.seals.sent_by(["bob@gmail.com"], before=None, limit=5) == []


async def test_the_reads_use_their_indexes(store: Store) -> None:
    """On SQLite, the query plans name the indexes: no read scans the audit trail or every seal."""
    if store.dialect != "sqlite":
        pytest.skip("query plans are checked on SQLite; PostgreSQL has the same indexes (schema test)")
    plans = {
        "rows_about": "SELECT id FROM audit WHERE message_id IN (?, ?) AND address IN (?)",
        "opens": "SELECT message_id, address, COUNT(*) FROM audit WHERE message_id IN (?) AND address IS NOT NULL"
                 " AND action = 'open' GROUP BY message_id, address",
        "sent_by": "SELECT message_id FROM seals WHERE sender IN (?) ORDER BY created_at DESC, message_id DESC",
    }
    for name, sql in plans.items():
        rows = await store.engine.fetch_all("EXPLAIN QUERY PLAN " + sql, ("x",) * sql.count("?"))
        plan = " ".join(str(r[3]) for r in rows)
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (name, plan)
        assert "audit_by_message_address" in plan or "seals_by_sender" in plan, (name, plan)
