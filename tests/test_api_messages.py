"""Receiving, listing, opening and downloading through the real app, and every refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailseal import format as fmt
from support.mailseal_app import running_app, simple_mail

HTML = '<p>Hello <b>Bob</b><script>alert(1)</script><img src="https://tracker.example/p.gif"></p>'


def armored(app, message_id: str) -> bytes:
    import io

    out = io.BytesIO()
    with app.services.instance.blobs.open(message_id) as envelope:
        fmt.armor(envelope, out, view_url=f"https://mailseal.test/m/{message_id}", org_name="Example",
                  sender="alice@example.org")
    return out.getvalue()


@pytest.mark.engines
async def test_share_list_open_and_download(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        raw = simple_mail(html=HTML, attachment=("report.pdf", "application/pdf", b"%PDF-1.4 numbers"))
        sealed = await app.seal(raw)
        await app.sign_in("bob@gmail.com")
        page = armored(app, sealed.message_id)
        response = await app.post("/api/messages", files={"file": ("message.html", page, "text/html")})
        assert response.status_code == 201, response.text
        assert response.json() == {"id": sealed.message_id}
        again = await app.post("/api/messages", files={"file": ("message.html", page, "text/html")})
        assert again.json() == {"id": sealed.message_id}

        inbox = (await app.http.get("/api/messages")).json()["messages"]
        assert [m["id"] for m in inbox] == [sealed.message_id]
        assert inbox[0]["subject"] == "Quarterly numbers" and inbox[0]["unread"] is True

        view = await app.http.get(f"/api/messages/{sealed.message_id}")
        assert view.status_code == 200
        assert view.headers["cache-control"] == "no-store"
        body = view.json()
        assert body["subject"] == "Quarterly numbers"
        # The body is not in the view (an open would carry it twice): the frame loads it from bodyUrl.
        assert "html" not in body and body["bodyUrl"] == f"/api/messages/{sealed.message_id}/body"
        frame = (await app.http.get(body["bodyUrl"])).text
        assert "<b>Bob</b>" in frame and "<script" not in frame.split("</head>")[-1]
        assert "alert(1)" not in frame and "tracker.example" not in frame
        assert body["remoteImagesBlocked"] == 1
        assert body["text"].strip() == "The numbers are good."
        [attachment] = body["attachments"]
        assert attachment["filename"] == "report.pdf" and attachment["contentType"] == "application/pdf"

        download = await app.http.get(f"/api/messages/{sealed.message_id}/attachments/{attachment['index']}")
        assert download.status_code == 200
        assert download.content == b"%PDF-1.4 numbers"
        assert "filename*=UTF-8''report.pdf" in download.headers["content-disposition"]
        assert (await app.http.get("/api/messages")).json()["messages"][0]["unread"] is False

        # Opening a read message again keeps it read, as it was, and is audited like the first open.
        instance = app.services.instance
        query = "SELECT read_at FROM inbox WHERE message_id = ?"
        read_at = (await app.run(instance.store.engine.fetch_one(query, (sealed.message_id,))))["read_at"]
        assert read_at is not None
        assert (await app.http.get(f"/api/messages/{sealed.message_id}")).status_code == 200
        assert (await app.run(instance.store.engine.fetch_one(query, (sealed.message_id,))))["read_at"] == read_at
        opens = [e for e in await app.run(instance.keys.audit(sealed.message_id)) if e.action == "open"]
        # The view, its body frame, and the view again: each is decided and audited, cached or not.
        assert [e.detail for e in opens] == ["as=bob@gmail.com"] * 3


@pytest.mark.engines
async def test_not_a_recipient(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        sealed = await app.seal(simple_mail())
        await app.sign_in("mallory@evil.test")
        response = await app.post("/api/messages", files={"file": ("m.html", armored(app, sealed.message_id))})
        assert response.status_code == 403 and response.json()["code"] == "policy.not-recipient"
        response = await app.http.get(f"/api/messages/{sealed.message_id}")
        assert response.status_code == 403 and response.json()["code"] == "policy.not-recipient"
        assert (await app.http.get("/api/messages")).json()["messages"] == []


@pytest.mark.engines
async def test_revoked_and_expired(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        revoked = await app.seal(simple_mail())
        expiring = await app.seal(simple_mail(), expires_days=1)
        await app.sign_in("bob@gmail.com")
        await app.run(app.services.instance.keys.revoke(revoked.message_id, actor="admin"))
        response = await app.http.get(f"/api/messages/{revoked.message_id}")
        assert response.status_code == 410 and response.json()["code"] == "policy.revoked"
        assert response.json()["title"] == "This message was revoked by the sender"
        keys = app.services.instance.keys
        real = keys.clock
        keys.clock = lambda: real() + 2 * 86400
        response = await app.http.get(f"/api/messages/{expiring.message_id}")
        assert response.status_code == 410 and response.json()["code"] == "policy.expired"
        states = {m["id"]: m["state"] for m in (await app.http.get("/api/messages")).json()["messages"]}
        assert states == {revoked.message_id: "policy.revoked", expiring.message_id: "policy.expired"}


async def test_tampered_upload_and_garbage(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        sealed = await app.seal(simple_mail())
        await app.sign_in("bob@gmail.com")
        envelope = bytearray(app.envelope_bytes(sealed.message_id))
        envelope[40] ^= 1
        response = await app.post("/api/messages", files={"file": ("x.bin", bytes(envelope))})
        assert response.status_code == 400 and response.json()["code"] == "envelope.damaged"
        response = await app.post("/api/messages", files={"file": ("x.txt", b"hello, not a message")})
        assert response.status_code == 400 and response.json()["code"] == "input.no-envelope"


async def test_tampered_blob_on_the_server_is_refused(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        sealed = await app.seal(simple_mail())
        await app.sign_in("bob@gmail.com")
        path = app.services.instance.blobs.path(sealed.message_id)
        data = bytearray(path.read_bytes())
        data[-5] ^= 0x80
        path.write_bytes(bytes(data))
        response = await app.http.get(f"/api/messages/{sealed.message_id}")
        assert response.status_code == 400 and response.json()["code"] == "envelope.damaged"


async def test_oversized_upload(tmp_path: Path) -> None:
    async with running_app(tmp_path, max_upload_bytes=1024 * 1024) as app:
        await app.sign_in("bob@gmail.com")
        response = await app.post("/api/messages", files={"file": ("big.html", b"x" * (2 * 1024 * 1024))})
        assert response.status_code == 413
        assert response.json()["code"] == "input.too-large"


async def test_upload_needs_sign_in_and_csrf(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        response = await app.post("/api/messages", files={"file": ("m.html", b"x")})
        assert response.status_code == 401
        await app.sign_in("bob@gmail.com")
        response = await app.http.post("/api/messages", files={"file": ("m.html", b"x")})
        assert response.status_code == 403


async def test_link_route_serves_the_app_shell(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        response = await app.http.get("/m/" + "a" * 26)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert b'rel="manifest"' in response.content


async def test_body_url_is_sandboxed_by_its_own_headers(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        sealed = await app.seal(simple_mail(html=HTML))
        await app.sign_in("bob@gmail.com")
        view = (await app.http.get(f"/api/messages/{sealed.message_id}")).json()
        body = await app.http.get(view["bodyUrl"])
        assert body.status_code == 200
        csp = body.headers["content-security-policy"]
        assert "sandbox" in csp and "default-src 'none'" in csp and "allow-scripts" not in csp
        assert body.headers["x-frame-options"] == "SAMEORIGIN"
        assert body.headers["cache-control"] == "no-store"
        assert "<b>Bob</b>" in body.text and "alert(1)" not in body.text


async def test_sender_name_is_the_display_name(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        sealed = await app.seal(simple_mail())
        await app.sign_in("bob@gmail.com")
        [item] = (await app.http.get("/api/messages")).json()["messages"]
        assert item["fromName"] == "Alice Example" and item["from"] == "alice@example.org"
        view = (await app.http.get(f"/api/messages/{sealed.message_id}")).json()
        assert view["fromName"] == "Alice Example"


async def test_a_link_says_who_sent_it_before_sign_in_and_nothing_more(tmp_path: Path) -> None:
    """The sign-in page of a wrapper link names the sender, template and expiry (what the wrapper mail
    shows); no subject or recipient, and a withdrawn or unknown message looks the same: 404."""
    async with running_app(tmp_path) as app:
        sealed = await app.seal(simple_mail(subject="Secret subject"), template="do-not-forward", expires_days=7)
        answer = await app.http.get(f"/api/invitations/{sealed.message_id}")
        assert answer.status_code == 200
        body = answer.json()
        assert set(body) == {"sender", "template", "expiresAt"}
        assert body["sender"] == "alice@example.org" and body["template"] == "do-not-forward"
        assert "Secret" not in answer.text and "bob@gmail.com" not in answer.text
        assert (await app.http.get("/api/invitations/" + "a" * 26)).status_code == 404
        keys = app.services.instance.messages.keys
        await app.in_app(lambda: keys.revoke(sealed.message_id, actor="test"))
        assert (await app.http.get(f"/api/invitations/{sealed.message_id}")).status_code == 404
