"""Patterns from the rules file, compiled once at load and matched in linear time.

Every pattern an administrator writes (regular expressions, address wildcards, words) runs on text that
an outsider controls, so all of them are compiled with RE2, whose matching time is linear in the text:
no pattern can make a crafted subject or body take minutes (ReDoS). RE2 has no backreferences and no
look-around; such patterns are refused at load with the reason.
"""

from __future__ import annotations

from typing import Any, Final

import re2

MAX_PATTERN_CHARS: Final = 500
# RE2 keeps a compiled program within this budget; a pattern that needs more is refused at load.
MAX_PATTERN_MEMORY: Final = 4 * 1024 * 1024

# A "word" character for the edges of `*_contains` phrases: any letter, digit or underscore, in any script.
_WORD_CHAR: Final = r"[\pL\pN_]"
_NOT_WORD_CHAR: Final = r"[^\pL\pN_]"


class PatternError(ValueError):
    """A pattern the rules file may not use; the message is the reason, for the admin."""


def _options(*, case_sensitive: bool) -> Any:
    options = re2.Options()
    options.case_sensitive = case_sensitive
    options.log_errors = False
    options.max_mem = MAX_PATTERN_MEMORY
    return options


def _compile(pattern: str, *, case_sensitive: bool = False) -> Any:
    try:
        return re2.compile(pattern, _options(case_sensitive=case_sensitive))
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "not a valid pattern"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(f"{reason} (patterns use RE2 syntax: no backreferences or look-around)") from exc


def encode(text: str) -> bytes:
    """Text as the UTF-8 bytes every matcher reads; lone surrogates from broken mail become '?'."""
    return text.encode("utf-8", "replace")


class Regex:
    """A regular expression from the rules file: case-insensitive unless it says `(?-i)`."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        if len(source) > MAX_PATTERN_CHARS:
            raise PatternError(f"the pattern is {len(source)} characters long; at most {MAX_PATTERN_CHARS} are allowed")
        if not source:
            raise PatternError("the pattern is empty")
        self.source = source
        self._compiled = _compile(source)

    def search(self, text: bytes) -> bool:
        return self._compiled.search(text) is not None


class Phrase:
    """A word or phrase for `*_contains`: case-insensitive, whole words, any run of spaces between words.

    "secure" matches "[SECURE] report" but not "insecure"; "[secure]" matches "[secure]" anywhere.
    """

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        words = source.split()
        if not words:
            raise PatternError("a word or phrase may not be empty")
        if len(source) > MAX_PATTERN_CHARS:
            raise PatternError(f"the phrase is {len(source)} characters long; at most {MAX_PATTERN_CHARS} are allowed")
        body = r"\s+".join(re2.escape(word) for word in words)
        head = f"(?:^|{_NOT_WORD_CHAR})" if _is_word_char(source.strip()[0]) else ""
        tail = f"(?:{_NOT_WORD_CHAR}|$)" if _is_word_char(source.strip()[-1]) else ""
        self.source = source
        self._compiled = _compile(f"{head}{body}{tail}")

    def search(self, text: bytes) -> bool:
        return self._compiled.search(text) is not None


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


class AddressPattern:
    """An address with shell-style wildcards (`*` any run, `?` one character), case-insensitive, whole address."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        text = source.strip()
        if not text:
            raise PatternError("an address pattern may not be empty")
        if len(text) > MAX_PATTERN_CHARS:
            raise PatternError(f"the address pattern is longer than {MAX_PATTERN_CHARS} characters")
        if "@" not in text:
            raise PatternError(f"'{text}' has no '@'; use *_domain for a whole domain, or '*@{text}'")
        if any(char.isspace() for char in text):
            raise PatternError(f"'{text}' contains a space")
        parts = []
        for char in text:
            if char == "*":
                parts.append(".*")
            elif char == "?":
                parts.append(".")
            else:
                parts.append(re2.escape(char))
        self.source = text
        self._compiled = _compile("".join(parts))

    def matches(self, address: str) -> bool:
        return self._compiled.fullmatch(encode(address)) is not None


class DomainPattern:
    """A domain: `partner.com` is that domain only, `*.partner.com` any of its subdomains (not itself)."""

    __slots__ = ("_base", "_subdomains", "source")

    def __init__(self, source: str) -> None:
        text = source.strip().lower().rstrip(".")
        subdomains = text.startswith("*.")
        base = text[2:] if subdomains else text
        if not base:
            raise PatternError("a domain may not be empty")
        if "@" in base:
            raise PatternError(f"'{source}' is not a domain; write it without '@' (e.g. 'partner.com')")
        if "*" in base or any(char.isspace() for char in base) or base.startswith(".") or ".." in base:
            raise PatternError(f"'{source}' is not a domain; only a leading '*.' wildcard is allowed")
        if len(base) > 253:
            raise PatternError(f"'{source}' is longer than a domain can be")
        self.source = text
        self._base = base
        self._subdomains = subdomains

    def matches(self, domain: str) -> bool:
        domain = domain.lower().rstrip(".")
        if self._subdomains:
            return domain.endswith("." + self._base)
        return domain == self._base


def domain_of(address: str) -> str:
    """The domain of an address (after the last '@'), lower-case, or '' when there is none."""
    address = normalise_address(address)
    return address.rpartition("@")[2].rstrip(".") if "@" in address else ""


def normalise_address(address: str) -> str:
    """An envelope address as rules compare it: trimmed, without angle brackets, lower-case."""
    text = address.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    return text.lower()
