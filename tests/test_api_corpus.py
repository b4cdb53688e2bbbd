"""Every mail of the shared corpora (real, odd and malformed), sealed, then opened through the API as its
recipient: the view, the frame's body, each attachment, the thread, who a reply would reach; then
forwarded and answered. Each request must succeed: no mail from the wild may make a message unreadable."""

from __future__ import annotations

from pathlib import Path

from support.corpora import corpus_eml_files
from support.mailseal_app import running_app
from test_reply_api import forward, reply


async def test_every_corpus_mail_opens_forwards_and_answers(corpora: Path, tmp_path: Path) -> None:
    mails = corpus_eml_files()
    assert len(mails) > 150
    failures: list[str] = []
    async with running_app(tmp_path, max_message_bytes=64 * 1024 * 1024) as app:
        await app.sign_in("bob@gmail.com")
        for path in mails:
            sealed = await app.seal(path.read_bytes())
            url = f"/api/messages/{sealed.message_id}"
            view = await app.http.get(url)
            if view.status_code != 200:
                failures.append(f"{path.name}: view {view.status_code}")
                continue
            urls = [f"{url}/thread", f"{url}/reply-recipients"]
            urls += [view.json()["bodyUrl"]] if view.json()["bodyUrl"] else []
            urls += [f"{url}/attachments/{a['index']}" for a in view.json()["attachments"]]
            for other in urls:
                response = await app.http.get(other)
                if response.status_code != 200:
                    failures.append(f"{path.name}: {other.removeprefix(url)} {response.status_code}")
            for name, sent in (("forward", await forward(app, sealed.message_id, "dave@outlook.com")),
                               ("reply", await reply(app, sealed.message_id, "Thanks"))):
                if sent.status_code != 201:
                    failures.append(f"{path.name}: {name} {sent.status_code} {sent.text[:120]}")
    assert failures == []
