"""The PWA: the app shell for every app route (including `/m/{id}`), its files, and the manifest.

The app's files are served from `pwa/` at the site root, so the service worker's scope is the whole app.
Only names matching a strict pattern inside `pwa/` are served.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from litestar import Controller, Response, get
from litestar.di import Provide
from litestar.params import FromPath

from mailseal.api.state import ServicesDependency, provide_services
from mailseal.errors import NotFound

APP_ROUTES = ["/", "/index.html", "/inbox", "/settings", "/settings/add-address", "/install", "/sign-in",
              "/m/{message_id:str}", "/m/{message_id:str}/reply", "/m/{message_id:str}/forward"]
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".png": "image/png",
         ".svg": "image/svg+xml", ".json": "application/json", ".webmanifest": "application/manifest+json",
         ".ico": "image/x-icon", ".html": "text/html; charset=utf-8"}


def serve_file(root: Path, folder: str, name: str) -> Response[bytes]:
    if not SAFE_NAME.match(name) or ".." in name:
        raise NotFound()
    path = (root / folder / name).resolve()
    if root.resolve() not in path.parents or not path.is_file():
        raise NotFound()
    media_type = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Response(path.read_bytes(), media_type=media_type)


class AppShellController(Controller):
    dependencies = {"services": Provide(provide_services)}
    include_in_schema = False

    @get(APP_ROUTES)
    async def shell(self, services: ServicesDependency) -> Response[bytes]:
        return serve_file(services.pwa_dir, ".", "index.html")

    @get("/manifest.json")
    async def manifest(self, services: ServicesDependency) -> Response[bytes]:
        return Response(services.manifest.read_bytes(), media_type="application/manifest+json")

    @get("/{name:str}")
    async def root_file(self, name: FromPath[str], services: ServicesDependency) -> Response[bytes]:
        if not name.endswith((".js", ".css", ".png", ".ico", ".svg")):
            raise NotFound()
        return serve_file(services.pwa_dir, ".", name)


class AssetController(Controller):
    dependencies = {"services": Provide(provide_services)}
    include_in_schema = False

    @get("/icons/{name:str}")
    async def icon(self, name: FromPath[str], services: ServicesDependency) -> Response[bytes]:
        return serve_file(services.pwa_dir, "icons", name)

    @get("/modules/{name:str}")
    async def module(self, name: FromPath[str], services: ServicesDependency) -> Response[bytes]:
        return serve_file(services.pwa_dir, "modules", name)
