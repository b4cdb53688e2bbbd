"""Mail flow rules: which outgoing mail is sealed, under which template, and why.

Pure, except `load_rules_file` and `RulesFile`, which read `<data>/rules.toml`. The file format, the
evaluation order and every condition are documented in docs/rules.md.
"""

from mailseal.errors import RulesError
from mailseal.rules.evaluate import Decision, evaluate, explain
from mailseal.rules.facts import MAX_BODY_CHARS, MailFacts, facts_from_message
from mailseal.rules.parse import parse_rules
from mailseal.rules.rules_file import RULES_FILE_NAME, RulesFile, example_rules_text, load_rules_file
from mailseal.rules.ruleset import EMPTY_RULES, Rule, RuleSet
from mailseal.rules.templates import (
    BUILTIN_TEMPLATES,
    DO_NOT_FORWARD,
    ENCRYPT_ONLY,
    RIGHTS,
    Template,
    is_stronger,
)

__all__ = [
    "BUILTIN_TEMPLATES",
    "DO_NOT_FORWARD",
    "EMPTY_RULES",
    "ENCRYPT_ONLY",
    "MAX_BODY_CHARS",
    "RIGHTS",
    "RULES_FILE_NAME",
    "Decision",
    "MailFacts",
    "Rule",
    "RuleSet",
    "RulesError",
    "RulesFile",
    "Template",
    "evaluate",
    "example_rules_text",
    "explain",
    "facts_from_message",
    "is_stronger",
    "load_rules_file",
    "parse_rules",
]
