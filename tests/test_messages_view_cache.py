"""The sealed view cache: a second open skips the sanitizer, yet holds no plaintext, opens only with the
message's own content key, and changes nothing about the decision and audit of every open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailseal.keys import ContentKey
from mailseal.messages.display import MessageView, RenderedMessage
from mailseal.messages.view_cache import LARGEST_SHARE, SealedViewCache
from support.mailseal_app import running_app, simple_mail

FINGERPRINT = b"\x01" * 32
SECRET_TEXT = "The merger closes on Friday; tell no one."


def key_for(message_id: str, key: bytes | None = None) -> ContentKey:
    return ContentKey(message_id=message_id, key=key or os.urandom(32))


def rendered(message_id: str, html_size: int = 100) -> RenderedMessage:
    view = MessageView(id=message_id, thread_id="t", subject="Merger", from_="alice@example.org", text=SECRET_TEXT)
    return RenderedMessage(view=view, html="<p>" + "x" * html_size + SECRET_TEXT + "</p>")


def all_sealed_bytes(cache: SealedViewCache) -> bytes:
    return b"".join(entry.view + (entry.html or b"") for entry in cache._entries.values())


def test_round_trip_with_and_without_the_html() -> None:
    cache = SealedViewCache(1024 * 1024)
    key = key_for("m1")
    original = rendered("m1")
    cache.put(key, FINGERPRINT, original)
    assert cache.get(key, FINGERPRINT, with_html=True) == original
    assert cache.get(key, FINGERPRINT, with_html=False) == RenderedMessage(view=original.view, html=None)


def test_holds_only_ciphertext() -> None:
    cache = SealedViewCache(1024 * 1024)
    cache.put(key_for("m1"), FINGERPRINT, rendered("m1"))
    sealed = all_sealed_bytes(cache)
    assert SECRET_TEXT.encode() not in sealed and b"Merger" not in sealed and b"alice@" not in sealed


@pytest.mark.parametrize("wrong", ["other key", "other fingerprint", "other message"])
def test_opens_only_with_its_own_key_and_header(wrong: str) -> None:
    cache = SealedViewCache(1024 * 1024)
    key = key_for("m1")
    cache.put(key, FINGERPRINT, rendered("m1"))
    if wrong == "other key":
        assert cache.get(key_for("m1"), FINGERPRINT, with_html=True) is None
    elif wrong == "other fingerprint":
        assert cache.get(key, b"\x02" * 32, with_html=True) is None
    else:
        # The entry of m1 moved under m2's id must not open with m2's key, nor with m1's under m2's id.
        cache._entries["m2"] = cache._entries["m1"]
        assert cache.get(ContentKey(message_id="m2", key=key.key), FINGERPRINT, with_html=True) is None
        return
    assert len(cache) == 0  # an entry that does not open is dropped


def test_the_view_and_the_body_cannot_be_swapped() -> None:
    cache = SealedViewCache(1024 * 1024)
    key = key_for("m1")
    cache.put(key, FINGERPRINT, rendered("m1"))
    entry = cache._entries["m1"]
    assert entry.html is not None
    cache._entries["m1"] = type(entry)(view=entry.html, html=entry.view)
    assert cache.get(key, FINGERPRINT, with_html=True) is None


def test_bounded_by_bytes_least_recently_used_first() -> None:
    cache = SealedViewCache(40_000)
    keys = {name: key_for(name) for name in "abcde"}
    for name in "abcd":
        cache.put(keys[name], FINGERPRINT, rendered(name, html_size=9_000))
    assert len(cache) == 4
    assert cache.get(keys["a"], FINGERPRINT, with_html=False) is not None  # a is now the most recent
    cache.put(keys["e"], FINGERPRINT, rendered("e", html_size=9_000))
    assert cache.size <= 40_000
    assert cache.get(keys["b"], FINGERPRINT, with_html=False) is None
    assert all(cache.get(keys[n], FINGERPRINT, with_html=False) is not None for n in "acde")


def test_too_large_or_turned_off_is_not_cached() -> None:
    cache = SealedViewCache(40_000)
    cache.put(key_for("big"), FINGERPRINT, rendered("big", html_size=40_000 // LARGEST_SHARE + 1))
    off = SealedViewCache(0)
    off.put(key_for("m1"), FINGERPRINT, rendered("m1"))
    assert len(cache) == 0 and len(off) == 0 and cache.size == 0


def test_discard_frees_the_bytes() -> None:
    cache = SealedViewCache(1024 * 1024)
    cache.put(key_for("m1"), FINGERPRINT, rendered("m1"))
    cache.discard("m1")
    cache.discard("never there")
    assert len(cache) == 0 and cache.size == 0


HTML = "<p>Dear Bob, <b>the numbers</b> are <i>good</i>.</p><img src='https://tracker.example/p.gif'>"


@pytest.mark.engines
async def test_a_second_open_skips_the_sanitizer_but_not_the_decision(tmp_path: Path) -> None:
    calls = []
    async with running_app(tmp_path) as app:
        # Rendering (decrypting the parts, sanitizing) is a job of the pool: count those.
        app.services.jobs.observer = lambda event: calls.append(1) if event.kind == "started" else None
        sealed = await app.seal(simple_mail(html=HTML))
        await app.sign_in("bob@gmail.com")
        url = f"/api/messages/{sealed.message_id}"
        first = await app.http.get(url)
        body = await app.http.get(url + "/body")
        again = await app.http.get(url)
        assert first.status_code == body.status_code == again.status_code == 200
        assert first.json() == again.json() and "<b>the numbers</b>" in body.text
        assert len(calls) == 1, "the body frame and the second open come from the sealed cache"
        assert SECRET_TEXT.encode() not in all_sealed_bytes(app.services.views)
        assert b"the numbers" not in all_sealed_bytes(app.services.views)
        opens = [e for e in await app.run(app.services.instance.keys.audit(sealed.message_id)) if e.action == "open"]
        assert len(opens) == 3

        # Revoked: the cached rendering is still held, but the decision refuses before it is reached.
        await app.run(app.services.instance.keys.revoke(sealed.message_id, actor="admin"))
        refused = await app.http.get(url)
        assert refused.status_code == 410 and refused.json()["code"] == "policy.revoked"
        assert (await app.http.get(url + "/body")).status_code == 410
        assert len(app.services.views) == 0  # dropped at the refusal, only to free the memory
        assert len(calls) == 1


async def test_someone_else_gets_no_cached_view(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        sealed = await app.seal(simple_mail(html=HTML))
        await app.sign_in("bob@gmail.com")
        assert (await app.http.get(f"/api/messages/{sealed.message_id}")).status_code == 200
        assert len(app.services.views) == 1
        app.http.cookies.clear()
        await app.sign_in("mallory@evil.test")
        response = await app.http.get(f"/api/messages/{sealed.message_id}")
        assert response.status_code in (403, 404)
        assert "numbers" not in response.text
