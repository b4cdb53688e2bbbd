"""The rules file is refused with its line and reason: syntax, unknown keys, types, patterns, templates, names."""

from __future__ import annotations

import pytest

from mailseal.errors import ConfigError, RulesError
from mailseal.rules import parse_rules

GOOD_RULE = '[[rule]]\nname = "A"\npriority = 1\naction = { seal = "encrypt-only" }\n'


def refused(text: str) -> RulesError:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, source="rules.toml")
    return caught.value


def test_rules_error_is_a_config_error_with_a_stable_code() -> None:
    error = refused("x = [")
    assert isinstance(error, ConfigError)
    assert error.code == "rules.invalid"


def test_syntax_error_names_line_and_column() -> None:
    error = refused('version = 1\n\n[[rule]]\nname = "unterminated\npriority = 1\n')
    assert (error.line, error.column) == (4, 21)
    assert error.detail.startswith("rules.toml, line 4, column 21: ")


def test_syntax_error_at_the_end_of_the_file() -> None:
    error = refused("[[rule]]\nname = [1,\n")
    assert error.line == 2
    assert "at the end of the file" in error.detail


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("rules = []\n", 1, "unknown key 'rules' (did you mean 'rule'?)"),
        (
            GOOD_RULE + '[[rule]]\nname = "B"\npriority = 2\naction = { seal = false }\n'
            '[rule.conditions]\nsubject_contains = "x"\n\nsubjet_matches = "y"\n',
            12,
            "rule 'B': unknown key 'subjet_matches' (did you mean 'subject_matches'?)",
        ),
        (
            '[[rule]]\nname = "A"\npriority = 1\nconditions = { recipient_outside_organization = true }\n'
            'action = { seal = "encrypt-only" }\n',
            4,
            "unknown key 'recipient_outside_organization' (did you mean 'recipient_outside_organisation'?)",
        ),
        (GOOD_RULE + "colour = 1\n", 5, "rule 'A': unknown key 'colour'"),
        ('[[rule]]\nname = "A"\npriority = 1\naction = { seal = "encrypt-only", template = "x" }\n', 4, "'template'"),
        ("[templates.brand]\nrights = ['view']\ncolor = '#fff'\n", 3, "unknown key 'color' (did you mean 'colour'?)"),
    ],
)
def test_unknown_keys_are_refused_with_their_line(text: str, line: int, reason: str) -> None:
    error = refused(text)
    assert error.line == line
    assert f"rules.toml, line {line}: " in error.detail
    assert reason in error.detail


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (
            '[[rule]]\nname = "A"\npriority = "1"\naction = { seal = false }\n',
            3,
            "priority must be a whole number, not a string",
        ),
        ('[[rule]]\nname = "A"\npriority = true\naction = { seal = false }\n', 3, "not true or false"),
        (
            '[[rule]]\nname = "A"\npriority = 1\nstop = "no"\naction = { seal = false }\n',
            4,
            "stop must be true or false",
        ),
        ('[[rule]]\nname = "A"\naction = { seal = false }\n', 1, "rule 'A': missing required key 'priority'"),
        ('[[rule]]\nname = "A"\npriority = 1\n', 1, "missing required key 'action'"),
        ("[[rule]]\npriority = 1\naction = { seal = false }\n", 1, "rule #1: missing required key 'name'"),
        ("[rule]\nname = 'A'\n", 1, "rules must be written [[rule]]"),
        ("version = 2\n", 1, "version must be 1"),
        (
            GOOD_RULE + "[rule.conditions]\nsubject_contains = [1]\n",
            6,
            "subject_contains must be a string, not a whole number",
        ),
        (
            GOOD_RULE + "[rule.conditions.header_matches]\nSensitivity = 3\n",
            6,
            "header_matches: Sensitivity must be a pattern or a list of patterns",
        ),
        (GOOD_RULE + "conditions = 'x'\n", 5, "conditions must be a table, not a string"),
        (GOOD_RULE.replace("priority = 1", "priority = -1"), 3, "priority must be 0 or more"),
        (GOOD_RULE.replace('"A"', '""'), 2, "a rule name must be"),
    ],
)
def test_wrong_types_and_values_are_refused_with_their_line(text: str, line: int, reason: str) -> None:
    error = refused(text)
    assert error.line == line, error.detail
    assert reason in error.detail


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ('subject_matches = "(unclosed"', "subject_matches: missing )"),
        ('body_matches = "(?<=a)b"', "RE2 syntax: no backreferences or look-around"),
        (r'body_matches = "(a)\\1"', "invalid escape sequence"),
        ('body_matches = ""', "the pattern is empty"),
        ('subject_matches = "a{1001}"', "invalid repetition size"),
        ("subject_matches = '" + "a" * 501 + "'", "the pattern is 501 characters long; at most 500 are allowed"),
        ("subject_contains = []", "subject_contains is an empty list"),
        ('subject_contains = " "', "a word or phrase may not be empty"),
        ('sender_address = "partner.com"', "has no '@'; use *_domain for a whole domain"),
        ('recipient_domain = "@partner.com"', "write it without '@'"),
        ('recipient_domain = "part*ner.com"', "only a leading '*.' wildcard is allowed"),
        ("recipient_outside_organisation = false", "can only be true"),
        ('header_matches = { "Bad Name" = "x" }', "'Bad Name' is not a header name"),
        ("header_matches = {}", "header_matches is an empty table"),
        ('attachment_extensions = ["*.pdf"]', "is not a file extension"),
        ('size_over = "5 parsecs"', "'5 parsecs' is not a size"),
        ("size_over = -1", "a size cannot be negative"),
    ],
)
def test_bad_patterns_and_values_in_conditions_are_refused(condition: str, reason: str) -> None:
    text = GOOD_RULE + "\n[rule.exceptions]\nsubject_contains = 'ok'\n\n[rule.conditions]\n" + condition + "\n"
    error = refused(text)
    assert error.line == 10, error.detail
    assert "rule 'A': conditions: " in error.detail
    assert reason in error.detail


