"""`mailseal serve` on PostgreSQL + S3, as real processes: the README's journey, and two servers on one
database and one bucket.

Each server is `python -m mailseal serve` with `MAILSEAL_DATABASE_URL=postgresql://…` (a fresh database
in the session's throwaway cluster) and `MAILSEAL_BLOB_URL=s3://…` (a fresh bucket on moto's server on
loopback), on free ports. Nothing of the installation rests in the data folder but the key ring, the
server secret and the Maildir outbox.
"""

from __future__ import annotations

import asyncio
import email.message
import email.policy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import obstore
import pytest
from obstore.store import S3Store

from mailseal.mail.extract import find_envelopes
from support.live_browser import SESSION_COOKIE, Browser, code_in, mails_to
from support.live_server import LiveServer, live_server
from support.mail_listeners import SEAL_SECURE, smtp_send
from support.push_service import LoopbackPushService
from support.s3 import REGION
from support.secrets import remember

ALICE, BOB, CAROL = "alice@example.org", "bob@partner.example", "carol@partner.example"
SECRET = "Project Falcon closes on Friday."
remember(SECRET)
pytestmark = pytest.mark.slow


def server_settings(database_url: str, blob_url: str, **more: str) -> dict[str, str]:
    return {"database_url": database_url, "blob_url": blob_url, "org_name": "Contoso", "org_domains": "example.org",
            "mail_from": "no-reply@example.org", "push_allow_loopback": "true",
            "push_contact": "mailto:push@example.org", "jobs_workers": "1", **more}


@contextmanager
def serving(data: Path, database_url: str, blob_url: str, **more: str) -> Iterator[LiveServer]:
    data.mkdir(parents=True, exist_ok=True)
    with live_server(data, **server_settings(database_url, blob_url, **more)) as server:
        yield server


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield http


def relay_port(server: LiveServer) -> int:
    return int(server.env["MAILSEAL_RELAY_PORT"])


def mail_with_attachment(attachment: bytes) -> bytes:
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Alice Example <{ALICE}>"
    message["To"] = BOB
    message["Subject"] = "[secure] Falcon"
    message["Date"] = "Fri, 27 Nov 2026 09:00:00 +0000"
    message["Message-ID"] = "<falcon-1@example.org>"
    message.set_content(SECRET)
    message.add_alternative(f"<p>{SECRET}</p>", subtype="html")
    message.add_attachment(attachment, maintype="application", subtype="octet-stream", filename="falcon.bin")
    return message.as_bytes()


async def relay_sealed(server: LiveServer, raw: bytes, to: str = BOB) -> str:
    """Submit `raw` to the server's relay; the rules seal it; the id of the message in the wrapper mail."""
    before = len(mails_to(server.data, to))
    sent = await smtp_send(relay_port(server), raw, mail_from=ALICE, recipients=[to])
    assert sent.accepted and "sealed" in sent.final.text, sent
    wrappers = mails_to(server.data, to)[before:]
    assert len(wrappers) == 1
    [wrapper] = wrappers
    assert wrapper["X-Mailseal"] == "wrapper; v=1"
    assert SECRET.encode() not in wrapper.as_bytes()
    assert find_envelopes(wrapper.as_bytes()), "the wrapper carries the sealed message"
    body = wrapper.get_body(preferencelist=("plain",))
    assert body is not None
    link = next(word for word in body.get_content().split() if "/m/" in word)
    # The link names its recipient after a fragment (#to=…), for the sign-in screen: not part of the id.
    return link.rstrip(".").rsplit("/m/", 1)[1].split("#", 1)[0]


def admin_token(server: LiveServer) -> dict[str, str]:
    """`mailseal admin token`, run with the server's environment (so on its database)."""
    made = subprocess.run([sys.executable, "-m", "mailseal", "admin", "token", "--name", "ops"], env=server.env,
                          capture_output=True, text=True, timeout=60, check=True)
    token = made.stdout.strip()
    remember(token)
    return {"Authorization": f"Bearer {token}"}


def bucket_keys(blob_url: str) -> set[str]:
    bucket, _, rest = blob_url.removeprefix("s3://").partition("/")
    endpoint = rest.split("endpoint=")[1].split("&")[0]
    store = S3Store(bucket, endpoint=endpoint, region=REGION, client_options={"allow_http": True})
    return {meta["path"] for batch in obstore.list(store) for meta in batch}


