"""Which media types an attachment may be served with. The rest is `application/octet-stream`.

A type a browser would run or render as a page (`text/html`, `image/svg+xml`, any XML, scripts) never
leaves: the sender chose it, so we do not trust it. Office documents keep their types so that a phone
opens them in the right app; the browser only downloads them.
"""

from __future__ import annotations

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
# Text types are served with a charset, so the browser never guesses one (UTF-7 was an XSS vector).
TEXT_TYPES = frozenset({"text/plain", "text/csv", "text/calendar", "text/vcard"})

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
_CHARSET = re.compile(r"""charset\s*=\s*"?([a-z0-9._:-]{1,40})"?\s*""", re.ASCII)
_UNSAFE_CHARSETS = re.compile(r"utf-?7|x-user-defined", re.ASCII)


def _media_type(content_type: str) -> str | None:
    essence = content_type.split(";", 1)[0].strip().lower()
    essence = _ALIASES.get(essence, essence)
    if not _MEDIA_TYPE.fullmatch(essence):
        return None
    return essence if essence in INLINE_TYPES or essence in DOWNLOAD_TYPES else None


def _charset(content_type: str) -> str:
    for parameter in content_type.lower().split(";")[1:]:
        match = _CHARSET.fullmatch(parameter.strip())
        if match and not _UNSAFE_CHARSETS.search(match[1]):
            return match[1]
    return DEFAULT_CHARSET


def safe_content_type(content_type: str | None) -> str:
    """The type to serve an attachment with: an allowed type (text with its charset), or octet-stream."""
    essence = _media_type(content_type or "")
    if essence is None:
        return OCTET_STREAM
    if essence in TEXT_TYPES:
        return f"{essence}; charset={_charset(content_type or '')}"
    return essence


def is_inline_viewable(content_type: str | None) -> bool:
    """Whether the viewer may show the attachment in place (images, PDF, plain text, audio and video)."""
    return _media_type(content_type or "") in INLINE_TYPES
