"""Nothing in a message is out of reach. A body too large to show (over 5 MiB) is offered as an
attachment (before, such a message answered 500 and could not be read), and so are inline photos the
view cannot show: past the inline budget, or in a message shown as text (before, they were dropped)."""

from __future__ import annotations

import base64
import email.message
import email.policy
import os
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


def photo_mail(*, count: int, size: int, html: bool) -> tuple[bytes, list[bytes]]:
    """A mail with `count` inline photos (Content-ID, as a phone's mail app sends them)."""
    photos = [bytes([i]) * 16 + os.urandom(size) for i in range(count)]
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"], message["To"], message["Subject"] = "alice@example.org", "bob@gmail.com", "Photos"
    message.set_content("Photos from the site visit.")
    if html:
        message.add_alternative("<p>Site visit</p>" + "".join(f'<img src="cid:p{i}@x">' for i in range(count)),
                                subtype="html")
    for i, photo in enumerate(photos):
        message.add_attachment(photo, maintype="image", subtype="jpeg", cid=f"<p{i}@x>", disposition="inline")
    return message.as_bytes(), photos


async def test_inline_photos_past_the_budget_are_offered_as_attachments(tmp_path: Path) -> None:
    raw, photos = photo_mail(count=3, size=900_000, html=True)
    async with running_app(tmp_path) as app:
        sealed = await app.seal(raw)
        await app.sign_in("bob@gmail.com")
        url = f"/api/messages/{sealed.message_id}"
        view = (await app.http.get(url)).json()
        body = (await app.http.get(f"{url}/body")).text
        assert body.count('src="data:image/jpeg;base64,') == 2, "two fit the 2 MiB budget and are shown"
        [third] = view["attachments"]
        assert third["contentType"] == "image/jpeg" and third["inline"] is True
        download = await app.http.get(f"{url}/attachments/{third['index']}")
        assert download.status_code == 200 and download.content == photos[2]


async def test_inline_photos_of_a_text_message_are_shown_after_it_and_offered(tmp_path: Path) -> None:
    """As Apple Mail shows them (docs/display.md): the text, then the photos, each also offered to save."""
    raw, photos = photo_mail(count=2, size=1000, html=False)
    async with running_app(tmp_path) as app:
        sealed = await app.seal(raw)
        await app.sign_in("bob@gmail.com")
        view = (await app.http.get(f"/api/messages/{sealed.message_id}")).json()
        body = (await app.http.get(view["bodyUrl"])).text
        assert body.index("Photos from the site visit.") < body.index(base64.b64encode(photos[0]).decode())
        assert body.count('src="data:image/jpeg;base64,') == 2
        assert [a["contentType"] for a in view["attachments"]] == ["image/jpeg", "image/jpeg"]


async def test_a_forward_carries_the_inline_photos_as_files(tmp_path: Path) -> None:
    raw, photos = photo_mail(count=1, size=5000, html=True)
    async with running_app(tmp_path) as app:
        sealed = await app.seal(raw)
        await app.sign_in("bob@gmail.com")
        sent = await forward(app, sealed.message_id, "dave@outlook.com")
        assert sent.status_code == 201, sent.text
        await switch_to(app, "dave@outlook.com")
        url = f"/api/messages/{sent.json()['id']}"
        [photo] = (await app.http.get(url)).json()["attachments"]
        assert photo["filename"] == "image.jpg" and photo["contentType"] == "image/jpeg"
        assert (await app.http.get(f"{url}/attachments/{photo['index']}")).content == photos[0]


async def test_an_image_in_unwrapped_base64_near_the_budget_is_shown(tmp_path: Path) -> None:
    # Base64 without line breaks decodes to more than the size estimated from wrapped lines: an image
    # chosen for the view by its estimate must still be decoded, not dropped from view and list alike.
    photo = os.urandom(2_100_000)
    raw = (
        b"From: alice@example.org\r\nTo: bob@gmail.com\r\nSubject: Photo\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/related; boundary="b1"\r\n\r\n'
        b'--b1\r\nContent-Type: text/html; charset="utf-8"\r\n\r\n<p>Site</p><img src="cid:p@x">\r\n'
        b"--b1\r\nContent-Type: image/jpeg\r\nContent-ID: <p@x>\r\nContent-Disposition: inline\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(photo) + b"\r\n--b1--\r\n"
    )
    async with running_app(tmp_path) as app:
        sealed = await app.seal(raw)
        await app.sign_in("bob@gmail.com")
        body = (await app.http.get(f"/api/messages/{sealed.message_id}/body")).text
        assert body.count('src="data:image/jpeg;base64,') == 1
