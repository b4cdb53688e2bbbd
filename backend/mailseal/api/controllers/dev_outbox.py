"""Development mode only: read the Maildir outbox in the browser (passcode and wrapper mails).

Registered only when `dev` is on. Every value is escaped; a mail's HTML part is shown from its own URL
under a sandbox CSP, never inlined into this page.
"""

from __future__ import annotations

import email
import email.policy
import html
import time
from email.message import EmailMessage

from litestar import Controller, Response, get
from litestar.di import Provide
from litestar.params import FromPath

from mailseal.api.state import Services, ServicesDependency, provide_services
from mailseal.errors import NotFound
from mailseal.mail.outbox import MaildirOutbox

PAGE_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:48rem;padding:1rem;color:#111}"
    "a{color:#1d4ed8}li{padding:.5rem 0;border-bottom:1px solid #ddd;list-style:none}ul{padding:0}"
    "pre{white-space:pre-wrap;background:#f4f4f5;padding:1rem;border-radius:8px}"
    "iframe{width:100%;height:70vh;border:1px solid #ddd;border-radius:8px}small{color:#555}"
    "@media (prefers-color-scheme:dark){body{background:#111;color:#eee}pre{background:#222}a{color:#93c5fd}}"
)
BODY_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: https:"


def _page(title: str, body: str) -> Response[bytes]:
    document = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{html.escape(title)}</title>'
        f"<style>{PAGE_STYLE}</style></head><body>{body}</body></html>"
    )
    return Response(document.encode(), media_type="text/html")


def _outbox(services: Services) -> MaildirOutbox:
    if not isinstance(services.outbox, MaildirOutbox):
        raise NotFound("The outbox viewer needs the Maildir outbox (no smtp_url set)")
    return services.outbox


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


class DevOutboxController(Controller):
    path = "/dev/outbox"
    dependencies = {"services": Provide(provide_services)}
    include_in_schema = False

    @get("/")
    async def index(self, services: ServicesDependency) -> Response[bytes]:
        entries = _outbox(services).list()
        items = "".join(
            f'<li><a href="/dev/outbox/{html.escape(e.key)}">{html.escape(e.subject or "(no subject)")}</a><br>'
            f"<small>to {html.escape(', '.join(e.recipients))} · "
            f"{time.strftime('%H:%M:%S', time.localtime(e.written_at))}</small></li>"
            for e in entries
        )
        return _page("Outbox", f"<h1>Outbox</h1><p>{len(entries)} mail(s), newest first.</p><ul>{items}</ul>")

    @get("/{key:str}")
    async def show(self, key: FromPath[str], services: ServicesDependency) -> Response[bytes]:
        message = _parse(_outbox(services).read(key))
        text = message.get_body(preferencelist=("plain",))
        has_html = message.get_body(preferencelist=("html",)) is not None
        attachments = [p.get_filename() or "(unnamed)" for p in message.iter_attachments()]
        parts = [
            '<p><a href="/dev/outbox/">← Outbox</a></p>',
            f"<h1>{html.escape(str(message.get('Subject', '')))}</h1>",
            f"<p><small>From {html.escape(str(message.get('From', '')))}<br>"
            f"To {html.escape(str(message.get('To', '')))}</small></p>",
        ]
        if has_html:
            parts.append(f'<iframe sandbox title="HTML part" src="/dev/outbox/{html.escape(key)}/html"></iframe>')
        if text is not None:
            parts.append(f"<h2>Text part</h2><pre>{html.escape(text.get_content())}</pre>")
        if attachments:
            parts.append("<h2>Attachments</h2><ul>" + "".join(f"<li>{html.escape(a)}</li>" for a in attachments)
                         + "</ul>")
        return _page(str(message.get("Subject", "Mail")), "".join(parts))

    @get("/{key:str}/html")
    async def html_part(self, key: FromPath[str], services: ServicesDependency) -> Response[bytes]:
        body = _parse(_outbox(services).read(key)).get_body(preferencelist=("html",))
        if body is None:
            raise NotFound()
        content = body.get_content()
        return Response(
            content.encode() if isinstance(content, str) else bytes(content),
            media_type="text/html",
            headers={"Content-Security-Policy": BODY_CSP, "X-Frame-Options": "SAMEORIGIN"},
        )