async def test_the_readme_journey_on_postgresql_and_s3(
    tmp_path: Path, postgres_url: str, s3_blob_url: str, browser: httpx.AsyncClient
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "rules.toml").write_text(SEAL_SECURE, encoding="utf-8")
    attachment = os.urandom(3 * 1024 * 1024 // 2 + 17)  # several ranged reads from the bucket
    async with LoopbackPushService() as push:
        with serving(data, postgres_url, s3_blob_url) as server:
            token_made = asyncio.create_task(asyncio.to_thread(admin_token, server))  # a process: start it now
            # The relay seals by rule; the wrapper waits in the outbox; the envelope rests in the bucket.
            message_id = await relay_sealed(server, mail_with_attachment(attachment))
            assert bucket_keys(s3_blob_url) == {f"envelopes/{message_id}.seal"}
            assert not (data / "mailseal.sqlite").exists() and not list(data.rglob("*.seal"))

            # Bob signs in with the code from the outbox, opens the message, streams the attachment.
            bob = Browser(browser)
            await bob.sign_in(server, BOB)
            inbox = (await bob.get(server, "/api/messages")).json()["messages"]
            assert [(m["id"], m["subject"]) for m in inbox] == [(message_id, "[secure] Falcon")]
            view = (await bob.get(server, f"/api/messages/{message_id}")).json()
            assert view["text"].strip() == SECRET
            [listed] = view["attachments"]
            received = bytearray()
            async with browser.stream("GET", f"{server.url}/api/messages/{message_id}/attachments/{listed['index']}",
                                      headers={"cookie": f"__Host-mailseal={bob.cookies['__Host-mailseal']}"}) as got:
                assert got.status_code == 200
                async for chunk in got.aiter_bytes():
                    received += chunk
            assert bytes(received) == attachment

            # Alice subscribes to push; Bob's reply is sealed, mailed to her, and pushed to her device.
            alice = Browser(browser)
            await alice.sign_in(server, ALICE)
            key = (await alice.get(server, "/api/push/key")).json()["publicKey"]
            subscription = push.new_subscription(key)
            subscribed = await alice.post(server, "/api/push/subscriptions", json={**subscription, "showSender": False})
            assert subscribed.status_code == 201, subscribed.text
            answered = await bob.post(server, f"/api/messages/{message_id}/reply",
                                      files=[("body", (None, "Thanks, Alice.")), ("replyAll", (None, ""))])
            assert answered.status_code == 201, answered.text
            reply_id = answered.json()["id"]
            await asyncio.wait_for(push.arrived(push.id_of(subscription)).wait(), timeout=30)
            [payload] = push.payloads_for(push.id_of(subscription))
            pushed = json.loads(payload.decode().rstrip(" \x00"))
            assert pushed["mailseal"] == {"v": 1, "id": reply_id, "kind": "reply"}
            assert b"@" not in payload and b"Thanks" not in payload
            assert (await alice.get(server, f"/api/messages/{reply_id}")).json()["text"].strip() == "Thanks, Alice."
            assert bucket_keys(s3_blob_url) == {f"envelopes/{message_id}.seal", f"envelopes/{reply_id}.seal"}

            # The admin API revokes the original; Bob is refused at once; the audit trail has it all.
            token = await token_made
            revoked = await browser.post(f"{server.url}/api/admin/messages/{message_id}/revoke", headers=token)
            assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
            refused = await bob.get(server, f"/api/messages/{message_id}")
            assert refused.status_code == 410 and refused.json()["code"] == "policy.revoked"
            trail = await browser.get(f"{server.url}/api/admin/audit?messageId={message_id}", headers=token)
            entries = trail.json()["entries"]
            actions = [entry["action"] for entry in entries]
            assert actions[0] == "seal" and entries[0]["actor"].startswith("relay:")
            assert "open" in actions and actions.index("revoke") > actions.index("open")
            assert entries[actions.index("revoke")]["actor"] == "admin:ops"
            assert [e for e in entries if e["action"] == "refuse"][-1]["outcome"] == "policy.revoked"
            reply_trail = await browser.get(f"{server.url}/api/admin/audit?messageId={reply_id}", headers=token)
            assert [e["action"] for e in reply_trail.json()["entries"]][:2] == ["seal", "open"]


def copy_installation(source: Path, target: Path) -> None:
    """What a second server needs from the first: the key ring, the server secret, the VAPID key, the
    rules (the database and the envelopes are shared through PostgreSQL and S3)."""
    target.mkdir(parents=True)
    shutil.copytree(source / "keys", target / "keys")
    shutil.copy2(source / "rules.toml", target / "rules.toml")


async def test_two_servers_share_sessions_messages_revocation_and_limits(
    tmp_path: Path, postgres_url: str, s3_blob_url: str, browser: httpx.AsyncClient
) -> None:
    data_a, data_b = tmp_path / "a", tmp_path / "b"
    data_a.mkdir()
    (data_a / "rules.toml").write_text(SEAL_SECURE, encoding="utf-8")
    with serving(data_a, postgres_url, s3_blob_url) as a:
        copy_installation(data_a, data_b)
        with serving(data_b, postgres_url, s3_blob_url, smtp_listeners="false") as b:
            # B runs no SMTP listener: its relay port stays closed.
            with pytest.raises(OSError):
                await asyncio.open_connection("127.0.0.1", relay_port(b))

            token = asyncio.create_task(asyncio.to_thread(admin_token, a))  # a process of its own: start it now

            # Passcodes: three mails in 15 minutes per address, wherever they are asked for.
            person = Browser(browser)
            for server in (a, b, a, b):
                assert (await person.ask_code(server, CAROL)).status_code == 202
            def mailed() -> int:
                return len(mails_to(a.data, CAROL)) + len(mails_to(b.data, CAROL))

            for _ in range(300):  # each mail goes out just after its answer
                if mailed() >= 3:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(1)  # time for a fourth, were it sent
            assert mailed() == 3, f"{mailed()} passcode mails for four requests on two servers"
            # Tries: five wrong codes split over both servers, then the right one is refused on either.
            right = code_in(mails_to(a.data, CAROL)[-1])
            wrong = "00000000" if right != "00000000" else "11111111"
            for server in (a, b, a, b, a):
                response = await person.verify(server, CAROL, wrong)
                assert response.status_code == 401 and response.json()["code"] == "auth.invalid-code"
            for server in (b, a):
                response = await person.verify(server, CAROL, right)
                assert response.status_code == 429 and response.json()["code"] == "auth.too-many-tries", server.url

            # A session made on A is valid on B (one browser behind a load balancer).
            bob = Browser(browser)
            await bob.sign_in(a, BOB)
            assert (await bob.get(b, "/api/me")).json()["addresses"] == [BOB]

            # A message sealed through A's relay opens on B, and B's cached view does not outlive a revoke on A.
            message_id = await relay_sealed(a, mail_with_attachment(b"attached"))
            assert (await bob.get(b, f"/api/messages/{message_id}")).json()["text"].strip() == SECRET
            assert (await bob.get(b, f"/api/messages/{message_id}/body")).status_code == 200  # from B's cache
            revoked = await browser.post(f"{a.url}/api/admin/messages/{message_id}/revoke", headers=await token)
            assert revoked.status_code == 200
            for path in (f"/api/messages/{message_id}", f"/api/messages/{message_id}/body",
                         f"/api/messages/{message_id}/attachments/0"):
                refused = await bob.get(b, path)
                assert refused.status_code == 410 and refused.json()["code"] == "policy.revoked", path

            # A reply sealed on B opens on A.
            second = await relay_sealed(a, mail_with_attachment(b"again"))
            answered = await bob.post(b, f"/api/messages/{second}/reply",
                                      files=[("body", (None, "Seen on B.")), ("replyAll", (None, ""))])
            assert answered.status_code == 201, answered.text
            alice = Browser(browser)
            await alice.sign_in(a, ALICE)
            reply_view = await alice.get(a, f"/api/messages/{answered.json()['id']}")
            assert reply_view.status_code == 200 and reply_view.json()["text"].strip() == "Seen on B."

            # Signing out on B ends the session on A.
            session = bob.cookies[SESSION_COOKIE]
            assert (await bob.post(b, "/api/auth/logout")).status_code == 204
            stale = Browser(browser)
            stale.cookies[SESSION_COOKIE] = session
            assert (await stale.get(a, "/api/me")).status_code == 401
