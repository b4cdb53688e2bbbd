"""A body too large to show (over 5 MiB) still opens: the rest of the message is shown and the body is
offered as an attachment, to open or save. Before, such a message answered 500 and could not be read."""

from __future__ import annotations

from pathlib import Path

from support.mailseal_app import running_app, simple_mail
from test_reply_api import forward, switch_to

BIG_HTML = "<p>" + "Quarterly numbers, region by region, line by line. " * 120_000 + "</p>"
BIG_TEXT = "Quarterly numbers, region by region, line by line.\n" * 120_000


async def test_a_huge_html_body_is_offered_as_an_attachment(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        sealed = await app.seal(simple_mail(body="Short summary.", html=BIG_HTML))
        await app.sign_in("bob@gmail.com")
        url = f"/api/messages/{sealed.message_id}"
        response = await app.http.get(url)
        assert response.status_code == 200, response.text
        view = response.json()
        assert view["bodyTooLarge"] is True and view["bodyUrl"] is None
        assert view["text"].strip() == "Short summary."
        [attachment] = view["attachments"]
        assert attachment["filename"] == "message.html"
        assert attachment["contentType"] == "application/octet-stream"  # never served as HTML here
        download = await app.http.get(f"{url}/attachments/{attachment['index']}")
        assert download.status_code == 200 and download.content.decode().strip() == BIG_HTML
        assert "attachment" in download.headers["content-disposition"]
        assert (await app.http.get(f"{url}/body")).status_code == 404

        # Forwarding carries it as a file rather than failing on it.
        sent = await forward(app, sealed.message_id, "dave@outlook.com")
        assert sent.status_code == 201, sent.text
        await switch_to(app, "dave@outlook.com")
        forwarded = (await app.http.get(f"/api/messages/{sent.json()['id']}")).json()
        assert [a["filename"] for a in forwarded["attachments"]] == ["message.html"]


async def test_a_huge_text_body_is_offered_as_an_attachment(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        sealed = await app.seal(simple_mail(body=BIG_TEXT))
        await app.sign_in("bob@gmail.com")
        view = (await app.http.get(f"/api/messages/{sealed.message_id}")).json()
        assert view["bodyTooLarge"] is True and view["text"] is None
        [attachment] = view["attachments"]
        assert attachment["filename"] == "message.txt" and attachment["contentType"].startswith("text/plain")


async def test_an_ordinary_body_is_shown_not_attached(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        sealed = await app.seal(simple_mail(body="Short.", html="<p>Short.</p>"))
        await app.sign_in("bob@gmail.com")
        view = (await app.http.get(f"/api/messages/{sealed.message_id}")).json()
        assert view["bodyTooLarge"] is False and view["attachments"] == [] and view["bodyUrl"]
