"""The real app with its envelopes in S3 (moto's server on loopback): seal, list, open, stream, reply.

The store is watched: every call that reaches the bucket must run off the event loop, because each is
a network round trip that would stall every other request.
"""

from __future__ import annotations

import asyncio
import email.message
import os
from pathlib import Path
from typing import Any

import obstore
import pytest
from obstore.store import S3Store

from mailseal.storage.blobs import s3 as s3_module
from mailseal.storage.blobs.s3 import S3BlobStore
from support.mailseal_app import MailsealClient, running_app, simple_mail


class LoopWatchingStore(S3BlobStore):
    """The S3 store, noting each call made from a thread that runs an event loop."""

    def __init__(self, store: S3Store, *, staging: Path) -> None:
        super().__init__(store, staging=staging)
        self.on_loop: list[str] = []
        self.calls = 0

    def _note(self, what: str) -> None:
        self.calls += 1
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self.on_loop.append(what)

    def exists(self, message_id: str) -> bool:
        self._note("exists")
        return super().exists(message_id)

    def size(self, message_id: str) -> int:
        self._note("size")
        return super().size(message_id)

    def commit(self, staged: Path, message_id: str) -> None:
        self._note("commit")
        super().commit(staged, message_id)

    def open(self, message_id: str) -> Any:
        self._note("open")
        return super().open(message_id)

    def delete(self, message_id: str) -> None:
        self._note("delete")
        super().delete(message_id)

    def fetch(self, key: str, start: int, length: int) -> Any:
        self._note("read")
        return super().fetch(key, start, length)


def watched_store(app: MailsealClient) -> LoopWatchingStore:
    """The store the app built (services are frozen: the watching class is put in place before start)."""
    store = app.services.instance.blobs
    assert isinstance(store, LoopWatchingStore)
    assert app.services.instance.messages.blobs is store
    return store


def bucket_keys(url: str) -> set[str]:
    bucket, _, rest = url.removeprefix("s3://").partition("/")
    endpoint = rest.split("endpoint=")[1].split("&")[0]
    store = S3Store(bucket, endpoint=endpoint, region="us-east-1", client_options={"allow_http": True})
    return {meta["path"] for batch in obstore.list(store) for meta in batch}


async def test_seal_open_stream_and_reply_with_envelopes_in_s3(
    tmp_path: Path, s3_blob_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setattr(s3_module, "S3BlobStore", LoopWatchingStore)
    attachment = os.urandom(3 * 1024 * 1024 + 17)  # several read windows, streamed piece by piece
    async with running_app(data, blob_url=s3_blob_url) as app:
        store = watched_store(app)
        sealed = await app.seal(simple_mail(html="<p>Hello <b>Bob</b></p>",
                                            attachment=("big.bin", "application/octet-stream", attachment)))
        assert bucket_keys(s3_blob_url) == {f"envelopes/{sealed.message_id}.seal"}
        assert not list((data / "blobs").rglob("*.seal")), "nothing in the local folder"

        await app.sign_in("bob@gmail.com")
        inbox = (await app.http.get("/api/messages")).json()["messages"]
        assert [(m["id"], m["subject"]) for m in inbox] == [(sealed.message_id, "Quarterly numbers")]
        view = (await app.http.get(f"/api/messages/{sealed.message_id}")).json()
        assert view["text"].strip() == "The numbers are good."
        assert "<b>Bob</b>" in (await app.http.get(view["bodyUrl"])).text
        [listed] = view["attachments"]
        download = await app.http.get(f"/api/messages/{sealed.message_id}/attachments/{listed['index']}")
        assert download.status_code == 200
        assert download.content == attachment

        parts = [("body", (None, "Thanks, Alice.")), ("replyAll", (None, "")),
                 ("files", ("notes.txt", b"see you", "text/plain"))]
        answered = await app.post(f"/api/messages/{sealed.message_id}/reply", files=parts)
        assert answered.status_code == 201, answered.text
        reply_id = answered.json()["id"]
        assert bucket_keys(s3_blob_url) == {f"envelopes/{sealed.message_id}.seal", f"envelopes/{reply_id}.seal"}
        wrapper: email.message.EmailMessage = app.last_mail_to("alice@example.org")
        [page] = [p for p in wrapper.iter_attachments() if p.get_filename() == "message.html"]
        assert reply_id in page.get_content()

        await app.post("/api/auth/logout")
        app.http.cookies.clear()
        await app.sign_in("alice@example.org")
        reply_view = (await app.http.get(f"/api/messages/{reply_id}")).json()
        assert reply_view["text"].strip() == "Thanks, Alice."
        [note] = reply_view["attachments"]
        assert (await app.http.get(f"/api/messages/{reply_id}/attachments/{note['index']}")).content == b"see you"

    assert store.calls > 0
    assert store.on_loop == [], f"blob store calls on the event loop: {sorted(set(store.on_loop))}"
    assert not list((data / "staging").iterdir()), "no staging file left behind"


async def test_every_offered_file_streams_off_the_loop_from_s3(
    tmp_path: Path, s3_blob_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An attached message (its original bytes, several read windows) and a uuencoded file come out of
    the bucket whole, and no read of the bucket runs on the event loop (docs/display.md's offered files)."""
    import binascii

    data = tmp_path / "data"
    monkeypatch.setattr(s3_module, "S3BlobStore", LoopWatchingStore)
    inner = email.message.EmailMessage()
    inner["From"] = "Carol <carol@example.net>"
    inner["To"] = "alice@example.org"
    inner["Subject"] = "The plans"
    inner.set_content("Plans attached.")
    inner.add_attachment(os.urandom(3 * 1024 * 1024 + 5), maintype="application", subtype="octet-stream",
                         filename="plans.bin")
    table = os.urandom(450)
    lines = [binascii.b2a_uu(table[i:i + 45]).decode().rstrip("\n") for i in range(0, len(table), 45)]
    outer = email.message.EmailMessage()
    outer["From"] = "Alice Example <alice@example.org>"
    outer["To"] = "bob@gmail.com"
    outer["Subject"] = "Forwarded plans"
    outer["Date"] = "Fri, 27 Nov 2026 09:00:00 +0000"
    outer.set_content("See below.\n\nbegin 644 table.bin\n" + "\n".join(lines) + "\n`\nend\n")
    outer.add_attachment(inner)
    async with running_app(data, blob_url=s3_blob_url) as app:
        store = watched_store(app)
        sealed = await app.seal(outer.as_bytes())
        await app.sign_in("bob@gmail.com")
        view = (await app.http.get(f"/api/messages/{sealed.message_id}")).json()
        offered = {a["filename"]: a for a in view["attachments"]}
        assert {"table.bin", "The plans.eml"} <= set(offered), offered
        got = {name: (await app.http.get(f"/api/messages/{sealed.message_id}/attachments/{a['index']}")).content
               for name, a in offered.items()}
        assert got["table.bin"] == table
        assert got["The plans.eml"] == inner.as_bytes()
    assert store.on_loop == [], f"blob store calls on the event loop: {sorted(set(store.on_loop))}"
