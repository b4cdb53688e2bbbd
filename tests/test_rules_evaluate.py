"""Evaluation order: priority, stop processing, the stronger-template ratchet, explanations, ReDoS bounds."""

from __future__ import annotations

import msgspec
import pytest

from mailseal.rules import (
    BUILTIN_TEMPLATES,
    EMPTY_RULES,
    MailFacts,
    RulesError,
    Template,
    evaluate,
    example_rules_text,
    explain,
    facts_from_message,
    is_stronger,
    parse_rules,
)
from mailseal.rules.patterns import MAX_PATTERN_CHARS

ORG = ("example.org",)
ENCRYPT_ONLY = BUILTIN_TEMPLATES["encrypt-only"]
DO_NOT_FORWARD = BUILTIN_TEMPLATES["do-not-forward"]

MAIL = MailFacts(
    sender="alice@example.org",
    recipients=("bob@gmail.com",),
    subject="[secure] contract",
    headers=(("Sensitivity", "Company-Confidential"),),
    body_text="See the attached contract.",
    attachment_names=("contract.pdf",),
    size=50_000,
)


def rule(name: str, priority: int, seal: str, *, stop: bool = True, enabled: bool = True, when: str = "") -> str:
    seal_value = "false" if seal == "false" else f'"{seal}"'
    conditions = f"conditions = {{ {when} }}\n" if when else ""
    return (
        f'[[rule]]\nname = "{name}"\npriority = {priority}\nstop = {str(stop).lower()}\n'
        f"enabled = {str(enabled).lower()}\n{conditions}action = {{ seal = {seal_value} }}\n\n"
    )


def test_no_rules_means_not_sealed() -> None:
    decision = evaluate(EMPTY_RULES, MAIL, org_domains=ORG)
    assert decision == msgspec.structs.replace(decision, seal=False, template=None, matched=(), decided_by=None)
    assert decision.explanation == ("there are no rules", "no rule matched: the mail is not sealed")


def test_lower_priority_runs_first_whatever_the_file_order() -> None:
    text = rule("Late", 20, "encrypt-only") + rule("Early", 10, "do-not-forward")
    rules = parse_rules(text, source="t")
    assert [r.name for r in rules.rules] == ["Early", "Late"]
    decision = evaluate(rules, MAIL, org_domains=ORG)
    assert decision.template == DO_NOT_FORWARD
    assert decision.matched == ("Early",)
    assert decision.decided_by == "Early"
    assert "rule 'Early': stop processing more rules" in decision.explanation


def test_equal_priorities_keep_file_order() -> None:
    rules = parse_rules(rule("B", 5, "encrypt-only") + rule("A", 5, "do-not-forward"), source="t")
    assert [r.name for r in rules.rules] == ["B", "A"]
    assert evaluate(rules, MAIL, org_domains=ORG).decided_by == "B"


def test_stop_false_lets_a_later_stronger_template_win() -> None:
    rules = parse_rules(rule("Weak", 1, "encrypt-only", stop=False) + rule("Strong", 2, "do-not-forward"), source="t")
    decision = evaluate(rules, MAIL, org_domains=ORG)
    assert decision.matched == ("Weak", "Strong")
    assert decision.template == DO_NOT_FORWARD
    assert decision.decided_by == "Strong"


def test_stop_false_never_lets_a_weaker_template_win() -> None:
    text = rule("Strong", 1, "do-not-forward", stop=False) + rule("Weak", 2, "encrypt-only", stop=False)
    decision = evaluate(parse_rules(text, source="t"), MAIL, org_domains=ORG)
    assert decision.matched == ("Strong", "Weak")
    assert decision.template == DO_NOT_FORWARD
    assert decision.decided_by == "Strong"
    assert any("not stronger" in line for line in decision.explanation)


def test_stop_true_ends_evaluation_even_when_later_rules_would_match() -> None:
    text = rule("First", 1, "encrypt-only") + rule("Second", 2, "do-not-forward")
    decision = evaluate(parse_rules(text, source="t"), MAIL, org_domains=ORG)
    assert decision.matched == ("First",)
    assert decision.template == ENCRYPT_ONLY


def test_a_rule_that_does_not_match_does_not_stop() -> None:
    text = rule("Other", 1, "do-not-forward", when='subject_contains = "payroll"') + rule("Catch", 2, "encrypt-only")
    decision = evaluate(parse_rules(text, source="t"), MAIL, org_domains=ORG)
    assert decision.matched == ("Catch",)
    assert decision.template == ENCRYPT_ONLY


