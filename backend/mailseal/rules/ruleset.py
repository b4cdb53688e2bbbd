"""A compiled rule set: the rules in the order they are tried, and the templates they may name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from mailseal.rules.conditions import Condition
from mailseal.rules.templates import BUILTIN_TEMPLATES, Template


@dataclass(frozen=True, slots=True)
class Rule:
    """One mail flow rule, compiled: its patterns are ready to match, its template resolved."""

    name: str
    priority: int
    conditions: tuple[Condition, ...]
    exceptions: tuple[Condition, ...]
    template: Template | None  # None: leave the mail unsealed (`seal = false`)
    enabled: bool = True
    stop: bool = True
    description: str = ""
    line: int | None = None

    @property
    def action(self) -> str:
        return f"seal with {self.template.describe()}" if self.template else "leave unsealed"


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Rules sorted by priority (ties keep file order), the templates by name, and where they came from.

    `digest` is a short SHA-256 of the file's text, so an audit line can say which rules decided.
    """

    rules: tuple[Rule, ...] = ()
    templates: Mapping[str, Template] = field(default_factory=lambda: MappingProxyType(dict(BUILTIN_TEMPLATES)))
    source: str = ""
    digest: str = ""

    def __len__(self) -> int:
        return len(self.rules)

    def rule(self, name: str) -> Rule | None:
        wanted = name.casefold()
        return next((rule for rule in self.rules if rule.name.casefold() == wanted), None)


EMPTY_RULES = RuleSet()
