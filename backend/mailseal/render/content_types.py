"""Which media types an attachment may be served with. The rest is `application/octet-stream`.

A type a browser would run or render as a page (`text/html`, `image/svg+xml`, any XML, scripts) never
leaves: the sender chose it, so we do not trust it. Office documents keep their types so that a phone
opens them in the right app; the browser only downloads them.
"""

from __future__ import annotations

import codecs
import re

OCTET_STREAM = "application/octet-stream"
DEFAULT_CHARSET = "utf-8"

INLINE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/ogg",
        "audio/wav",
        "audio/webm",
        "audio/flac",
        "video/mp4",
        "video/webm",
        "video/ogg",
    }
)
DOWNLOAD_TYPES = frozenset(
    {
        "text/csv",
        "text/calendar",
        "text/vcard",
        "video/quicktime",
        "application/zip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "application/rtf",
        # an attached message, offered as .eml: phones open it in their mail app; browsers only download it
        "message/rfc822",
    }
)

_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "audio/mp3": "audio/mpeg",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/x-m4a": "audio/mp4",
    "audio/x-flac": "audio/flac",
    "text/x-vcard": "text/vcard",
    "text/rtf": "application/rtf",
    "application/x-zip-compressed": "application/zip",
}
_RESTRICTED_NAME = r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}"
_MEDIA_TYPE = re.compile(rf"{_RESTRICTED_NAME}/{_RESTRICTED_NAME}", re.ASCII)
_CHARSET_NAME = re.compile(r"[a-z0-9._:-]{1,40}", re.ASCII)
_UNSAFE_CHARSETS = re.compile(r"utf[-_]?7|x-user-defined", re.ASCII)


def _media_type(content_type: str) -> str | None:
    essence = content_type.split(";", 1)[0].strip().lower()
    essence = _ALIASES.get(essence, essence)
    if not _MEDIA_TYPE.fullmatch(essence):
        return None
    return essence if essence in INLINE_TYPES or essence in DOWNLOAD_TYPES else None


def safe_charset(charset: str | None) -> str:
    """The charset to serve a text part with: the one its sender named if it is a known, safe encoding.

    Every text type is served with a charset, so the browser never guesses one (UTF-7 was an XSS vector);
    the type itself carries no parameters, since the HTTP layer adds the one `charset`."""
    name = (charset or "").strip().strip('"').lower()
    if not _CHARSET_NAME.fullmatch(name) or _UNSAFE_CHARSETS.search(name):
        return DEFAULT_CHARSET
    try:
        codecs.lookup(name)
    except LookupError:
        return DEFAULT_CHARSET
    return name


def safe_content_type(content_type: str | None) -> str:
    """The type to serve an attachment with, without parameters: an allowed type, or octet-stream."""
    essence = _media_type(content_type or "")
    return OCTET_STREAM if essence is None else essence


def is_inline_viewable(content_type: str | None) -> bool:
    """Whether the viewer may show the attachment in place (images, PDF, plain text, audio and video)."""
    return _media_type(content_type or "") in INLINE_TYPES
