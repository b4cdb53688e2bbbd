"""The admin API: bearer tokens (stored as SHA-256 only), messages, revocation, the audit trail."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from mailseal import cli
from mailseal.admin_tokens import AdminTokens
from support.mailseal_app import MailsealClient, running_app, simple_mail
from support.secrets import remember


async def new_token(app: MailsealClient, name: str = "ops") -> str:
    token, _ = await app.run(AdminTokens(app.services.instance.store).create(name))
    remember(token)
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer mailseal_admin_" + "A" * 43},
        {"Authorization": "Bearer not-even-the-shape"},
        {"Authorization": "Bearer " + "x" * 5000},
    ],
    ids=["none", "basic", "empty", "unknown", "shape", "huge"],
)
async def test_without_a_valid_token_every_admin_route_is_refused(data_dir: Path, headers: dict[str, str]) -> None:
    async with running_app(data_dir, relay_port=0, inbound_port=0) as app:
        sealed = await app.seal(simple_mail())
        for method, url in [("GET", "/api/admin/messages"), ("GET", "/api/admin/audit"),
                            ("POST", f"/api/admin/messages/{sealed.message_id}/revoke")]:
            response = await app.http.request(method, url, headers=headers)
            assert response.status_code == 401, (url, response.text)
            assert response.json()["code"] == "auth.admin-token"
        record = await app.run(app.services.instance.keys.record(sealed.message_id))
        assert record.revoked_at is None


async def test_a_signed_in_person_is_not_an_admin(data_dir: Path) -> None:
    async with running_app(data_dir, relay_port=0, inbound_port=0) as app:
        await app.sign_in("alice@example.org")
        assert (await app.http.get("/api/admin/messages")).status_code == 401
        assert (await app.post("/api/admin/audit")).status_code in (401, 405)


@pytest.mark.engines
async def test_list_revoke_and_audit(data_dir: Path) -> None:
    async with running_app(data_dir, relay_port=0, inbound_port=0) as app:
        first = await app.seal(simple_mail("one"), sender="alice@example.org")
        second = await app.seal(simple_mail("two"), sender="carol@example.org", template="do-not-forward")
        token = await new_token(app)
        listed = (await app.http.get("/api/admin/messages", headers=bearer(token))).json()["messages"]
        assert {item["id"] for item in listed} == {first.message_id, second.message_id}
        assert all(item["state"] == "ok" for item in listed)
        only = await app.http.get("/api/admin/messages?sender=carol@example.org", headers=bearer(token))
        assert [item["id"] for item in only.json()["messages"]] == [second.message_id]
        assert only.json()["messages"][0]["template"] == "do-not-forward"
        assert (await app.http.get("/api/admin/messages?limit=0", headers=bearer(token))).status_code == 400

        # No CSRF header: bearer-token routes do not use cookies, so the CSRF check does not apply.
        revoked = await app.http.post(f"/api/admin/messages/{first.message_id}/revoke", headers=bearer(token))
        assert revoked.status_code == 200
        assert revoked.json()["state"] == "revoked" and revoked.json()["revokedAt"]
        again = await app.http.post(f"/api/admin/messages/{first.message_id}/revoke", headers=bearer(token))
        assert again.status_code == 200
        missing = await app.http.post("/api/admin/messages/nosuchmessage/revoke", headers=bearer(token))
        assert missing.status_code == 404 and missing.json()["code"] == "not-found"

        trail = await app.http.get(f"/api/admin/audit?messageId={first.message_id}", headers=bearer(token))
        entries = trail.json()["entries"]
        assert [entry["action"] for entry in entries] == ["seal", "revoke"]
        assert entries[1]["actor"] == "admin:ops"
        assert all(entry["messageId"] == first.message_id for entry in entries)
        everything = (await app.http.get("/api/admin/audit", headers=bearer(token))).json()["entries"]
        assert {entry["messageId"] for entry in everything} >= {first.message_id, second.message_id}

        await app.sign_in("bob@gmail.com")
        refused = await app.http.get(f"/api/messages/{first.message_id}")
        assert refused.status_code == 410 and refused.json()["code"] == "policy.revoked"
        assert (await app.http.get(f"/api/messages/{second.message_id}")).status_code == 200


async def test_only_the_hash_of_a_token_is_stored(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await asyncio.to_thread(cli.main, ["--data", str(data_dir), "admin", "token", "--name", "ci"]) == 0
    out = capsys.readouterr()
    token = out.out.strip()
    remember(token)
    assert token.startswith("mailseal_admin_") and len(token.splitlines()) == 1
    assert "only this once" in out.err
    database = b"".join(file.read_bytes() for file in data_dir.glob("mailseal.sqlite*"))
    assert hashlib.sha256(token.encode()).hexdigest().encode() in database
    assert token.encode() not in database
    async with running_app(data_dir, relay_port=0, inbound_port=0) as app:
        rows = await app.run(app.services.instance.store.engine.fetch_all("SELECT token_hash, name FROM admin_tokens"))
        expected = hashlib.sha256(token.encode()).hexdigest()
        assert [(row["token_hash"], row["name"]) for row in rows] == [(expected, "ci")]
        assert (await app.http.get("/api/admin/messages", headers=bearer(token))).status_code == 200
