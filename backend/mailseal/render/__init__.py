"""Untrusted mail content made safe to show: HTML and text bodies, inline images, attachment names and types.

Pure functions, no I/O. HTML is sanitized here (`sanitize_html`) and shown in a sandboxed frame under
`viewer_csp` (`wrap_for_viewer`); each layer must hold alone (DESIGN §5.3).
"""

from __future__ import annotations

from mailseal.render.content_types import OCTET_STREAM, is_inline_viewable, safe_charset, safe_content_type
from mailseal.render.disposition import content_disposition
from mailseal.render.filenames import MAX_FILENAME_CHARS, safe_filename
from mailseal.render.markup import LIMITS, Limits
from mailseal.render.sanitize import MAX_HTML_CHARS, SanitizedHtml, sanitize_html
from mailseal.render.text import MAX_TEXT_CHARS, text_to_html
from mailseal.render.urls import MAX_DATA_URL_CHARS, CidUrl
from mailseal.render.viewer import FRAME_SANDBOX, ColorScheme, viewer_csp, wrap_for_viewer

__all__ = [
    "FRAME_SANDBOX",
    "LIMITS",
    "MAX_DATA_URL_CHARS",
    "MAX_FILENAME_CHARS",
    "MAX_HTML_CHARS",
    "MAX_TEXT_CHARS",
    "OCTET_STREAM",
    "CidUrl",
    "ColorScheme",
    "Limits",
    "SanitizedHtml",
    "content_disposition",
    "is_inline_viewable",
    "safe_charset",
    "safe_content_type",
    "safe_filename",
    "sanitize_html",
    "text_to_html",
    "viewer_csp",
    "wrap_for_viewer",
]
