"""The app shell's files: gzipped for clients that accept it (the first visit downloads all of them),
revalidated with an ETag, and the API never compressed."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from support.mailseal_app import running_app, simple_mail

PWA = Path(__file__).resolve().parent.parent / "pwa"


@pytest.mark.parametrize(("path", "file"), [
    ("/app.js", "app.js"), ("/styles.css", "styles.css"), ("/modules/api.js", "modules/api.js"),
    ("/sw.js", "sw.js"), ("/icons/icon.svg", "icons/icon.svg"), ("/locales/en.json", "locales/en.json"),
])  # fmt: skip
async def test_text_files_go_gzipped_to_who_accepts_it(tmp_path: Path, path: str, file: str) -> None:
    expected = (PWA / file).read_bytes()
    async with running_app(tmp_path) as app:
        zipped = await app.http.get(path, headers={"accept-encoding": "gzip, deflate, br"})
        assert zipped.status_code == 200
        assert zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"] == "Accept-Encoding"
        assert zipped.content == expected  # httpx undoes the gzip, as a browser does
        assert int(zipped.headers["content-length"]) < len(expected)
        for refused in ("identity", "gzip;q=0", ""):
            plain = await app.http.get(path, headers={"accept-encoding": refused})
            assert "content-encoding" not in plain.headers, refused
            assert plain.content == expected
        assert (await app.http.get(path, headers={"accept-encoding": "gzip;q=0.5"})).headers[
            "content-encoding"] == "gzip"

async def test_an_unchanged_file_is_a_304(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        first = await app.http.get("/app.js")
        etag = first.headers["etag"]
        again = await app.http.get("/app.js", headers={"if-none-match": etag})
        assert again.status_code == 304 and again.content == b""
        other = await app.http.get("/app.js", headers={"if-none-match": '"something-else"'})
        assert other.status_code == 200 and other.headers["etag"] == etag
        assert first.headers["cache-control"] == "no-cache"  # revalidated, never stale

async def test_images_and_the_api_are_not_compressed(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        png = await app.http.get("/icons/icon-192.png", headers={"accept-encoding": "gzip"})
        assert png.status_code == 200 and "content-encoding" not in png.headers
        assert png.content == (PWA / "icons" / "icon-192.png").read_bytes()
        sealed = await app.seal(simple_mail(html="<p>" + "numbers " * 500 + "</p>"))
        await app.sign_in("bob@gmail.com")
        for url in (f"/api/messages/{sealed.message_id}", f"/api/messages/{sealed.message_id}/body",
                    "/api/messages"):
            response = await app.http.get(url, headers={"accept-encoding": "gzip"})
            assert response.status_code == 200 and "content-encoding" not in response.headers, url

def test_gzip_is_deterministic() -> None:
    # mtime=0: the same file gives the same bytes, so caches and ETags agree across restarts.
    from mailseal.api.controllers.app_shell import _load

    path = PWA / "app.js"
    stat = path.stat()
    first = _load(path, stat.st_mtime_ns, stat.st_size)
    _load.cache_clear()
    assert _load(path, stat.st_mtime_ns, stat.st_size) == first
    assert first.gzipped is not None and gzip.decompress(first.gzipped) == first.body
