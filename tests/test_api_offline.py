"""Offline reading through the real app: the server's word on each copy a device keeps (docs/offline.md)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from mailseal import format as fmt
from mailseal.messages.protect import protect
from support.mailseal_app import MailsealClient, running_app, simple_mail

BOARD_RULES = """\
version = 1

[templates.board]
rights = ["view", "reply", "forward"]
offline = false

[templates.team]
rights = ["view", "reply", "forward", "print"]
"""


async def seal_under(app: MailsealClient, template: str, rights: tuple[str, ...]) -> str:
    async def run() -> str:
        policy = fmt.Policy(template=template, rights=rights, expires_at=None)
        sealed = await protect(app.services.instance.messages, io.BytesIO(simple_mail()), sender="alice@example.org",
                               recipients=("bob@gmail.com",), policy=policy, actor="test")
        return sealed.message_id

    result: str = await app.in_app(run)
    return result


async def confirm(app: MailsealClient, ids: list[str]) -> dict[str, dict[str, object]]:
    response = await app.post("/api/offline/confirm", json={"ids": ids})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return {m["id"]: m for m in response.json()["messages"]}


@pytest.mark.engines
async def test_each_kept_copy_gets_its_state(tmp_path: Path) -> None:
    async with running_app(tmp_path, offline_confirm_days=3, offline_attachment_max_bytes=1000) as app:
        (app.settings.data_path / "rules.toml").write_text(BOARD_RULES)
        kept = await app.seal(simple_mail(), expires_days=5)
        revoked = await app.seal(simple_mail())
        expired = await app.seal(simple_mail(), expires_days=1)
        dnf = await app.seal(simple_mail(), template="do-not-forward")
        not_mine = await app.seal(simple_mail(), recipients=("carol@gmail.com",))
        board = await seal_under(app, "board", ("view", "reply", "forward"))
        team = await seal_under(app, "team", ("view", "reply", "forward", "print"))
        await app.sign_in("bob@gmail.com")
        await app.run(app.services.instance.keys.revoke(revoked.message_id, actor="admin"))
        keys = app.services.instance.keys
        real = keys.clock
        keys.clock = lambda: real() + 2 * 86400

        response = await app.post("/api/offline/confirm", json={"ids": [kept.message_id]})
        policy = response.json()["policy"]
        assert policy == {"enabled": True, "attachmentMaxBytes": 1000, "storeMaxBytes": 200 * 1024 * 1024,
                          "confirmDays": 3}
        checked_at = response.json()["checkedAt"]
        assert abs(checked_at - (time.time() + 2 * 86400)) < 60, "the server's clock, not the device's"

        ids = [kept.message_id, revoked.message_id, expired.message_id, dnf.message_id, not_mine.message_id,
               "no-such-message", board, team, kept.message_id]
        states = await confirm(app, ids)
        assert list(states) == ids[:-1], "one answer per message, in the order asked"
        assert {i: (s["state"], s["keep"]) for i, s in states.items()} == {
            kept.message_id: ("ok", True),
            revoked.message_id: ("revoked", False),
            expired.message_id: ("expired", False),
            dnf.message_id: ("ok", False),  # readable online, never kept
            not_mine.message_id: ("gone", False),  # says nothing about other people's messages
            "no-such-message": ("gone", False),
            board: ("ok", False),  # the template forbids it
            team: ("ok", True),
        }
        assert states[kept.message_id]["expiresAt"] == (await app.run(keys.record(kept.message_id))).expires_at
        audit = await app.run(keys.audit(kept.message_id))
        assert [e.action for e in audit] == ["seal"], "a confirmation unwraps nothing and opens nothing"


async def test_the_organisation_can_forbid_it(tmp_path: Path) -> None:
    async with running_app(tmp_path, offline_reading=False) as app:
        sealed = await app.seal(simple_mail())
        await app.sign_in("bob@gmail.com")
        response = await app.post("/api/offline/confirm", json={"ids": [sealed.message_id]})
        assert response.json()["policy"]["enabled"] is False
        assert response.json()["messages"] == [{"id": sealed.message_id, "state": "ok", "keep": False,
                                                "expiresAt": None}]


async def test_signed_out_and_oversized_asks_are_refused(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        await app.http.get("/api/me")  # the CSRF cookie
        response = await app.post("/api/offline/confirm", json={"ids": []})
        assert response.status_code == 401 and response.json()["code"] == "auth.required"
        await app.sign_in("bob@gmail.com")
        response = await app.post("/api/offline/confirm", json={"ids": ["x"] * 501})
        assert response.status_code == 400
