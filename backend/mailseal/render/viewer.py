"""The document a sanitized body is shown in, and the Content-Security-Policy that fences it.

The PWA shows it in an `<iframe sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox">`:
no scripts (neither `allow-scripts` nor any `script-src`: two independent fences), and the app's origin only
so that the app can read the document's size and fit the frame to it (docs/pwa.md says why this is safe).
Served from the body URL, the CSP travels as a header (with `sandbox`, so the document is sandboxed even
when opened on its own); as a `srcdoc`, it is the `<meta>` below, on top of the app's own policy, which a
`srcdoc` inherits.

Inline (`cid:`) images: the sanitizer's `cid_url` should return `data:` URLs. A frame with an opaque origin
is cross-site to the API, so SameSite session cookies are not sent with its image requests; and with
`img-src data:` the frame makes no request at all. `api_origin` exists for a deployment that serves parts
by capability URL instead: it is then the only other origin images may come from.
"""

from __future__ import annotations

import html
import re
from typing import Literal

from mailseal.errors import ConfigError

ColorScheme = Literal["light", "light dark"]

# Never `allow-scripts`: with `allow-same-origin` that would let the mail lift its own sandbox.
FRAME_SANDBOX = "allow-same-origin allow-popups allow-popups-to-escape-sandbox"

# Readable mail on a 360 px screen: nothing wider than the frame, long words break, images scale.
VIEWER_STYLE = (
    "html{-webkit-text-size-adjust:100%;text-size-adjust:100%}"
    "body{margin:0;padding:12px;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "overflow-wrap:anywhere;word-break:break-word;background:Canvas;color:CanvasText}"
    "img{max-width:100%;height:auto}"
    "table{max-width:100%}"
    "pre{white-space:pre-wrap}"
    "a{color:LinkText}"
    "blockquote{margin:0.25em 0 0.25em 0.5em;padding-left:0.75em;border-left:3px solid #8888}"
)

_ORIGIN = re.compile(
    r"(?:https://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
    r"|http://(?:localhost|127\.0\.0\.1|\[::1\]))(?::[0-9]{1,5})?",
    re.ASCII,
)


def _origin(api_origin: str) -> str:
    origin = api_origin.strip().lower().rstrip("/")
    if not _ORIGIN.fullmatch(origin):
        raise ConfigError("The API origin must be an https origin (scheme, host and optional port)")
    return origin


def viewer_csp(api_origin: str | None = None, *, for_header: bool = False) -> str:
    """The viewer's CSP: no scripts, no fetches, inline styles only, images from `data:` (and `api_origin`)."""
    images = "data:" if api_origin is None else f"data: {_origin(api_origin)}"
    directives = [
        "default-src 'none'",
        f"img-src {images}",
        "style-src 'unsafe-inline'",
        "form-action 'none'",
        "base-uri 'none'",
    ]
    if for_header:  # ignored in a <meta>: only a header can sandbox the document and name its framers
        directives += [f"sandbox {FRAME_SANDBOX}", "frame-ancestors 'self'"]
    return "; ".join(directives)


def wrap_for_viewer(safe_html: str, *, api_origin: str | None = None, color_scheme: ColorScheme = "light") -> str:
    """The whole viewer document around an already sanitized body (from `sanitize_html` or `text_to_html`).

    `color_scheme` "light dark" follows the phone's dark mode; keep "light" for HTML mail, whose colours
    were chosen for a white page.
    """
    csp = html.escape(viewer_csp(api_origin), quote=True)
    return (
        "<!DOCTYPE html>"
        '<html><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="color-scheme" content="{color_scheme}">'
        '<base target="_blank">'
        f"<style>{VIEWER_STYLE}</style>"
        f"</head><body>{safe_html}</body></html>"
    )
