"""The organisation's look in the mails it sends: name, logo, colour and its own words.

Validated when built, so a bad colour or a `javascript:` logo never reaches a template. A `data:` logo
travels inside the mail as an inline image (`cid:`), because Gmail and Outlook do not show `data:`
images; an `https:` logo is the one remote image a Mailseal mail may load.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import urlsplit

import msgspec

from mailseal.errors import InputError
from mailseal.languages import DEFAULT_LANGUAGE, checked_languages

LOGO_MAX_BYTES = 100 * 1024
LOGO_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_DATA_URL = re.compile(r"data:(image/[a-z]+);base64,([A-Za-z0-9+/=\s]+)")
_URL_UNSAFE = re.compile(r"[\s\"'<>\\`\x00-\x1f\x7f]")


class Logo(msgspec.Struct, frozen=True):
    """A logo to embed: its media type and bytes."""

    media_type: str
    data: bytes


class Branding(msgspec.Struct, frozen=True, kw_only=True):
    """What an organisation sets once for all its mails."""

    org_name: str = "Mailseal"
    logo_url: str = ""
    colour: str = "#1a56db"
    intro: str = ""
    disclaimer: str = ""
    show_subject: bool = False
    languages: tuple[str, ...] = (DEFAULT_LANGUAGE,)  # the wrapper's and message.html's; two: bilingual

    def __post_init__(self) -> None:
        checked_languages(self.languages, where="branding")
        if not _COLOUR.fullmatch(self.colour):
            raise InputError("The colour must look like #1a56db")
        if len(self.org_name) > 200 or len(self.intro) > 2000 or len(self.disclaimer) > 4000:
            raise InputError("A branding text is too long")
        if self.logo_url:
            if self.logo_url.startswith("data:"):
                embedded_logo(self.logo_url)
            elif not _is_https_url(self.logo_url):
                raise InputError("The logo must be an https: or a data:image URL")

    @property
    def remote_logo(self) -> str:
        """The https logo URL, or '' when the logo is embedded or absent."""
        return self.logo_url if self.logo_url.startswith("https:") else ""

    @property
    def button_text_colour(self) -> str:
        """Black or white, whichever reads better on the brand colour (WCAG relative luminance)."""
        channels = [int(self.colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        return "#000000" if luminance > 0.179 else "#ffffff"


def embedded_logo(logo_url: str) -> Logo | None:
    """The bytes of a `data:image/...;base64,` logo, or None for an https logo or none."""
    if not logo_url.startswith("data:"):
        return None
    match = _DATA_URL.fullmatch(logo_url)
    if match is None or match.group(1) not in LOGO_TYPES:
        raise InputError("The logo must be a PNG, JPEG, GIF or WebP data: URL in base64")
    try:
        data = base64.b64decode("".join(match.group(2).split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError("The logo's base64 is not valid") from exc
    if not data or len(data) > LOGO_MAX_BYTES:
        raise InputError("The logo must be at most 100 KiB")
    return Logo(media_type=match.group(1), data=data)


def _is_https_url(url: str) -> bool:
    if len(url) > 2000 or _URL_UNSAFE.search(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and parts.username is None
