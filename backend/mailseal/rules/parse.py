"""The rules file: TOML text to a compiled `RuleSet`, or a `RulesError` that names the line and the reason.

Tables are converted with msgspec into Structs that forbid unknown keys; every pattern is compiled here,
at load, so a rule set that loads can always be evaluated. The first problem found is reported.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any, Final, TypeVar

import msgspec

from mailseal.errors import ConfigError, RulesError
from mailseal.languages import checked_languages
from mailseal.rules.conditions import Condition, ConditionError, ConditionsSpec, build_conditions
from mailseal.rules.locate import KeyLines, KeyPath
from mailseal.rules.ruleset import Rule, RuleSet
from mailseal.rules.templates import (
    BUILTIN_TEMPLATES,
    MAX_EXPIRES_DAYS,
    Template,
    canonical_rights,
    check_colour,
    check_logo_url,
    check_template_name,
    check_text,
)

S = TypeVar("S", bound=msgspec.Struct)

FORMAT_VERSION: Final = 1
MAX_RULES_FILE_CHARS: Final = 1024 * 1024
MAX_RULES: Final = 500
MAX_TEMPLATES: Final = 100
MAX_NAME_CHARS: Final = 200


class ActionSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    seal: str | bool


class RuleSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One `[[rule]]` table as written."""

    name: str
    priority: int
    action: ActionSpec
    enabled: bool = True
    stop: bool = True
    description: str = ""
    conditions: ConditionsSpec = msgspec.field(default_factory=ConditionsSpec)
    exceptions: ConditionsSpec = msgspec.field(default_factory=ConditionsSpec)


class TemplateSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One `[templates.NAME]` table as written."""

    rights: list[str]
    expires_days: int | None = None
    logo_url: str = ""
    colour: str = ""
    intro: str = ""
    disclaimer: str = ""
    show_subject: bool = True
    languages: list[str] = msgspec.field(default_factory=list)


TOP_LEVEL_KEYS: Final = ("version", "rule", "templates")

_SPEC_AT_KEY: Final[dict[str, type[msgspec.Struct]]] = {
    "conditions": ConditionsSpec,
    "exceptions": ConditionsSpec,
    "action": ActionSpec,
}
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END = re.compile(r"\s*\(at end of document\)$")
_MSGSPEC_AT = re.compile(r"\s+- at `\$(?P<path>[^`]*)`$")
_PATH_PART = re.compile(r"\.([A-Za-z0-9_-]+)|\[(\d+|\.\.\.)\]")
_TYPE_NAMES: Final = {
    "str": "a string",
    "int": "a whole number",
    "float": "a number with a fraction",
    "bool": "true or false",
    "array": "a list",
    "object": "a table",
    "datetime": "a date-time",
    "date": "a date",
    "time": "a time",
}


class _Problem(Exception):
    """One problem at a key path, turned into a `RulesError` with its line by `parse_rules`."""

    def __init__(self, path: KeyPath, reason: str, where: str = "") -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason
        self.where = where


def parse_rules(text: str, *, source: str) -> RuleSet:
    """Compile the text of a rules file; `source` (usually the path) names it in errors."""
    if len(text) > MAX_RULES_FILE_CHARS:
        raise RulesError(f"{source}: the rules file is larger than {MAX_RULES_FILE_CHARS} characters")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(str(exc), text, source) from None
    lines = KeyLines(text)
    try:
        return _compile(document, text, source, lines)
    except _Problem as problem:
        line = lines.line_of(problem.path)
        where = f"line {line}" if line else "top level"
        prefix = f"{problem.where}: " if problem.where else ""
        raise RulesError(f"{source}, {where}: {prefix}{problem.reason}", line=line) from None


def _syntax_error(message: str, text: str, source: str) -> RulesError:
    position = _TOML_POSITION.search(message)
    if position:
        line, column = int(position.group(1)), int(position.group(2))
        reason = message[: position.start()]
        return RulesError(f"{source}, line {line}, column {column}: {reason}", line=line, column=column)
    end = _TOML_END.search(message)
    line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    reason = message[: end.start()] + " at the end of the file" if end else message
    return RulesError(f"{source}, line {line}: {reason}", line=line)


def _compile(document: dict[str, Any], text: str, source: str, lines: KeyLines) -> RuleSet:
    for key in document:
        if key not in TOP_LEVEL_KEYS:
            raise _Problem((key,), _unknown_key(key, TOP_LEVEL_KEYS))
    version = document.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise _Problem(("version",), f"version must be {FORMAT_VERSION} (this Mailseal reads rules files version 1)")
    templates = _templates(document.get("templates", {}))
    rules = _rules(document.get("rule", []), templates, lines)
    ordered = tuple(sorted(rules, key=lambda rule: rule.priority))  # sorted() is stable: ties keep file order
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]
    return RuleSet(rules=ordered, templates=MappingProxyType(templates), source=source, digest=digest)


def _templates(raw: object) -> dict[str, Template]:
    if not isinstance(raw, dict):
        raise _Problem(("templates",), "templates must be tables: write [templates.NAME] for each template")
    if len(raw) > MAX_TEMPLATES:
        raise _Problem(("templates",), f"at most {MAX_TEMPLATES} templates are allowed")
    out = dict(BUILTIN_TEMPLATES)
    for name, table in raw.items():
        path: KeyPath = ("templates", name)
        where = f"template '{name}'"
        reason = check_template_name(name)
        if reason:
            raise _Problem(path, reason, where)
        spec = _convert(table, TemplateSpec, path, where)
        rights, reason = canonical_rights(spec.rights)
        if reason:
            raise _Problem((*path, "rights"), reason, where)
        if spec.expires_days is not None and not 1 <= spec.expires_days <= MAX_EXPIRES_DAYS:
            raise _Problem((*path, "expires_days"), f"expires_days must be from 1 to {MAX_EXPIRES_DAYS}", where)
        for key, reason_or_none in (
            ("logo_url", check_logo_url(spec.logo_url)),
            ("colour", check_colour(spec.colour)),
            ("intro", check_text("intro", spec.intro)),
            ("disclaimer", check_text("disclaimer", spec.disclaimer)),
        ):
            if reason_or_none:
                raise _Problem((*path, key), reason_or_none, where)
        try:
            languages = checked_languages(spec.languages, where=where)
        except ConfigError as exc:
            raise _Problem((*path, "languages"), str(exc).removeprefix(f"{where}: "), where) from exc
        out[name] = Template(
            name=name,
            rights=rights,
            expires_days=spec.expires_days,
            logo_url=spec.logo_url,
            colour=spec.colour,
            intro=spec.intro,
            disclaimer=spec.disclaimer,
            show_subject=spec.show_subject,
            languages=languages,
        )
    return out


def _rules(raw: object, templates: dict[str, Template], lines: KeyLines) -> list[Rule]:
    if not isinstance(raw, list):
        raise _Problem(("rule",), "rules must be written [[rule]] (two brackets), one table for each rule")
    if len(raw) > MAX_RULES:
        raise _Problem(("rule",), f"at most {MAX_RULES} rules are allowed")
    seen: dict[str, str] = {}
    rules = []
    for index, table in enumerate(raw):
        path: KeyPath = ("rule", index)
        where = f"rule #{index + 1}"
        if isinstance(table, dict) and isinstance(table.get("name"), str):
            where = f"rule '{table['name']}'"
        spec = _convert(table, RuleSpec, path, where)
        name = spec.name.strip()
        if not name or len(name) > MAX_NAME_CHARS or any(ord(char) < 32 for char in name):
            raise _Problem((*path, "name"), f"a rule name must be 1-{MAX_NAME_CHARS} printable characters", where)
        if name.casefold() in seen:
            raise _Problem((*path, "name"), f"another rule is already named '{seen[name.casefold()]}'", where)
        seen[name.casefold()] = name
        if spec.priority < 0:
            raise _Problem((*path, "priority"), "priority must be 0 or more (lower runs first)", where)
        rules.append(
            Rule(
                name=name,
                priority=spec.priority,
                conditions=_conditions(spec.conditions, (*path, "conditions"), where),
                exceptions=_conditions(spec.exceptions, (*path, "exceptions"), where),
                template=_action(spec.action, templates, (*path, "action", "seal"), where),
                enabled=spec.enabled,
                stop=spec.stop,
                description=spec.description,
                line=lines.line_of(path),
            )
        )
    return rules


def _conditions(spec: ConditionsSpec, path: KeyPath, where: str) -> tuple[Condition, ...]:
    try:
        return build_conditions(spec)
    except ConditionError as exc:
        raise _Problem((*path, *exc.key.split(".", 1)), f"{path[-1]}: {exc.reason}", where) from None


def _action(spec: ActionSpec, templates: dict[str, Template], path: KeyPath, where: str) -> Template | None:
    if spec.seal is False:
        return None
    if spec.seal is True:
        raise _Problem(path, f"seal must name a template ({_names(templates)}) or be false", where)
    template = templates.get(spec.seal)
    if template is None:
        hint = difflib.get_close_matches(spec.seal, list(templates), n=1)
        guess = f" (did you mean '{hint[0]}'?)" if hint else ""
        raise _Problem(path, f"unknown template '{spec.seal}'{guess}; known: {_names(templates)}", where)
    return template


def _names(templates: dict[str, Template]) -> str:
    return ", ".join(f"'{name}'" for name in templates)


def _convert(table: object, spec: type[S], path: KeyPath, where: str) -> S:
    try:
        return msgspec.convert(table, spec)
    except msgspec.ValidationError as exc:
        at, reason = _validation_problem(str(exc), spec)
        raise _Problem((*path, *at), reason, where) from None


def _validation_problem(message: str, root: type[msgspec.Struct]) -> tuple[KeyPath, str]:
    """msgspec's "Expected `int`, got `str` - at `$.priority`" as a key path and words for admins."""
    at: KeyPath = ()
    found = _MSGSPEC_AT.search(message)
    if found:
        message = message[: found.start()]
        at = tuple(
            part.group(1) if part.group(1) else (int(part.group(2)) if part.group(2).isdigit() else "...")
            for part in _PATH_PART.finditer(found.group("path"))
        )
    unknown = re.fullmatch(r"Object contains unknown field `(.+)`", message)
    if unknown:
        key = unknown.group(1)
        return (*at, key), _unknown_key(key, _known_keys(root, at))
    missing = re.fullmatch(r"Object missing required field `(.+)`", message)
    if missing:
        return at, f"missing required key '{missing.group(1)}'"
    expected = re.fullmatch(r"Expected `(.+)`, got `(.+)`", message)
    if expected:
        wanted = [_TYPE_NAMES.get(name, name) for name in expected.group(1).split(" | ") if name != "null"]
        got = _TYPE_NAMES.get(expected.group(2), expected.group(2))
        names = [part for part in at if isinstance(part, str) and part != "..."]
        subject = (names[-1] if names else "this") + (" values" if "..." in at else "")
        return at, f"{subject} must be {' or '.join(wanted)}, not {got}"
    return at, message


def _known_keys(root: type[msgspec.Struct], at: Sequence[str | int]) -> tuple[str, ...]:
    spec = root
    for part in at:
        if isinstance(part, str) and part in _SPEC_AT_KEY:
            spec = _SPEC_AT_KEY[part]
    return tuple(field.encode_name for field in msgspec.structs.fields(spec))


def _unknown_key(key: str, known: Sequence[str]) -> str:
    hint = difflib.get_close_matches(key, list(known), n=1)
    guess = f" (did you mean '{hint[0]}'?)" if hint else ""
    return f"unknown key '{key}'{guess}; allowed here: {', '.join(known)}"
