"""The real app on PostgreSQL (`MAILSEAL_DATABASE_URL=postgresql://…`): sign in by code, open, revoke;
and two apps on one database, as two servers would run."""

from __future__ import annotations

import io
from pathlib import Path

import asyncpg

from mailseal import format as fmt
from mailseal.admin_tokens import AdminTokens
from mailseal.config import load_settings
from support.mailseal_app import MailsealClient, running_app, simple_mail
from support.secrets import remember


def armored(app: MailsealClient, message_id: str) -> bytes:
    """The message.html a recipient would get by mail."""
    out = io.BytesIO()
    with app.services.instance.blobs.open(message_id) as envelope:
        fmt.armor(envelope, out, view_url=f"https://mailseal.test/m/{message_id}", org_name="Example",
                  sender="alice@example.org")
    return out.getvalue()


async def admin_token(app: MailsealClient) -> dict[str, str]:
    # On the app's own loop: an asyncpg pool belongs to the loop that made it (SQLite's thread does not care).
    token, _ = await app.in_app(AdminTokens(app.services.instance.store).create, "ops")
    remember(token)
    return {"Authorization": f"Bearer {token}"}


async def test_sign_in_open_and_revoke_through_the_app(postgres_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = load_settings({"MAILSEAL_DATA": str(data), "MAILSEAL_DATABASE_URL": postgres_url})
    assert settings.database_url == postgres_url
    async with running_app(data, database_url=settings.database_url) as app:
        assert app.services.instance.store.engine.dialect == "postgresql"
        sealed = await app.seal(simple_mail(attachment=("report.pdf", "application/pdf", b"%PDF-1.4 numbers")))
        await app.sign_in("bob@gmail.com")
        page = armored(app, sealed.message_id)
        response = await app.post("/api/messages", files={"file": ("message.html", page, "text/html")})
        assert response.status_code == 201, response.text

        inbox = (await app.http.get("/api/messages")).json()["messages"]
        assert [(m["id"], m["unread"]) for m in inbox] == [(sealed.message_id, True)]
        view = await app.http.get(f"/api/messages/{sealed.message_id}")
        assert view.status_code == 200 and view.json()["subject"] == "Quarterly numbers"
        [attachment] = view.json()["attachments"]
        download = await app.http.get(f"/api/messages/{sealed.message_id}/attachments/{attachment['index']}")
        assert download.content == b"%PDF-1.4 numbers"
        assert (await app.http.get("/api/messages")).json()["messages"][0]["unread"] is False

        admin = await admin_token(app)
        revoked = await app.http.post(f"/api/admin/messages/{sealed.message_id}/revoke", headers=admin)
        assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
        refused = await app.http.get(f"/api/messages/{sealed.message_id}")
        assert refused.status_code == 410 and refused.json()["code"] == "policy.revoked"
        trail = await app.http.get(f"/api/admin/audit?messageId={sealed.message_id}", headers=admin)
        actions = [entry["action"] for entry in trail.json()["entries"]]
        assert actions[0] == "seal" and "open" in actions and actions[-2:] == ["revoke", "refuse"]

    # Everything went to PostgreSQL: no SQLite file, and the rows are there, the key destroyed.
    assert not (data / "mailseal.sqlite").exists()
    conn = await asyncpg.connect(postgres_url)
    try:
        seal = await conn.fetchrow("SELECT wrapped_key, revoked_at FROM seals WHERE message_id = $1",
                                   sealed.message_id)
        sessions = await conn.fetchval("SELECT count(*) FROM sessions")
    finally:
        await conn.close()
    assert seal["wrapped_key"] is None and seal["revoked_at"] is not None
    assert sessions == 1


async def test_two_apps_on_one_database_share_sessions_messages_and_revocation(
    postgres_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"  # one data folder: the key ring and the secret, as two servers would share
    async with running_app(data, database_url=postgres_url) as first:
        sealed = await first.seal(simple_mail())
        await first.sign_in("bob@gmail.com")
        session = first.http.cookies["__Host-mailseal"]
        async with running_app(data, database_url=postgres_url, relay_port=0, inbound_port=0) as second:
            second.http.cookies.set("__Host-mailseal", session, domain="mailseal.test")
            # Sealed and signed in through the first, received and opened through the second.
            response = await second.post(
                "/api/messages", files={"file": ("message.html", armored(first, sealed.message_id), "text/html")}
            )
            assert response.status_code == 201, response.text
            assert (await second.http.get(f"/api/messages/{sealed.message_id}")).status_code == 200
            assert [m["id"] for m in (await first.http.get("/api/messages")).json()["messages"]] == [
                sealed.message_id
            ]
            # Revoked on the first: refused on the second at once.
            revoked = await first.http.post(
                f"/api/admin/messages/{sealed.message_id}/revoke", headers=await admin_token(first)
            )
            assert revoked.status_code == 200
            refused = await second.http.get(f"/api/messages/{sealed.message_id}")
            assert refused.status_code == 410 and refused.json()["code"] == "policy.revoked"
