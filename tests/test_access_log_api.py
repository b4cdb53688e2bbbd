"""The access log through the API: each recipient sees exactly their own addresses' events, the sender sees
every recipient's opens and can revoke, and nobody else sees anything (problems with stable codes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support.mailseal_app import MailsealClient, running_app, simple_mail

COOKIE = "__Host-mailseal"
ALICE, BOB, CAROL, DAVE = "alice@example.org", "bob@gmail.com", "carol@yahoo.com", "dave@example.net"


async def person(app: MailsealClient, address: str) -> str:
    """Sign `address` in on a fresh device; returns its session cookie."""
    app.http.cookies.clear()
    await app.sign_in(address)
    return app.http.cookies[COOKIE]


def act_as(app: MailsealClient, cookie: str) -> None:
    app.http.cookies.clear()
    app.http.cookies.set(COOKIE, cookie, domain="mailseal.test")


async def get_json(app: MailsealClient, url: str, status: int = 200) -> Any:
    response = await app.http.get(url)
    assert response.status_code == status, response.text
    return response.json()


async def a_message_read_by_two(app: MailsealClient) -> tuple[str, dict[str, str]]:
    """Alice's message to Bob and Carol: Bob opens it twice, Carol once, Dave (no party) tries once."""
    sealed = await app.seal(simple_mail("Board minutes"), sender=ALICE, recipients=(BOB, CAROL))
    mid = sealed.message_id
    cookies = {who: await person(app, who) for who in (BOB, CAROL, DAVE, ALICE)}
    for who, times, status in ((BOB, 2, 200), (CAROL, 1, 200), (DAVE, 1, 403)):
        act_as(app, cookies[who])
        for _ in range(times):
            assert (await app.http.get(f"/api/messages/{mid}")).status_code == status
    return mid, cookies


@pytest.mark.engines
async def test_a_recipient_sees_exactly_their_own_addresses_events(data_dir: Path) -> None:
    async with running_app(data_dir, relay_port=0, inbound_port=0) as app:
        mid, cookies = await a_message_read_by_two(app)
        act_as(app, cookies[BOB])
        response = await app.http.get(f"/api/messages/{mid}/access-log")
        assert response.status_code == 200
        log = response.json()
        assert log["role"] == "recipient" and log["recipients"] == [BOB] and log["sender"] == ALICE
        assert log["subject"] == "Board minutes" and log["state"] == "ok"
        kinds = [e["kind"] for e in log["events"]]
        assert kinds[:2] == ["sent", "delivered"]
        opened = [e for e in log["events"] if e["kind"] == "opened"]
        assert len(opened) == 2 and all(e["address"] == BOB and e["thisDevice"] for e in opened)
        assert all(e["device"] for e in opened), "the person's own opens name the device"
        someone = [e for e in log["events"] if e["kind"] == "refused-someone-else"]
        assert len(someone) == 1 and someone[0]["address"] == "" and someone[0]["outcome"] == "policy.not-recipient"
        addresses = {e["address"] for e in log["events"]} - {""}
        assert addresses == {BOB}
        assert CAROL not in response.text and DAVE not in response.text

        act_as(app, cookies[CAROL])
        carol = await app.http.get(f"/api/messages/{mid}/access-log")
        assert {e["address"] for e in carol.json()["events"]} - {""} == {CAROL}
        assert [e["kind"] for e in carol.json()["events"]].count("opened") == 1
        assert BOB not in carol.text and DAVE not in carol.text

        # Settings: every message of the person, the same events.
        page = await get_json(app, "/api/access-log")
        assert [m["messageId"] for m in page["messages"]] == [mid] and page["next"] == ""
        assert {e["address"] for e in page["messages"][0]["events"]} - {""} == {CAROL}