def test_a_bad_pattern_in_exceptions_names_exceptions() -> None:
    error = refused(GOOD_RULE + "exceptions = { body_matches = '[z-a]' }\n")
    assert error.line == 5
    assert "rule 'A': exceptions: body_matches: " in error.detail


@pytest.mark.parametrize(
    ("seal", "reason"),
    [
        ('"do-not-forwrd"', "unknown template 'do-not-forwrd' (did you mean 'do-not-forward'?)"),
        ('"secret"', "unknown template 'secret'; known: 'encrypt-only', 'do-not-forward'"),
        ("true", "seal must name a template"),
        ("1", "seal must be true or false or a string, not a whole number"),
    ],
)
def test_unknown_template_is_refused(seal: str, reason: str) -> None:
    error = refused(f'\n[[rule]]\nname = "A"\npriority = 1\naction = {{ seal = {seal} }}\n')
    assert error.line == 5
    assert reason in error.detail


@pytest.mark.parametrize(
    ("template", "line", "reason"),
    [
        ("[templates.encrypt-only]\nrights = ['view']\n", 1, "'encrypt-only' is a built-in template"),
        ("[templates.'Has Space']\nrights = ['view']\n", 1, "is not a valid template name"),
        ("[templates.x]\nexpires_days = 3\n", 1, "missing required key 'rights'"),
        ("[templates.x]\nrights = ['view', 'fly']\n", 2, "unknown right 'fly'"),
        ("[templates.x]\nrights = ['reply']\n", 2, "rights must include 'view'"),
        ("[templates.x]\nrights = ['view']\nexpires_days = 0\n", 3, "expires_days must be from 1 to 3650"),
        ("[templates.x]\nrights = ['view']\nlogo_url = 'http://x.example/l.png'\n", 3, "must be an https:// URL"),
        ("[templates.x]\nrights = ['view']\nlogo_url = 'javascript:alert(1)'\n", 3, "must be an https:// URL"),
        ("[templates.x]\nrights = ['view']\nlogo_url = 'data:image/svg+xml;base64,PHN2Zz4='\n", 3, "not SVG"),
        ("[templates.x]\nrights = ['view']\nlogo_url = 'data:image/png;base64,@@@'\n", 3, "not valid base64"),
        ("[templates.x]\nrights = ['view']\ncolour = 'red'\n", 3, "colour 'red' must be written #rgb or #rrggbb"),
        ("[templates.x]\nrights = ['view']\nintro = \"a\\u0007b\"\n", 3, "intro contains a control character"),
        ("[templates.x]\nrights = ['view']\ndisclaimer = '" + "d" * 2001 + "'\n", 3, "at most 2000"),
        ("templates = 1\n", 1, "templates must be tables"),
    ],
)
def test_bad_templates_are_refused(template: str, line: int, reason: str) -> None:
    error = refused(template)
    assert error.line == line, error.detail
    assert reason in error.detail


def test_duplicate_rule_names_are_refused_whatever_their_case() -> None:
    text = GOOD_RULE + '\n[[rule]]\nname = " a "\npriority = 2\naction = { seal = false }\n'
    error = refused(text)
    assert error.line == 7
    assert "another rule is already named 'A'" in error.detail


def test_lines_are_found_for_the_right_rule_among_many() -> None:
    rules = "".join(
        f'[[rule]]\nname = "R{i}"\npriority = {i}\naction = {{ seal = "encrypt-only" }}\n\n' for i in range(5)
    )
    text = rules + '[[rule]]\nname = "Bad"\npriority = 9\n\n[rule.action]\nseal = "nope"\n'
    error = refused(text)
    assert error.line == 31
    assert "rule 'Bad': unknown template 'nope'" in error.detail


def test_lines_survive_multiline_strings_and_arrays() -> None:
    text = (
        GOOD_RULE
        + 'description = """\n[rule.fake]\nname = "not a key"\n"""\n'
        + "[rule.conditions]\nsubject_contains = [\n  '[secure]',\n  [1],\n]\n"
    )
    error = refused(text)
    assert error.line == 10
    assert "subject_contains must be a string, not a list" in error.detail


def test_a_valid_file_records_each_rules_line_and_a_digest() -> None:
    text = "# comment\n\n" + GOOD_RULE + '\n[[rule]]\nname = "B"\npriority = 0\naction = { seal = false }\n'
    rules = parse_rules(text, source="rules.toml")
    assert [(rule.name, rule.line) for rule in rules.rules] == [("B", 8), ("A", 3)]
    assert rules.source == "rules.toml"
    assert len(rules.digest) == 16
    assert parse_rules(text + "\n# edit\n", source="x").digest != rules.digest
    assert rules.rule("b") is rules.rules[0]


def test_an_empty_file_is_an_empty_rule_set() -> None:
    rules = parse_rules("# nothing yet\n", source="rules.toml")
    assert len(rules) == 0
    assert set(rules.templates) == {"encrypt-only", "do-not-forward"}


def test_oversized_files_are_refused() -> None:
    error = refused("#" * (1024 * 1024 + 1))
    assert "larger than" in error.detail
