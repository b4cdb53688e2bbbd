"""The PWA: the app shell for every app route (including `/m/{id}`), its files, and the manifest.

The app's files are served from `pwa/` at the site root, so the service worker's scope is the whole app.
Only names matching a strict pattern inside `pwa/` are served. Text files go gzipped to clients that
accept it (the first visit on a phone downloads the whole shell) and carry an ETag, so a revalidation
costs a 304. Only these public files are compressed: API answers mix mail content with other data, and
compressing them could leak that through their size (BREACH).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from litestar import Controller, Request, Response, get
from litestar.di import Provide
from litestar.params import FromPath

from mailseal.api.state import ServicesDependency, provide_services
from mailseal.errors import NotFound

APP_ROUTES = ["/", "/index.html", "/inbox", "/settings", "/settings/add-address", "/install", "/sign-in",
              "/m/{message_id:str}", "/m/{message_id:str}/reply", "/m/{message_id:str}/forward",
              "/m/{message_id:str}/attachments/{index:int}"]
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")
# No charset here: Litestar appends `; charset=<encoding>` (utf-8 unless told otherwise) to every text/* type.
TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png",
         ".svg": "image/svg+xml", ".json": "application/json", ".webmanifest": "application/manifest+json",
         ".ico": "image/x-icon", ".html": "text/html"}


COMPRESSED_TYPES = (".js", ".css", ".svg", ".json", ".webmanifest", ".html")


class ShellFile(NamedTuple):
    body: bytes
    gzipped: bytes | None  # None when it does not pay
    etag: str
    media_type: str


@lru_cache(maxsize=256)
def _load(path: Path, mtime_ns: int, size: int) -> ShellFile:
    """A file as served, cached until it changes on disk (its mtime and size are part of the key)."""
    body = path.read_bytes()
    gzipped = gzip.compress(body, compresslevel=9, mtime=0) if path.suffix in COMPRESSED_TYPES else None
    if gzipped is not None and len(gzipped) >= len(body):
        gzipped = None
    media_type = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return ShellFile(body, gzipped, f'"{hashlib.sha256(body).hexdigest()[:32]}"', media_type)


def _accepts_gzip(request: Request[Any, Any, Any]) -> bool:
    """Whether Accept-Encoding names gzip with a weight above zero (browsers name it; "*" is not read)."""
    for coding in request.headers.get("accept-encoding", "").lower().split(","):
        name, _, parameters = coding.partition(";")
        if name.strip() != "gzip":
            continue
        weight = parameters.strip()
        try:
            return not weight.startswith("q=") or float(weight[2:]) > 0
        except ValueError:
            return False
    return False


def send_file(path: Path, request: Request[Any, Any, Any], *, media_type: str | None = None) -> Response[bytes]:
    stat = path.stat()
    shell = _load(path, stat.st_mtime_ns, stat.st_size)
    headers = {"ETag": shell.etag, "Vary": "Accept-Encoding"}
    media = media_type or shell.media_type
    if shell.etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers, media_type=media)
    if shell.gzipped is not None and _accepts_gzip(request):
        return Response(shell.gzipped, headers={**headers, "Content-Encoding": "gzip"}, media_type=media)
    return Response(shell.body, headers=headers, media_type=media)


def serve_file(root: Path, folder: str, name: str, request: Request[Any, Any, Any]) -> Response[bytes]:
    if not SAFE_NAME.match(name) or ".." in name:
        raise NotFound()
    path = (root / folder / name).resolve()
    if root.resolve() not in path.parents or not path.is_file():
        raise NotFound()
    return send_file(path, request)


class AppShellController(Controller):
    dependencies = {"services": Provide(provide_services)}
    include_in_schema = False

    @get(APP_ROUTES)
    async def shell(self, request: Request[Any, Any, Any], services: ServicesDependency) -> Response[bytes]:
        return serve_file(services.pwa_dir, ".", "index.html", request)

    @get("/manifest.json")
    async def manifest(self, request: Request[Any, Any, Any], services: ServicesDependency) -> Response[bytes]:
        return send_file(services.manifest, request, media_type="application/manifest+json")

    @get("/{name:str}")
    async def root_file(
        self, name: FromPath[str], request: Request[Any, Any, Any], services: ServicesDependency
    ) -> Response[bytes]:
        if not name.endswith((".js", ".css", ".png", ".ico", ".svg")):
            raise NotFound()
        return serve_file(services.pwa_dir, ".", name, request)


class AssetController(Controller):
    dependencies = {"services": Provide(provide_services)}
    include_in_schema = False

    @get("/icons/{name:str}")
    async def icon(
        self, name: FromPath[str], request: Request[Any, Any, Any], services: ServicesDependency
    ) -> Response[bytes]:
        return serve_file(services.pwa_dir, "icons", name, request)

    @get("/modules/{name:str}")
    async def module(
        self, name: FromPath[str], request: Request[Any, Any, Any], services: ServicesDependency
    ) -> Response[bytes]:
        return serve_file(services.pwa_dir, "modules", name, request)

    @get("/locales/{name:str}")
    async def catalogue(
        self, name: FromPath[str], request: Request[Any, Any, Any], services: ServicesDependency
    ) -> Response[bytes]:
        """The app's words in one language (`en.json`, `pt-BR.json`): only the chosen one is fetched."""
        return serve_file(services.pwa_dir, "locales", name, request)
