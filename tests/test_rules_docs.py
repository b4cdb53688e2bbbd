"""The rules room's public surface is pinned, and docs/rules.md documents every key and parses."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

import mailseal.rules
from mailseal.rules import parse_rules
from mailseal.rules.conditions import ConditionsSpec
from mailseal.rules.parse import TOP_LEVEL_KEYS, ActionSpec, RuleSpec, TemplateSpec

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
PREFIX_RULE = '[[rule]]\nname = "Doc"\npriority = 1\naction = { seal = "encrypt-only" }\n'


def test_public_surface() -> None:
    assert sorted(mailseal.rules.__all__) == sorted(
        [
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
    )
    for name in mailseal.rules.__all__:
        assert hasattr(mailseal.rules, name)


@pytest.mark.parametrize("spec", [ConditionsSpec, RuleSpec, ActionSpec, TemplateSpec])
def test_every_key_is_documented(spec: type[msgspec.Struct]) -> None:
    text = DOCS.read_text(encoding="utf-8")
    for field in msgspec.structs.fields(spec):
        assert f"| `{field.encode_name}` |" in text, f"{field.encode_name} is not in a table of docs/rules.md"


def test_top_level_keys_are_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for key in TOP_LEVEL_KEYS:
        assert f"| `{key}` |" in text


def test_every_toml_example_in_the_docs_parses() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) >= 5
    for block in blocks:
        text = PREFIX_RULE + block if block.lstrip().startswith("[rule.") else block
        parse_rules(text, source="docs/rules.md")