def test_seal_false_with_stop_carves_mail_out() -> None:
    text = rule("Internal", 1, "false", when="sender_domain = 'example.org'") + rule("All", 2, "encrypt-only")
    decision = evaluate(parse_rules(text, source="t"), MAIL, org_domains=ORG)
    assert not decision.seal and decision.template is None
    assert decision.matched == ("Internal",)
    assert decision.decided_by == "Internal"
    assert "rule 'Internal': matched; action: leave unsealed" in decision.explanation


def test_seal_false_without_stop_is_overruled_by_a_later_seal() -> None:
    text = rule("Internal", 1, "false", stop=False) + rule("All", 2, "encrypt-only")
    decision = evaluate(parse_rules(text, source="t"), MAIL, org_domains=ORG)
    assert decision.seal and decision.template == ENCRYPT_ONLY
    assert decision.matched == ("Internal", "All")


def test_disabled_rules_are_skipped() -> None:
    text = rule("Off", 1, "do-not-forward", enabled=False) + rule("On", 2, "encrypt-only")
    decision = evaluate(parse_rules(text, source="t"), MAIL, org_domains=ORG)
    assert decision.matched == ("On",)
    assert "rule 'Off': disabled, skipped" in decision.explanation


def test_custom_template_is_carried_into_the_decision() -> None:
    text = rule("Legal", 1, "legal-90") + (
        '[templates.legal-90]\nrights = ["reply", "view"]\nexpires_days = 90\ncolour = "#123abc"\n'
        'logo_url = "https://example.org/logo.png"\nintro = "Hello"\ndisclaimer = "Private"\nshow_subject = false\n'
    )
    decision = evaluate(parse_rules(text, source="t"), MAIL, org_domains=ORG)
    assert decision.template == Template(
        name="legal-90",
        rights=("view", "reply"),
        expires_days=90,
        logo_url="https://example.org/logo.png",
        colour="#123abc",
        intro="Hello",
        disclaimer="Private",
        show_subject=False,
    )
    assert decision.template.allows("reply") and not decision.template.allows("forward")


def test_builtin_templates_grant_what_ome_grants() -> None:
    assert ENCRYPT_ONLY.rights == ("view", "reply", "reply-all", "forward", "print", "copy", "extract")
    assert DO_NOT_FORWARD.rights == ("view", "reply", "reply-all")
    assert ENCRYPT_ONLY.expires_days is None and DO_NOT_FORWARD.expires_days is None


def test_stronger_is_a_strict_partial_order() -> None:
    def make(rights: tuple[str, ...], days: int | None = None) -> Template:
        return Template(name="t", rights=rights, expires_days=days)

    assert is_stronger(DO_NOT_FORWARD, ENCRYPT_ONLY)
    assert not is_stronger(ENCRYPT_ONLY, DO_NOT_FORWARD)
    assert not is_stronger(ENCRYPT_ONLY, ENCRYPT_ONLY)
    assert is_stronger(ENCRYPT_ONLY, None) and not is_stronger(None, ENCRYPT_ONLY)
    assert is_stronger(make(ENCRYPT_ONLY.rights, 30), ENCRYPT_ONLY)
    assert is_stronger(make(("view",), 7), make(("view", "reply"), 30))
    # Fewer rights but a later expiry: neither restricts more, so neither replaces the other.
    assert not is_stronger(make(("view",), 90), make(("view", "reply"), 30))
    assert not is_stronger(make(("view", "reply"), 30), make(("view",), 90))
    # Branding does not make a template stronger.
    assert not is_stronger(msgspec.structs.replace(DO_NOT_FORWARD, colour="#000"), DO_NOT_FORWARD)


def test_incomparable_templates_keep_the_earlier_decision() -> None:
    text = (
        rule("Short", 1, "short", stop=False)
        + rule("Narrow", 2, "narrow")
        + '[templates.short]\nrights = ["view", "reply"]\nexpires_days = 7\n'
        + '[templates.narrow]\nrights = ["view"]\n'
    )
    decision = evaluate(parse_rules(text, source="t"), MAIL, org_domains=ORG)
    assert decision.matched == ("Short", "Narrow")
    assert decision.decided_by == "Short"


def test_a_rule_without_conditions_applies_to_every_mail() -> None:
    decision = evaluate(parse_rules(rule("All", 1, "encrypt-only"), source="t"), MAIL, org_domains=ORG)
    assert decision.seal
    assert "rule 'All': has no conditions, so it applies to every mail" in decision.explanation


