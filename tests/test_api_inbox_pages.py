"""The inbox in pages through the real app: cursors, their refusals, and the counts kept beside them."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from support.mailseal_app import MailsealClient, running_app, simple_mail

BOB = "bob@gmail.com"
WORK = "bob@work.example"


async def page(app: MailsealClient, **params: Any) -> dict[str, Any]:
    response = await app.http.get("/api/messages", params=params)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def every_page(app: MailsealClient, limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    answer = await page(app, limit=limit)
    while True:
        pages.append([m["id"] for m in answer["messages"]])
        if answer["nextCursor"] is None:
            return pages
        answer = await page(app, limit=limit, cursor=answer["nextCursor"])


async def seal_many(app: MailsealClient, count: int, *, to: tuple[str, ...] = (BOB,), **options: Any) -> list[str]:
    ids = []
    for number in range(count):
        sealed = await app.seal(simple_mail(subject=f"Number {number}"), recipients=to, **options)
        ids.append(sealed.message_id)
    return ids


def counts(answer: dict[str, Any]) -> tuple[int, int]:
    return answer["total"], answer["unread"]


@pytest.mark.engines
async def test_pages_reach_every_message_once_newest_first_and_stay_put_when_mail_arrives(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        ids = await seal_many(app, 7)
        await app.sign_in(BOB)
        assert await every_page(app, 3) == [ids[6:3:-1], ids[3:0:-1], ids[:1]]
        first = await page(app, limit=3)
        assert [m["subject"] for m in first["messages"]] == ["Number 6", "Number 5", "Number 4"]
        item = first["messages"][0]  # every field an item had before pages, and how big its thread is
        assert {"id", "threadId", "from", "fromName", "to", "subject", "date", "template", "rights", "expiresAt",
                "unread", "via", "state", "threadCount"} <= set(item)
        assert item["threadCount"] == 1 and item["state"] == "ok"
        assert counts(first) == (7, 7)
        second = await page(app, limit=3, cursor=first["nextCursor"])
        newer = await seal_many(app, 2)
        assert await page(app, limit=3, cursor=first["nextCursor"]) == {**second, "total": 9, "unread": 9}
        assert [m["id"] for m in (await page(app, limit=3))["messages"]] == [newer[1], newer[0], ids[6]]
        whole = await page(app)  # no limit: a page of 50, the last one
        assert len(whole["messages"]) == 9 and whole["nextCursor"] is None


def tampered(cursor: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[8] ^= 1  # one bit of the position
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


@pytest.mark.engines
async def test_a_cursor_not_made_here_or_a_limit_out_of_range_is_a_400_with_its_code(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await seal_many(app, 3)
        await app.sign_in(BOB)
        cursor = (await page(app, limit=1))["nextCursor"]
        assert cursor
        for bad in (tampered(cursor), cursor[:-2], cursor + "AA", cursor[:5] + "." + cursor[5:], "not a cursor", "%%%",
                    "A" * 500, "é", "A=="):
            response = await app.http.get("/api/messages", params={"cursor": bad})
            assert response.status_code == 400, bad
            assert response.json()["code"] == "inbox.bad-cursor", bad
        for bad in ("0", "201", "-1", "abc", "1.5", "99999999999", "٣"):
            response = await app.http.get("/api/messages", params={"limit": bad})
            assert response.status_code == 400, bad
            assert response.json()["code"] == "inbox.bad-limit", bad
        assert len((await page(app, limit="200"))["messages"]) == 3


@pytest.mark.engines
async def test_counts_follow_opens_new_mail_revocation_expiry_and_the_addresses_of_the_session(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        ids = await seal_many(app, 4)
        await app.sign_in(BOB)
        assert counts(await page(app)) == (4, 4)
        assert (await app.http.get(f"/api/messages/{ids[0]}")).status_code == 200  # opened
        assert (await app.http.get(f"/api/messages/{ids[0]}")).status_code == 200  # again: counted once
        assert counts(await page(app)) == (4, 3)
        await seal_many(app, 1)  # new mail
        assert counts(await page(app)) == (5, 4)
        await app.run(app.services.instance.keys.revoke(ids[1], actor="admin"))
        answer = await page(app)
        assert counts(answer) == (5, 3)
        revoked = next(m for m in answer["messages"] if m["id"] == ids[1])
        assert revoked["state"] == "policy.revoked" and revoked["unread"] is False
        [expiring] = await seal_many(app, 1, expires_days=1)
        assert counts(await page(app)) == (6, 4)
        store = app.services.instance.store
        await app.run(store.engine.execute_one("UPDATE seals SET expires_at = 1 WHERE message_id = ?", (expiring,)))
        assert await app.run(app.services.instance.keys.expire_due()) == [expiring]
        assert counts(await page(app)) == (6, 3)

        await seal_many(app, 2, to=(WORK,))
        await seal_many(app, 1, to=(BOB, WORK))  # both of one person's addresses: counted for each
        assert counts(await page(app)) == (7, 4)
        await app.sign_in(WORK)  # an address added to the session
        answer = await page(app)
        assert counts(answer) == (10, 7) and len(answer["messages"]) == 9
        await app.delete(f"/api/me/addresses/{BOB}")  # and taken out of it
        assert counts(await page(app)) == (3, 3)
