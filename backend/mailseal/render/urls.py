"""Which URLs may stay in a mail: links to the web and to mail addresses, and images carried by the mail.

An image never comes from elsewhere: `cid:` parts are turned into URLs by the caller, `data:` images of four
raster types are kept, and anything else (remote, scheme-relative or relative) is a blocked remote image.
The input here has already been through nh3's WHATWG URL parse, which drops `javascript:` and friends.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

# A single data: URL written in the mail itself; inline parts reached through cid_url are sized by the caller.
MAX_DATA_URL_CHARS = 1024 * 1024

CidUrl = Callable[[str], str | None]

# WHATWG URL parsing strips leading and trailing C0 controls and spaces, and every tab and newline.
_EDGES = "".join(chr(c) for c in range(0x21))
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_LINK = re.compile(r"(?:https?|mailto):", re.IGNORECASE | re.ASCII)
_ABSOLUTE_WEB = re.compile(r"https?://[^/?#\\]", re.IGNORECASE | re.ASCII)
_DATA_IMAGE = re.compile(
    r"data:image/(png|gif|jpe?g|webp)(?:;[a-z0-9._+-]+=[a-z0-9._+-]*)*;base64,([A-Za-z0-9+/=\s]+)",
    re.IGNORECASE | re.ASCII,
)
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.IGNORECASE | re.ASCII)
_CID = re.compile(r"cid:", re.IGNORECASE | re.ASCII)
_WHITESPACE = re.compile(r"\s+")


def _clean(url: str) -> str:
    return _TAB_NEWLINE.sub("", url.strip(_EDGES))


def link_href(url: str) -> str | None:
    """An `http`, `https` or `mailto` link, cleaned as a browser would read it; anything else is dropped."""
    cleaned = _clean(url)
    return cleaned if _LINK.match(cleaned) else None


def data_image(url: str, *, max_chars: int | None = MAX_DATA_URL_CHARS) -> str | None:
    """A base64 `data:` URL of a PNG, GIF, JPEG or WebP image, rewritten canonically; otherwise None."""
    if max_chars is not None and len(url) > max_chars:
        return None
    match = _DATA_IMAGE.fullmatch(_clean(url))
    if match is None:
        return None
    kind = match[1].lower().replace("jpg", "jpeg")
    return f"data:image/{kind};base64,{_WHITESPACE.sub('', match[2])}"


def content_id(url: str) -> str | None:
    """The Content-ID named by a `cid:` URL (RFC 2392), or None when `url` is not one."""
    cleaned = _clean(url)
    if not _CID.match(cleaned):
        return None
    cid = unquote(cleaned[4:]).strip()
    if cid.startswith("<") and cid.endswith(">"):
        cid = cid[1:-1]
    return cid or None


def inline_image_url(url: str | None) -> str | None:
    """What the caller's cid_url returned, if it is a data: image or an absolute http(s) URL."""
    if url is None:
        return None
    if (image := data_image(url, max_chars=None)) is not None:
        return image
    cleaned = _clean(url)
    return cleaned if _ABSOLUTE_WEB.match(cleaned) else None


def is_remote(url: str) -> bool:
    """Whether a browser would fetch this image source from a server: http(s), scheme-relative or relative."""
    cleaned = _clean(url)
    scheme = _SCHEME.match(cleaned)
    return bool(cleaned) and (scheme is None or scheme[1].lower() in ("http", "https"))


def image_src(url: str, cid_url: CidUrl) -> str | None:
    """The source an `<img>` may keep: a resolved `cid:` part or a checked `data:` image."""
    cid = content_id(url)
    if cid is not None:
        return inline_image_url(cid_url(cid))
    return data_image(url)