def test_example_rules_file() -> None:
    rules = parse_rules(example_rules_text(), source="example_rules.toml")
    assert [(r.name, r.enabled) for r in rules.rules] == [
        ("Company confidential", True),
        ("Secure subject", True),
        ("External recipients", False),
    ]
    plain = msgspec.structs.replace(MAIL, subject="hello", headers=())
    assert not evaluate(rules, plain, org_domains=ORG).seal
    secure = evaluate(rules, msgspec.structs.replace(MAIL, headers=()), org_domains=ORG)
    assert secure.template == ENCRYPT_ONLY and secure.decided_by == "Secure subject"
    both = evaluate(rules, MAIL, org_domains=ORG)
    assert both.template == DO_NOT_FORWARD and both.matched == ("Company confidential",)


def test_explain_output() -> None:
    text = rule("External", 1, "do-not-forward", when="recipient_outside_organisation = true")
    decision = evaluate(parse_rules(text, source="t"), MAIL, org_domains=ORG)
    out = explain(decision)
    assert out.startswith(
        "Decision: seal with template 'do-not-forward' (rights: view, reply, reply-all; no expiry)\n"
        "Decided by: rule 'External'\n"
        "Matched rules: 'External'\n"
        "Why:\n"
    )
    assert "  - rule 'External': recipient bob@gmail.com is outside example.org\n" in out
    unsealed = explain(evaluate(EMPTY_RULES, MAIL, org_domains=ORG))
    assert unsealed.startswith("Decision: do not seal\nMatched rules: none\n")


def test_decision_round_trips_through_msgspec() -> None:
    decision = evaluate(parse_rules(rule("All", 1, "do-not-forward"), source="t"), MAIL, org_domains=ORG)
    assert msgspec.json.decode(msgspec.json.encode(decision), type=type(decision)) == decision


# ReDoS: every pattern runs on RE2 (linear time), so these finish at once. With Python's backtracking
# engine each of them would run for minutes or hours; the test would hang, not fail an assertion.
CATASTROPHIC = [r"(a+)+$", r"(a|aa)+$", r"(.*a){12}$", r".*secret.*confidential", r"^(\w+\s?)*$"]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_run_in_linear_time(pattern: str) -> None:
    toml = rule("Evil", 1, "encrypt-only", when=f"subject_matches = '{pattern}'") + rule(
        "Evil body", 2, "encrypt-only", when=f"body_matches = '{pattern}'"
    )
    rules = parse_rules(toml, source="t")
    attack = msgspec.structs.replace(MAIL, subject="a" * 10_000 + "!", body_text="a" * 200_000 + "!")
    assert evaluate(rules, attack, org_domains=ORG).matched == ()
    if pattern.endswith("$"):
        plain = msgspec.structs.replace(MAIL, subject="a" * 10_000, body_text="a" * 200_000)
        assert evaluate(rules, plain, org_domains=ORG).matched == ("Evil",)


def test_long_patterns_are_refused() -> None:
    parse_rules(rule("Ok", 1, "encrypt-only", when=f"subject_matches = '{'a' * MAX_PATTERN_CHARS}'"), source="t")
    with pytest.raises(RulesError, match="at most 500 are allowed"):
        parse_rules(rule("Long", 1, "encrypt-only", when=f"subject_matches = '{'a' * 501}'"), source="t")


def test_body_is_matched_only_within_its_bound() -> None:
    rules = parse_rules(rule("Word", 1, "encrypt-only", when='body_contains = "needle"'), source="t")
    near = msgspec.structs.replace(MAIL, body_text="x " * 1000 + "needle")
    far = msgspec.structs.replace(MAIL, body_text="x" * (256 * 1024) + " needle")
    assert evaluate(rules, near, org_domains=ORG).seal
    assert not evaluate(rules, far, org_domains=ORG).seal


def test_facts_bound_the_body_they_keep() -> None:
    raw = b"From: a@example.org\r\nSubject: s\r\n\r\n" + b"y" * 400_000 + b" needle\r\n"
    facts = facts_from_message(raw, envelope_from="a@example.org", envelope_to=["b@gmail.com"])
    assert len(facts.body_text) == 256 * 1024
    assert facts.size == len(raw)
    small = facts_from_message(raw, envelope_from="a@example.org", envelope_to=["b@gmail.com"], max_body=10)
    assert small.body_text == "y" * 10


def test_evaluation_survives_hostile_facts() -> None:
    rules = parse_rules(example_rules_text(), source="t")
    hostile = MailFacts(
        sender="\udcff<>@@",
        recipients=("", "@", "a@b@c", "\x00@\x00", "x@" + "a." * 200),
        subject="\udcff" * 100,
        headers=(("Sensitivity", "\udcff" * 10 + "Company-Confidential"), ("", "")),
        body_text="\x00\udcff" * 1000,
        attachment_names=("", ".", "\udcff.pdf"),
        size=-1,
    )
    assert isinstance(evaluate(rules, hostile, org_domains=["", "@", "*."]).seal, bool)
