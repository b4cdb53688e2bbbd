"""The share target's server fallback (no service worker yet): signed in it receives the message; signed
out it keeps nothing but does not lose the share either, sending the person to the message's link."""

from __future__ import annotations

from pathlib import Path

from support.mailseal_app import BASE_URL, running_app, simple_mail
from test_api_messages import armored


async def share(app, content: bytes, *, site: str = "same-origin"):  # type: ignore[no-untyped-def]
    return await app.http.post(
        "/share-target", files={"file": ("message.html", content, "text/html")},
        headers={"sec-fetch-site": site}, follow_redirects=False,
    )


async def test_signed_out_the_share_leads_to_the_message(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        sealed = await app.seal(simple_mail())
        response = await share(app, armored(app, sealed.message_id))
        assert response.status_code == 303
        assert response.headers["location"] == f"/m/{sealed.message_id}"
        actions = [e.action for e in await app.services.instance.keys.audit(sealed.message_id)]
        assert actions == ["seal"], "recognised without a policy decision, an unwrap or any decryption"
        # Then, signed in as a recipient, the link opens it.
        await app.sign_in("bob@gmail.com")
        assert (await app.http.get(f"/api/messages/{sealed.message_id}")).status_code == 200


async def test_signed_out_a_bad_share_is_named(tmp_path: Path) -> None:
    async with running_app(tmp_path, max_upload_bytes=64 * 1024) as app:
        sealed = await app.seal(simple_mail())
        page = armored(app, sealed.message_id)
        other = tmp_path / "other"
        async with running_app(other) as elsewhere:
            foreign = armored(elsewhere, (await elsewhere.seal(simple_mail())).message_id)
        envelope = app.envelope_bytes(sealed.message_id)
        tampered = bytearray(envelope)
        tampered[40] ^= 1
        cases = {
            "input.no-envelope": b"<html><body>Hello</body></html>",
            "envelope.unknown-key": foreign,
            "envelope.damaged": bytes(tampered),
            "input.too-large": page + b" " * (64 * 1024),
        }
        for code, content in cases.items():
            response = await share(app, content)
            assert response.status_code == 303 and response.headers["location"] == f"/?error={code}", code
        response = await share(app, page, site="cross-site")
        assert response.headers["location"] == "/?error=forbidden"


async def test_signed_in_the_share_is_received(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        sealed = await app.seal(simple_mail(), recipients=("bob@gmail.com",))
        await app.sign_in("bob@gmail.com")
        response = await share(app, armored(app, sealed.message_id))
        assert response.status_code == 303 and response.headers["location"] == f"/m/{sealed.message_id}"
        assert [m["id"] for m in (await app.http.get("/api/messages")).json()["messages"]] == [sealed.message_id]


async def test_only_this_site_or_the_share_sheet_may_post(tmp_path: Path) -> None:
    """Both `Sec-Fetch-Site` and `Origin` are checked; a POST that shows neither is refused."""
    allowed = [
        {"sec-fetch-site": "same-origin", "origin": BASE_URL},
        {"sec-fetch-site": "none", "origin": "null"},  # the share sheet's navigation
        {"sec-fetch-site": "none"},
        {"origin": BASE_URL},  # a browser without Fetch Metadata
    ]
    refused = [
        {},
        {"origin": "https://evil.example"},
        {"sec-fetch-site": "same-origin", "origin": "https://evil.example"},
        {"sec-fetch-site": "none", "origin": "https://evil.example"},
        {"sec-fetch-site": "same-site", "origin": "https://x.mailseal.test"},
        {"sec-fetch-site": "cross-site"},
        {"origin": "null"},
        {"sec-fetch-site": "same-origin", "origin": "null"},
    ]
    async with running_app(tmp_path) as app:
        sealed = await app.seal(simple_mail())
        page = armored(app, sealed.message_id)
        for headers in allowed + refused:
            response = await app.http.post("/share-target", files={"file": ("message.html", page, "text/html")},
                                           headers=headers, follow_redirects=False)
            expected = f"/m/{sealed.message_id}" if headers in allowed else "/?error=forbidden"
            assert response.headers["location"] == expected, headers