@pytest.mark.engines
async def test_the_sender_sees_every_recipients_opens_and_revokes_from_the_app(data_dir: Path) -> None:
    async with running_app(data_dir, relay_port=0, inbound_port=0) as app:
        mid, cookies = await a_message_read_by_two(app)
        act_as(app, cookies[ALICE])
        sent = await get_json(app, "/api/sent")
        assert [m["messageId"] for m in sent["messages"]] == [mid]
        readers = {r["address"]: r for r in sent["messages"][0]["recipients"]}
        assert readers[BOB]["opens"] == 2 and readers[CAROL]["opens"] == 1
        assert readers[BOB]["firstOpenedAt"] and readers[CAROL]["deliveredAt"]
        log = await get_json(app, f"/api/messages/{mid}/access-log")
        assert log["role"] == "sender" and set(log["recipients"]) == {BOB, CAROL}
        opened = [e for e in log["events"] if e["kind"] == "opened"]
        assert sorted(e["address"] for e in opened) == [BOB, BOB, CAROL]
        assert all(e["device"] == "" for e in opened), "the sender is not told the readers' devices"
        assert DAVE not in str(log)

        # Bob may not revoke Alice's message, nor learn whether an id exists.
        act_as(app, cookies[BOB])
        refused = await app.post(f"/api/sent/{mid}/revoke")
        unknown = await app.post(f"/api/sent/{'q' * 26}/revoke")
        assert refused.status_code == unknown.status_code == 403
        assert refused.json()["code"] == unknown.json()["code"] == "message.not-the-sender"
        assert (await get_json(app, "/api/sent"))["messages"] == []

        act_as(app, cookies[ALICE])
        assert (await app.http.post(f"/api/sent/{mid}/revoke")).status_code == 403, "CSRF is checked"
        revoked = await app.post(f"/api/sent/{mid}/revoke")
        assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
        trail = await app.run(app.services.instance.keys.audit(mid))
        assert [(e.action, e.actor) for e in trail if e.action == "revoke"] == [("revoke", f"sender:{ALICE}")]

        act_as(app, cookies[BOB])
        gone = await app.http.get(f"/api/messages/{mid}")
        assert gone.status_code == 410 and gone.json()["code"] == "policy.revoked"
        events = (await get_json(app, f"/api/messages/{mid}/access-log"))["events"]
        assert [(e["kind"], e["by"]) for e in events if e["kind"] == "revoked"] == [("revoked", "sender")]


async def test_anyone_else_gets_the_same_not_yours_answer(data_dir: Path) -> None:
    async with running_app(data_dir, relay_port=0, inbound_port=0) as app:
        mid, cookies = await a_message_read_by_two(app)
        act_as(app, cookies[DAVE])
        theirs = await app.http.get(f"/api/messages/{mid}/access-log")
        missing = await app.http.get(f"/api/messages/{'q' * 26}/access-log")
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json() == missing.json() and theirs.json()["code"] == "access-log.not-yours"
        assert (await get_json(app, "/api/access-log"))["messages"] == []
        app.http.cookies.clear()
        assert (await app.http.get(f"/api/messages/{mid}/access-log")).status_code == 401


async def test_the_persons_log_pages_newest_first(data_dir: Path) -> None:
    async with running_app(data_dir, relay_port=0, inbound_port=0) as app:
        ids = [(await app.seal(simple_mail(f"Note {n}"), sender=ALICE, recipients=(BOB,))).message_id
               for n in range(3)]
        await app.sign_in(BOB)
        first = await get_json(app, "/api/access-log?limit=2")
        assert len(first["messages"]) == 2 and first["next"]
        rest = await get_json(app, f"/api/access-log?limit=2&before={first['next']}")
        seen = [m["messageId"] for m in first["messages"] + rest["messages"]]
        assert sorted(seen) == sorted(ids) and rest["next"] == ""
        bad = await app.http.get("/api/access-log?before=yesterday")
        assert bad.status_code == 400 and bad.json()["code"] == "input.invalid"
        assert (await app.http.get("/api/access-log?limit=500")).status_code == 400


def test_every_kind_the_server_sends_has_its_words_in_the_app() -> None:
    import json

    from mailseal.messages.access_log import KINDS, SOMEONE_ELSE_REFUSED

    locales = Path(__file__).parent.parent / "pwa" / "locales"
    catalogue = {key for path in (locales / "en.json", locales / "later" / "en.json")
                 for key in json.loads(path.read_text(encoding="utf-8"))}
    for kind in {*KINDS.values(), SOMEONE_ELSE_REFUSED, "delivered"}:
        assert f"accesslog.event.{kind}" in catalogue, kind
