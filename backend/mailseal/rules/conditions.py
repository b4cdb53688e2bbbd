"""Conditions and exceptions: the TOML table that names them, and the tests they compile to.

One `Condition` per key of a `conditions` or `exceptions` table (one per header under `header_matches`).
A rule matches when all its conditions hold and none of its exceptions does. Each test answers with a
line for people; lines name rule values, addresses and header names, never subject or body text.
"""

from __future__ import annotations

import copy
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, TypeVar

import msgspec

from mailseal.rules.facts import MAX_BODY_CHARS, MAX_HEADER_CHARS, MailFacts
from mailseal.rules.patterns import (
    AddressPattern,
    DomainPattern,
    PatternError,
    Phrase,
    Regex,
    domain_of,
    encode,
    normalise_address,
)

MAX_LIST_ITEMS: Final = 1000
MAX_HEADER_NAMES: Final = 50

_HEADER_NAME = re.compile(r"[!-9;-~]{1,200}")  # RFC 5322 field name: printable ASCII except ':'
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*", re.IGNORECASE)
_UNITS: Final = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}

Strings = str | list[str]
T = TypeVar("T")


class ConditionsSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A `conditions` or `exceptions` table as written in the rules file; the order is the test order."""

    sender_address: Strings | None = None
    sender_domain: Strings | None = None
    recipient_address: Strings | None = None
    recipient_domain: Strings | None = None
    recipient_outside_organisation: bool | None = None
    subject_contains: Strings | None = None
    subject_matches: Strings | None = None
    header_matches: dict[str, Any] | None = None  # values checked in _headers, to name the header
    attachment_extensions: Strings | None = None
    size_over: int | str | None = None
    body_contains: Strings | None = None
    body_matches: Strings | None = None


CONDITION_KINDS: Final = tuple(field.name for field in msgspec.structs.fields(ConditionsSpec))


class ConditionError(ValueError):
    """A condition the rules file may not use; `key` is where (e.g. `header_matches.Sensitivity`)."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(reason)
        self.key = key
        self.reason = reason


class Context:
    """One mail's facts as every condition reads them: normalised once, encoded for RE2 once.

    `for_recipient` gives a view with one recipient that shares the results of the conditions that do
    not look at recipients, so evaluating each recipient on its own does not scan the body again.
    """

    def __init__(self, facts: MailFacts, org_domains: Sequence[str]) -> None:
        self.facts = facts
        self.sender = normalise_address(facts.sender)
        self.recipients = tuple(normalise_address(address) for address in facts.recipients)
        self.org_domain_names = tuple(domain.strip().lower() for domain in org_domains if domain.strip())
        org: list[DomainPattern] = []
        for domain in self.org_domain_names:
            try:
                org.append(DomainPattern(domain))
            except PatternError:
                continue  # a bad org domain only makes more recipients "outside": more mail sealed
        self.org_domains = tuple(org)
        self.subject = encode(facts.subject[:MAX_HEADER_CHARS])
        self.body = encode(facts.body_text[:MAX_BODY_CHARS])
        self._shared: dict[int, tuple[bool, str]] = {}

    def for_recipient(self, address: str) -> Context:
        view = copy.copy(self)  # shallow: the encoded texts and `_shared` results are shared
        view.recipients = (address,)
        return view

    def check(self, condition: Condition) -> tuple[bool, str]:
        """`condition.test`, remembered for conditions that give the same answer for every recipient."""
        if condition.per_recipient:
            return condition.test(self)
        key = id(condition)
        if key not in self._shared:
            self._shared[key] = condition.test(self)
        return self._shared[key]

    def is_inside(self, address: str) -> bool:
        domain = domain_of(address)
        return bool(domain) and any(pattern.matches(domain) for pattern in self.org_domains)


class Condition(ABC):
    """One test of a mail; `kind` is its key in the rules file."""

    kind: str
    per_recipient: bool = False  # whether the answer depends on which recipients are considered

    @abstractmethod
    def test(self, ctx: Context) -> tuple[bool, str]:
        """Whether the mail meets the condition, and a line saying why."""


