"""The words of Mailseal's own mails and of `message.html`, in the languages the app speaks.

One JSON catalogue per language in `mail/locales/` (the same tags as the app's `pwa/locales/`). A value
is a string with named `{placeholders}`, or, for a count, an object of CLDR plural categories
(`{"one": "…", "other": "…"}`) chosen by Babel's plural rules for the language. A key missing from a
catalogue falls back to English (a test keeps every catalogue whole, so that only happens to a
half-added language). Dates go through Babel's CLDR data, so weekday and month names are the reader's.

Which language: the passcode mail speaks the one the person used when asking (the app sends its chosen
language as `Accept-Language`); the wrapper mail and `message.html` speak the organisation's, per
template (`languages = ["de", "en"]` in a template makes them bilingual, German first).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Final

from babel import Locale
from babel.dates import format_date, format_time

from mailseal.errors import ConfigError
from mailseal.languages import DEFAULT_LANGUAGE, LANGUAGES, MAX_LANGUAGES_PER_MAIL, RIGHT_TO_LEFT

_PLACEHOLDER: Final = re.compile(r"\{([a-z_]+)\}")


@cache
def catalogue(tag: str) -> dict[str, str | dict[str, str]]:
    """One language's catalogue, read once from the package."""
    if tag not in LANGUAGES:
        raise ConfigError(f"unknown language {tag!r}")
    text = resources.files("mailseal.mail").joinpath("locales", f"{tag}.json").read_text(encoding="utf-8")
    loaded: dict[str, str | dict[str, str]] = json.loads(text)
    return loaded


# Dates in English as Britain writes them ("Friday, 28 November 2025"): day before month, unambiguous.
_DATE_LOCALE: Final = {"en": "en-GB"}


@cache
def _locale(tag: str) -> Locale:
    return Locale.parse(tag, sep="-")


class Words:
    """The mail words of one language: `words.text("key", name=value)` and `words.moment(unix_seconds)`."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.direction = "rtl" if tag in RIGHT_TO_LEFT else "ltr"
        self._own = catalogue(tag)
        self._english = catalogue(DEFAULT_LANGUAGE)
        self._locale = _locale(tag)
        self._date_locale = _locale(_DATE_LOCALE.get(tag, tag))

    def text(self, key: str, **values: str | int) -> str:
        """The text for `key` with its placeholders filled (`count` chooses among plural forms)."""
        entry = self._own.get(key, self._english.get(key))
        locale = self._locale
        if entry is None:
            raise KeyError(key)
        if isinstance(entry, dict):
            count = values.get("count")
            if not isinstance(count, int):
                raise TypeError(f"{key} needs an integer count")
            if key not in self._own:
                locale = _locale(DEFAULT_LANGUAGE)
            entry = entry.get(locale.plural_form(count)) or entry["other"]
        return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), entry)

    def markup(self, key: str, *, bold: bool = True, **values: str) -> str:
        """The text of `key` as HTML: escaped, each placeholder's value isolated in `<bdi>` (a Latin subject
        keeps its order inside Arabic words, and the other way round) and, unless `bold` is off, in bold."""
        text = html.escape(self.text(key, **{name: f"\x00{name}\x00" for name in values}), quote=True)
        for name, value in values.items():
            isolated = f"<bdi>{html.escape(value, quote=True)}</bdi>"
            text = text.replace(f"\x00{name}\x00", f"<strong>{isolated}</strong>" if bold else isolated)
        return text

    def moment(self, unix_seconds: int) -> str:
        """A moment in UTC, in the reader's words: unambiguous, no clock of the reader needed."""
        moment = datetime.fromtimestamp(unix_seconds, UTC)
        return self.text(
            "expiry_moment",
            date=format_date(moment, "full", locale=self._date_locale),
            time=format_time(moment, "HH:mm", tzinfo=UTC, locale=self._date_locale),
        )


@cache
def words(tag: str) -> Words:
    return Words(tag)


def words_of(languages: Sequence[str]) -> list[Words]:
    """The words of a mail's languages: one or two known ones, in order, repeats dropped; else English."""
    known = [words(tag) for tag in dict.fromkeys(languages) if tag in LANGUAGES][:MAX_LANGUAGES_PER_MAIL]
    return known or [words(DEFAULT_LANGUAGE)]


def placeholders(value: str | dict[str, str]) -> set[str]:
    """The placeholder names a catalogue value uses (every plural form counted): for the tests."""
    forms = value.values() if isinstance(value, dict) else [value]
    return {name for form in forms for name in _PLACEHOLDER.findall(form)}
