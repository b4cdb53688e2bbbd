"""Every leaf of every corpus mail is shown or offered, through the real API, as the recipient.

The reference is independent of Mailseal's display code (`support.display_reference`: Python's `email`
parser and the rule of docs/display.md). For each leaf: a shown text must have its words on screen (the
view's text or a body document, of the message or of an attached message); an offered part must be among
the attachments with the same bytes (and its name, when it has a plain one); an inline image must be in
a body document or offered; an attached message must be a nested view with its subject and offered as an
.eml. The counts are printed; nothing may be lost.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Any

from support.corpora import corpus_eml_files
from support.display_reference import read_reference
from support.mailseal_app import MailsealClient, running_app

_TAG = re.compile(r"<[^>]*>")


class Screen:
    """What the recipient can reach of one message: texts on screen, body documents, offered files."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.documents: list[str] = []
        self.files: list[tuple[bytes, str, str]] = []  # bytes, filename, content type
        self.subjects: list[str] = []

    def shows(self, words: tuple[str, ...]) -> bool:
        screen = " ".join(self.texts) + " " + " ".join(html.unescape(_TAG.sub(" ", d)) for d in self.documents)
        return all(word in screen for word in words)

    def has_image(self, data: bytes) -> bool:
        encoded = base64.b64encode(data).decode()
        return any(encoded in document for document in self.documents)

    def offers(self, data: bytes) -> list[tuple[bytes, str, str]]:
        return [file for file in self.files if file[0] == data]


async def collect(app: MailsealClient, message_id: str, view: dict[str, Any], screen: Screen) -> None:
    url = f"/api/messages/{message_id}"
    if view.get("text"):
        screen.texts.append(view["text"])
    if view.get("bodyUrl"):
        response = await app.http.get(view["bodyUrl"])
        assert response.status_code == 200
        screen.documents.append(response.text)
    for attachment in view.get("attachments", []):
        response = await app.http.get(f"{url}/attachments/{attachment['index']}")
        assert response.status_code == 200, (attachment, response.text)
        screen.files.append((response.content, attachment["filename"], attachment["contentType"]))
    for nested in view.get("nested", []):
        screen.subjects.append(nested["subject"])
        await collect(app, message_id, nested, screen)


async def test_every_leaf_of_every_corpus_mail_is_shown_or_offered(corpora: Path, tmp_path: Path) -> None:
    mails = corpus_eml_files()
    assert len(mails) > 150
    counts = {"shown": 0, "offered": 0, "offered-text": 0, "image": 0, "replaced": 0, "nested": 0, "lost": 0}
    lost: list[str] = []
    async with running_app(tmp_path, max_message_bytes=64 * 1024 * 1024) as app:
        await app.sign_in("bob@gmail.com")
        for path in mails:
            raw = path.read_bytes()
            sealed = await app.seal(raw)
            response = await app.http.get(f"/api/messages/{sealed.message_id}")
            assert response.status_code == 200, (path, response.text)
            screen = Screen()
            await collect(app, sealed.message_id, response.json(), screen)
            for number, leaf in enumerate(read_reference(raw).leaves):
                where = f"{path.relative_to(corpora)} leaf {number} ({leaf.kind} {leaf.content_type})"
                if leaf.kind == "shown":
                    ok = screen.shows(leaf.words) or bool(screen.offers(leaf.data))
                elif leaf.kind == "image":
                    ok = screen.has_image(leaf.data) or bool(screen.offers(leaf.data))
                elif leaf.kind == "nested":
                    ok = leaf.subject in screen.subjects and any(f[2] == "message/rfc822" for f in screen.files)
                elif leaf.kind == "offered-text":
                    in_file = any(all(w.encode() in f[0] for w in leaf.words) for f in screen.files)
                    ok = screen.shows(leaf.words) or in_file
                elif leaf.kind == "offered":
                    found = screen.offers(leaf.data)
                    ok = bool(found)
                    if ok and leaf.filename and re.fullmatch(r"[A-Za-z0-9 ._-]{1,100}", leaf.filename):
                        # `email` stops an unquoted name at its first space; Mailseal reads all of it
                        ok = any(name.startswith(leaf.filename) for _, name, _ in found)
                else:
                    ok = True  # replaced by the alternative shown
                counts[leaf.kind] += 1
                if not ok:
                    counts["lost"] += 1
                    lost.append(where)
    print(f"\ndisplay fidelity over {len(mails)} mails: {counts}")
    assert lost == [], "\n".join(lost)