def _quoted(values: Iterable[str], limit: int = 3) -> str:
    items = list(values)
    shown = ", ".join(f"'{value}'" for value in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


class AddressCondition(Condition):
    def __init__(self, kind: str, patterns: Sequence[AddressPattern]) -> None:
        self.kind = kind
        self.per_recipient = kind.startswith("recipient")
        self.patterns = tuple(patterns)

    def test(self, ctx: Context) -> tuple[bool, str]:
        role = "sender" if self.kind.startswith("sender") else "recipient"
        addresses = (ctx.sender,) if role == "sender" else ctx.recipients
        for address in addresses:
            for pattern in self.patterns:
                if pattern.matches(address):
                    return True, f"{role} {address} matches '{pattern.source}'"
        if role == "sender":
            return False, f"sender {ctx.sender or '<>'} matches none of {_quoted(p.source for p in self.patterns)}"
        return False, f"no recipient matches {_quoted(p.source for p in self.patterns)}"


class DomainCondition(Condition):
    def __init__(self, kind: str, patterns: Sequence[DomainPattern]) -> None:
        self.kind = kind
        self.per_recipient = kind.startswith("recipient")
        self.patterns = tuple(patterns)

    def test(self, ctx: Context) -> tuple[bool, str]:
        role = "sender" if self.kind.startswith("sender") else "recipient"
        addresses = (ctx.sender,) if role == "sender" else ctx.recipients
        for address in addresses:
            domain = domain_of(address)
            for pattern in self.patterns:
                if domain and pattern.matches(domain):
                    return True, f"{role} {address} is in domain '{pattern.source}'"
        if role == "sender":
            return False, f"sender {ctx.sender or '<>'} is in none of {_quoted(p.source for p in self.patterns)}"
        return False, f"no recipient is in {_quoted(p.source for p in self.patterns)}"


class OutsideOrganisation(Condition):
    kind = "recipient_outside_organisation"
    per_recipient = True

    def test(self, ctx: Context) -> tuple[bool, str]:
        org = " or ".join(ctx.org_domain_names) or "the organisation (no organisation domains are set)"
        for address in ctx.recipients:
            if not ctx.is_inside(address):
                return True, f"recipient {address} is outside {org}"
        if not ctx.recipients:
            return False, "the mail has no recipients"
        return False, f"every recipient is inside {org}"


class TextCondition(Condition):
    """`*_contains` (phrases) and `*_matches` (patterns) on the subject or the body: any one may hit."""

    def __init__(self, kind: str, searches: Sequence[Phrase | Regex]) -> None:
        self.kind = kind
        self.searches = tuple(searches)

    def test(self, ctx: Context) -> tuple[bool, str]:
        where = "subject" if self.kind.startswith("subject") else "body"
        text = ctx.subject if where == "subject" else ctx.body
        contains = self.kind.endswith("_contains")
        for search in self.searches:
            if search.search(text):
                return True, f"{where} contains '{search.source}'" if contains else (
                    f"{where} matches pattern '{search.source}'")
        listed = _quoted(s.source for s in self.searches)
        return False, f"{where} contains none of {listed}" if contains else (
            f"{where} matches none of the patterns {listed}")


class HeaderCondition(Condition):
    kind = "header_matches"

    def __init__(self, header: str, patterns: Sequence[Regex]) -> None:
        self.header = header
        self.patterns = tuple(patterns)

    def test(self, ctx: Context) -> tuple[bool, str]:
        values = [encode(value[:MAX_HEADER_CHARS]) for value in ctx.facts.header_values(self.header)]
        for value in values:
            for pattern in self.patterns:
                if pattern.search(value):
                    return True, f"header {self.header} matches pattern '{pattern.source}'"
        if not values:
            return False, f"there is no {self.header} header"
        return False, f"header {self.header} matches none of the patterns {_quoted(p.source for p in self.patterns)}"


class AttachmentCondition(Condition):
    kind = "attachment_extensions"

    def __init__(self, extensions: Sequence[str]) -> None:
        self.extensions = tuple(extensions)

    def test(self, ctx: Context) -> tuple[bool, str]:
        for name in ctx.facts.attachment_names:
            lowered = name.strip().lower()
            for extension in self.extensions:
                if lowered.endswith("." + extension):
                    return True, f"an attachment has extension .{extension}"
        if not ctx.facts.attachment_names:
            return False, "the mail has no named attachments"
        return False, f"no attachment has extension {_quoted('.' + e for e in self.extensions)}"


class SizeCondition(Condition):
    kind = "size_over"

    def __init__(self, limit: int, written: str) -> None:
        self.limit = limit
        self.written = written

    def test(self, ctx: Context) -> tuple[bool, str]:
        over = ctx.facts.size > self.limit
        verb = "is over" if over else "is not over"
        return over, f"size {ctx.facts.size} bytes {verb} {self.written} ({self.limit} bytes)"


def parse_size(value: int | str) -> int:
    """Bytes from `5242880`, `"5MB"`, `"5 MiB"`, `"1.5G"`: K, M and G count in 1024s, as mail servers do."""
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a size cannot be negative")
        return value
    found = _SIZE.fullmatch(value)
    if not found:
        raise ValueError(f"'{value}' is not a size: write bytes (5242880) or a number and unit ('5MB', '500 KB')")
    unit = (found.group(2) or "").lower()[:1]
    return int(float(found.group(1)) * _UNITS[unit])


def _strings(kind: str, value: Strings) -> list[str]:
    items = [value] if isinstance(value, str) else list(value)
    if not items:
        raise ConditionError(kind, f"{kind} is an empty list; it would never match")
    if len(items) > MAX_LIST_ITEMS:
        raise ConditionError(kind, f"{kind} has {len(items)} entries; at most {MAX_LIST_ITEMS} are allowed")
    return items


def _each(kind: str, value: Strings, make: Callable[[str], T]) -> list[T]:
    out = []
    for item in _strings(kind, value):
        try:
            out.append(make(item))
        except PatternError as exc:
            raise ConditionError(kind, f"{kind}: {exc}") from exc
    return out


def build_conditions(spec: ConditionsSpec) -> tuple[Condition, ...]:
    """Compile a conditions table in the order of `CONDITION_KINDS`; raises `ConditionError`."""
    out: list[Condition] = []
    if spec.sender_address is not None:
        out.append(AddressCondition("sender_address", _each("sender_address", spec.sender_address, AddressPattern)))
    if spec.sender_domain is not None:
        out.append(DomainCondition("sender_domain", _each("sender_domain", spec.sender_domain, DomainPattern)))
    if spec.recipient_address is not None:
        patterns = _each("recipient_address", spec.recipient_address, AddressPattern)
        out.append(AddressCondition("recipient_address", patterns))
    if spec.recipient_domain is not None:
        out.append(DomainCondition("recipient_domain", _each("recipient_domain", spec.recipient_domain, DomainPattern)))
    if spec.recipient_outside_organisation is not None:
        if not spec.recipient_outside_organisation:
            raise ConditionError(
                "recipient_outside_organisation",
                "recipient_outside_organisation can only be true; to match mail whose recipients are all "
                "inside, put recipient_outside_organisation = true under exceptions",
            )
        out.append(OutsideOrganisation())
    if spec.subject_contains is not None:
        out.append(TextCondition("subject_contains", _each("subject_contains", spec.subject_contains, Phrase)))
    if spec.subject_matches is not None:
        out.append(TextCondition("subject_matches", _each("subject_matches", spec.subject_matches, Regex)))
    if spec.header_matches is not None:
        out.extend(_headers(spec.header_matches))
    if spec.attachment_extensions is not None:
        out.append(AttachmentCondition(_extensions(_strings("attachment_extensions", spec.attachment_extensions))))
    if spec.size_over is not None:
        try:
            out.append(SizeCondition(parse_size(spec.size_over), str(spec.size_over)))
        except ValueError as exc:
            raise ConditionError("size_over", f"size_over: {exc}") from exc
    if spec.body_contains is not None:
        out.append(TextCondition("body_contains", _each("body_contains", spec.body_contains, Phrase)))
    if spec.body_matches is not None:
        out.append(TextCondition("body_matches", _each("body_matches", spec.body_matches, Regex)))
    return tuple(out)


def _headers(table: dict[str, Any]) -> list[Condition]:
    if not table:
        raise ConditionError("header_matches", "header_matches is an empty table; it would never match")
    if len(table) > MAX_HEADER_NAMES:
        raise ConditionError("header_matches", f"header_matches names more than {MAX_HEADER_NAMES} headers")
    out: list[Condition] = []
    for name, patterns in table.items():
        key = f"header_matches.{name}"
        if not _HEADER_NAME.fullmatch(name):
            raise ConditionError(key, f"'{name}' is not a header name")
        if not isinstance(patterns, str | list) or not all(isinstance(item, str) for item in patterns):
            raise ConditionError(key, f"header_matches: {name} must be a pattern or a list of patterns")
        out.append(HeaderCondition(name, _each(key, patterns, Regex)))
    return out


def _extensions(values: list[str]) -> list[str]:
    out = []
    for value in values:
        extension = value.strip().lower().lstrip(".")
        if not extension or any(char in extension for char in "/\\*? "):
            raise ConditionError("attachment_extensions", f"'{value}' is not a file extension (write e.g. \"pdf\")")
        out.append(extension)
    return out
