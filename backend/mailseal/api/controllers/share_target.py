"""The share target's server fallback, for when the service worker is not active yet.

Excluded from the CSRF token check (a share sheet cannot send the header); instead a POST must show it
comes from this site or from the device's share sheet (`from_this_site`), and the session cookie is
SameSite=Lax, so it is never sent cross-site.
Signed out, the shared file is not lost: if it is a message sealed here, the person is sent to its link,
where the app asks them to sign in and then opens it (nothing is stored; the server has the message).
Anyone may post here, so recognition is cheap (the envelope's signed header only) and a file that needs a
whole parse goes to the job pool, which bounds it and gives such parses at most half its places; a full
pool is a 503 with Retry-After, not a redirect.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from mailseal.api.controllers.messages import UploadForm, read_upload, receive_shared
from mailseal.api.state import OptionalSessionDependency, ServicesDependency, provide_optional_session, provide_services
from mailseal.errors import Forbidden, MailsealError, ServerBusy
from mailseal.messages.ingest import recognise_upload


def from_this_site(site: str | None, origin: str | None, own_origin: str) -> bool:
    """Whether `Sec-Fetch-Site` and `Origin` both allow the POST; a request that shows neither is refused.

    A share sheet's navigation is `Sec-Fetch-Site: none` with `Origin: null` (or none); the app's own
    page is `same-origin` with its origin. Browsers without Fetch Metadata still send `Origin` on a POST."""
    if site is not None and site not in {"same-origin", "none"}:
        return False
    if origin is None:
        return site is not None
    if origin == "null":
        return site == "none"
    return origin.lower().rstrip("/") == own_origin.lower()


class ShareTargetController(Controller):
    dependencies = {"services": Provide(provide_services), "session": Provide(provide_optional_session)}
    include_in_schema = False

    @post("/share-target", status_code=303, opt={"exclude_from_csrf": True})
    async def share(
        self,
        data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        request: Request[Any, Any, Any],
        services: ServicesDependency,
        session: OptionalSessionDependency,
    ) -> Redirect:
        try:
            site, origin = request.headers.get("sec-fetch-site"), request.headers.get("origin")
            if not from_this_site(site, origin, services.settings.base_url):
                raise Forbidden("Sharing from another site is not allowed")
            raw = await read_upload(data.file, services.settings.max_upload_bytes)
            if session is None:
                record = await recognise_upload(services.instance.messages, services.jobs, raw, signed_in=False)
                return Redirect(path=f"/m/{record.message_id}", status_code=303)
            message_id, _ = await receive_shared(services, session, raw, via="share")
        except ServerBusy:
            raise
        except MailsealError as exc:
            return Redirect(path=f"/?error={quote(exc.code)}", status_code=303)
        return Redirect(path=f"/m/{message_id}", status_code=303)
