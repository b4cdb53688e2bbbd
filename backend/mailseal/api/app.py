"""The Litestar app factory: all wiring of the HTTP side happens here."""

from __future__ import annotations

import logging
from pathlib import Path

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.types import LifespanHook

from mailseal import __version__
from mailseal.api.controllers.access_log import AccessLogController
from mailseal.api.controllers.app_shell import AppShellController, AssetController
from mailseal.api.controllers.auth import AuthController
from mailseal.api.controllers.dev_outbox import DevOutboxController
from mailseal.api.controllers.federated import FederatedSignInController
from mailseal.api.controllers.health import HealthController
from mailseal.api.controllers.invitations import InvitationsController
from mailseal.api.controllers.me import MeController
from mailseal.api.controllers.messages import MessagesController
from mailseal.api.controllers.offline import OfflineController
from mailseal.api.controllers.passkeys import PasskeysController, PasskeySignInController
from mailseal.api.controllers.replies import RepliesController
from mailseal.api.controllers.share_target import ShareTargetController
from mailseal.api.headers import security_headers_middleware
from mailseal.api.observe import observe_middleware
from mailseal.api.problems import http_error_handler, internal_error_handler, mailseal_error_handler
from mailseal.config import Settings
from mailseal.errors import MailsealError
from mailseal.instance import DataFolder, derive_secret, load_or_create_secret

ROOT = Path(__file__).resolve().parents[3]
MULTIPART_OVERHEAD = 64 * 1024

log = logging.getLogger("mailseal.api")


def default_pwa_dir() -> Path:
    return ROOT / "pwa"


def default_manifest() -> Path:
    return ROOT / "manifest.json"


def create_app(
    settings: Settings,
    *,
    on_startup: list[LifespanHook] | None = None,
    on_shutdown: list[LifespanHook] | None = None,
    extra_handlers: list[object] | None = None,
) -> Litestar:
    """The app; `on_startup` must put a `Services` in `app.state.services` (see `mailseal.server`)."""
    secret = load_or_create_secret(DataFolder(settings.data_path).secret)
    handlers: list[object] = [
        AuthController,
        MeController,
        PasskeySignInController,
        PasskeysController,
        MessagesController,
        AccessLogController,
        InvitationsController,
        FederatedSignInController,
        OfflineController,
        RepliesController,
        ShareTargetController,
        HealthController,
        AssetController,
        AppShellController,
        *(extra_handlers or []),
    ]
    if settings.dev:
        handlers.append(DevOutboxController)
    csrf = CSRFConfig(
        secret=derive_secret(secret, b"mailseal.org/v1/csrf").hex(),
        cookie_name="csrftoken",
        header_name="x-csrftoken",
        cookie_secure=True,
        cookie_samesite="strict",
        exclude=["/share-target"],
    )
    app = Litestar(
        route_handlers=handlers,  # type: ignore[arg-type]
        csrf_config=csrf,
        middleware=[
            DefineMiddleware(observe_middleware, trusted_proxies=settings.trusted_proxies),
            DefineMiddleware(security_headers_middleware, hsts=True),
        ],
        exception_handlers={
            MailsealError: mailseal_error_handler,
            HTTPException: http_error_handler,
            Exception: internal_error_handler,
        },
        request_max_body_size=settings.max_upload_bytes + MULTIPART_OVERHEAD,
        multipart_form_part_limit=10,
        openapi_config=OpenAPIConfig(
            title="Mailseal", version=__version__, path="/schema", render_plugins=[JsonRenderPlugin()]
        ),
        # Logging is set up in one place (mailseal.logs); Litestar's default would replace the root's
        # handlers with its own queue, and with them the JSON format and the tests' capture.
        logging_config=None,
        on_startup=on_startup or [],
        on_shutdown=on_shutdown or [],
        debug=False,
    )
    return app
