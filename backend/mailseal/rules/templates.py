"""Protection templates: the rights and expiry a sealed message carries, and the wrapper's branding.

Two are built in (`encrypt-only`, `do-not-forward`, as in Office 365 Message Encryption); the rules file
may add its own under `[templates.NAME]`. Templates are compared by how much they restrict, so that a
later matching rule can only ever make the protection stronger (see docs/rules.md).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import urlsplit

import msgspec

ENCRYPT_ONLY: Final = "encrypt-only"
DO_NOT_FORWARD: Final = "do-not-forward"

# Every right a recipient may hold, in the order they are shown.
RIGHTS: Final = ("view", "reply", "reply-all", "forward", "print", "copy", "extract")

MAX_EXPIRES_DAYS: Final = 3650
MAX_TEXT_CHARS: Final = 2000
MAX_LOGO_DATA_BYTES: Final = 100 * 1024
MAX_LOGO_URL_CHARS: Final = 2048
LOGO_DATA_TYPES: Final = ("image/png", "image/jpeg", "image/gif", "image/webp")

_TEMPLATE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


class Template(msgspec.Struct, frozen=True, kw_only=True):
    """What sealing under this template grants each recipient, how long, and how the wrapper looks."""

    name: str
    rights: tuple[str, ...]
    expires_days: int | None = None
    logo_url: str = ""
    colour: str = ""
    intro: str = ""
    disclaimer: str = ""
    show_subject: bool = True
    languages: tuple[str, ...] = ()  # the wrapper's and message.html's; two: bilingual; none: the setting's
    builtin: bool = False

    def allows(self, right: str) -> bool:
        return right in self.rights

    def describe(self) -> str:
        """One line for people: "'do-not-forward' (rights: view, reply, reply-all; no expiry)"."""
        expiry = f"expires after {self.expires_days} days" if self.expires_days else "no expiry"
        return f"'{self.name}' (rights: {', '.join(self.rights)}; {expiry})"


BUILTIN_TEMPLATES: Final = {
    ENCRYPT_ONLY: Template(name=ENCRYPT_ONLY, rights=RIGHTS, builtin=True),
    DO_NOT_FORWARD: Template(name=DO_NOT_FORWARD, rights=("view", "reply", "reply-all"), builtin=True),
}


def is_stronger(candidate: Template | None, current: Template | None) -> bool:
    """Whether `candidate` restricts strictly more than `current` (None means "not sealed").

    Sealing beats not sealing. Between templates: no right that `current` withholds, and an expiry no
    later, and different in one of the two. Branding does not count. Templates that each restrict
    something the other allows are not comparable: neither is stronger.
    """
    if candidate is None:
        return False
    if current is None:
        return True
    rights_ok = set(candidate.rights) <= set(current.rights)
    expiry_ok = _expiry(candidate) <= _expiry(current)
    differs = set(candidate.rights) != set(current.rights) or _expiry(candidate) != _expiry(current)
    return rights_ok and expiry_ok and differs


def _expiry(template: Template) -> float:
    return float(template.expires_days) if template.expires_days else float("inf")


def check_template_name(name: str) -> str | None:
    """The reason a template name is refused, or None."""
    if name in BUILTIN_TEMPLATES:
        return f"'{name}' is a built-in template and cannot be redefined; give yours another name"
    if not _TEMPLATE_NAME.fullmatch(name):
        return (
            f"'{name}' is not a valid template name: use 1-64 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return None


def canonical_rights(rights: Iterable[str]) -> tuple[tuple[str, ...], str | None]:
    """Rights in the canonical order, and the reason they are refused (None when they are fine)."""
    given = [right.strip().lower() for right in rights]
    unknown = [right for right in given if right not in RIGHTS]
    if unknown:
        return (), f"unknown right '{unknown[0]}' (rights are: {', '.join(RIGHTS)})"
    if "view" not in given:
        return (), "rights must include 'view' (a recipient who cannot view cannot read the message)"
    return tuple(right for right in RIGHTS if right in given), None


def check_logo_url(url: str) -> str | None:
    """The reason a logo URL is refused, or None: only https URLs and small raster `data:` images."""
    if not url:
        return None
    if url.startswith("data:"):
        header, sep, data = url[5:].partition(",")
        media_type, _, encoding = header.partition(";")
        if not sep or encoding != "base64" or media_type.lower() not in LOGO_DATA_TYPES:
            kinds = " | ".join(LOGO_DATA_TYPES)
            return f"a data: logo must be data:<{kinds}>;base64,<data> (not SVG: it can carry script)"
        try:
            decoded = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return "the data: logo is not valid base64"
        if len(decoded) > MAX_LOGO_DATA_BYTES:
            return f"the data: logo is {len(decoded)} bytes; at most {MAX_LOGO_DATA_BYTES} are allowed"
        return None
    if len(url) > MAX_LOGO_URL_CHARS:
        return f"the logo URL is longer than {MAX_LOGO_URL_CHARS} characters"
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or any(char.isspace() or ord(char) < 32 for char in url):
        return "the logo URL must be an https:// URL or a data: image"
    return None


def check_colour(colour: str) -> str | None:
    if colour and not _COLOUR.fullmatch(colour):
        return f"colour '{colour}' must be written #rgb or #rrggbb"
    return None


def check_text(field: str, text: str) -> str | None:
    """Intro and disclaimer are plain text shown in the wrapper mail: bounded, no control characters."""
    if len(text) > MAX_TEXT_CHARS:
        return f"{field} is {len(text)} characters long; at most {MAX_TEXT_CHARS} are allowed"
    if any(ord(char) < 32 and char not in "\n\t" for char in text):
        return f"{field} contains a control character"
    return None
