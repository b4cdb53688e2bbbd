"""The languages Mailseal speaks, and which one a person asked for.

The same BCP 47 tags as the app's catalogues (`pwa/locales/`) and the mails' (`mail/locales/`). Kept apart
from both so that settings, templates and the API can name a language without loading any words.
"""

from __future__ import annotations

import re
from typing import Final

from mailseal.errors import ConfigError

DEFAULT_LANGUAGE: Final = "en"
# BCP 47 tags, as the app names its catalogues.
LANGUAGES: Final = ("en", "de", "fr", "es", "pt-BR", "it", "nl", "pl", "tr", "ar", "ja", "zh-Hans")
RIGHT_TO_LEFT: Final = frozenset({"ar"})
MAX_LANGUAGES_PER_MAIL: Final = 2
MAX_ACCEPT_LANGUAGE: Final = 512
MAX_ACCEPT_ENTRIES: Final = 20
_BY_LOWER: Final = {tag.lower(): tag for tag in LANGUAGES}
# A tag we do not have by that name, but whose readers read one we have.
_NEAREST: Final = {"pt": "pt-BR", "pt-pt": "pt-BR", "zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans",
                   "zh-hans-cn": "zh-Hans"}
_QUALITY: Final = re.compile(r"^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")


def supported(tag: str) -> str | None:
    """The catalogue's spelling of `tag` (`pt-br` -> `pt-BR`), or None when Mailseal does not speak it."""
    lower = tag.strip().lower().replace("_", "-")
    return _BY_LOWER.get(lower) or _NEAREST.get(lower)


def checked_languages(tags: list[str] | tuple[str, ...], *, where: str) -> tuple[str, ...]:
    """Settings' and templates' language lists: known tags, no repeats, one or two of them."""
    found: list[str] = []
    for tag in tags:
        known = supported(tag)
        if known is None:
            raise ConfigError(f"{where}: unknown language {tag!r} (known: {', '.join(LANGUAGES)})")
        if known not in found:
            found.append(known)
    if len(found) > MAX_LANGUAGES_PER_MAIL:
        raise ConfigError(f"{where}: at most {MAX_LANGUAGES_PER_MAIL} languages per mail (bilingual)")
    return tuple(found)


def negotiate(accept_language: str | None, *, default: str = DEFAULT_LANGUAGE) -> str:
    """The best language we speak from an `Accept-Language` header (RFC 9110 12.5.4), else `default`.

    Bounded: a long header is cut, at most 20 entries are read, and a malformed entry is skipped."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for position, entry in enumerate(accept_language[:MAX_ACCEPT_LANGUAGE].split(",")[:MAX_ACCEPT_ENTRIES]):
        tag, _, params = entry.strip().partition(";")
        quality = 1.0
        if params:
            match = _QUALITY.match(params.strip().replace(" ", ""))
            if match is None:
                continue
            quality = float(match.group(1))
        if quality > 0 and tag:
            ranked.append((-quality, position, tag))
    for _, _, tag in sorted(ranked):
        known = supported(tag) or supported(tag.split("-", 1)[0])
        if known is not None:
            return known
    return default
