"""Every condition kind, as a condition and as an exception, matching and not matching."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from mailseal.rules import MailFacts, evaluate, parse_rules

ORG = ("example.org",)
MiB = 1024 * 1024


def facts(**changes: Any) -> MailFacts:
    base = MailFacts(
        sender="alice@example.org",
        recipients=("bob@example.org",),
        subject="Quarterly numbers",
        headers=(("From", "alice@example.org"), ("Subject", "Quarterly numbers")),
        body_text="Hello Bob, the numbers are attached.",
        attachment_names=(),
        size=2_000,
    )
    return msgspec.structs.replace(base, **changes)


def one_rule(table: str, body: str) -> str:
    return f"""
[[rule]]
name = "Under test"
priority = 1
action = {{ seal = "encrypt-only" }}

[rule.{table}]
{body}
"""


# (condition written in TOML, facts that meet it, facts that do not, a line the match explains)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (
        'recipient_address = ["*@partner.com"]',
        {"recipients": ("x@example.org", "Carol@Partner.COM")},
        {"recipients": ("carol@partner.com.evil.net", "dan@sub.partner.com")},
        "recipient carol@partner.com matches '*@partner.com'",
    ),
    (
        'sender_address = ["ceo@example.org", "legal-?@example.org"]',
        {"sender": "Legal-7@Example.org"},
        {"sender": "legal-12@example.org"},
        "sender legal-7@example.org matches 'legal-?@example.org'",
    ),
    (
        'recipient_domain = ["partner.com", "*.gov.example"]',
        {"recipients": ("a@example.org", "b@tax.GOV.example")},
        {"recipients": ("a@gov.example", "b@notpartner.com")},
        "recipient b@tax.gov.example is in domain '*.gov.example'",
    ),
    (
        'sender_domain = "example.org"',
        {"sender": "<Alice@EXAMPLE.org>"},
        {"sender": "alice@mail.example.org"},
        "sender alice@example.org is in domain 'example.org'",
    ),
    (
        "recipient_outside_organisation = true",
        {"recipients": ("a@example.org", "bob@gmail.com")},
        {"recipients": ("a@example.org", "b@EXAMPLE.ORG")},
        "recipient bob@gmail.com is outside example.org",
    ),
    (
        'subject_contains = ["[secure]", "strictly confidential"]',
        {"subject": "RE: [SECURE] payroll"},
        {"subject": "insecure defaults; confidentiality notes"},
        "subject contains '[secure]'",
    ),
    (
        'body_contains = "account number"',
        {"body_text": "Your Account\n   Number is below."},
        {"body_text": "accountnumber and accounts numbered"},
        "body contains 'account number'",
    ),
    (
        'subject_matches = "^(re|fw): +invoice"',
        {"subject": "RE:  Invoice 1234"},
        {"subject": "Invoice 1234"},
        "subject matches pattern '^(re|fw): +invoice'",
    ),
    (
        r'body_matches = ["\\b\\d{4}([ -]?\\d{4}){3}\\b"]',
        {"body_text": "card 4111 1111 1111 1111 thanks"},
        {"body_text": "order 4111-1111 shipped"},
        "body matches pattern",
    ),
    (
        'header_matches = { Sensitivity = "Company-Confidential" }',
        {"headers": (("X-Other", "1"), ("sensitivity", "company-confidential"))},
        {"headers": (("Sensitivity", "Personal"),)},
        "header Sensitivity matches pattern 'Company-Confidential'",
    ),
    (
        'attachment_extensions = ["pdf", ".DOCX"]',
        {"attachment_names": ("notes.txt", "Q3 Report.PDF")},
        {"attachment_names": ("pdf", "report.pdf.txt")},
        "an attachment has extension .pdf",
    ),
    (
        'size_over = "5MB"',
        {"size": 5 * MiB + 1},
        {"size": 5 * MiB},
        "size 5242881 bytes is over 5MB (5242880 bytes)",
    ),
]


@pytest.mark.parametrize(("toml", "meets", "misses", "line"), CASES, ids=[c[0].split()[0] for c in CASES])
def test_condition_matches_and_does_not(toml: str, meets: dict[str, Any], misses: dict[str, Any], line: str) -> None:
    rules = parse_rules(one_rule("conditions", toml), source="t")

    hit = evaluate(rules, facts(**meets), org_domains=ORG)
    assert hit.seal and hit.matched == ("Under test",)
    assert any(line in text for text in hit.explanation), hit.explanation

    miss = evaluate(rules, facts(**misses), org_domains=ORG)
    assert not miss.seal and miss.matched == ()
    assert any("not matched" in text for text in miss.explanation)


@pytest.mark.parametrize(("toml", "meets", "misses", "line"), CASES, ids=[c[0].split()[0] for c in CASES])
def test_exception_excludes_only_when_it_matches(
    toml: str, meets: dict[str, Any], misses: dict[str, Any], line: str
) -> None:
    rules = parse_rules(one_rule("exceptions", toml), source="t")
    if "recipients" in meets:  # each recipient is judged on its own: keep only the one that is excepted
        meets = {"recipients": meets["recipients"][-1:]}

    excluded = evaluate(rules, facts(**meets), org_domains=ORG)
    assert not excluded.seal and excluded.matched == ()
    assert any("exception" in text and line in text for text in excluded.explanation), excluded.explanation

    applied = evaluate(rules, facts(**misses), org_domains=ORG)
    assert applied.seal and applied.matched == ("Under test",)


def test_all_conditions_must_hold() -> None:
    rules = parse_rules(
        one_rule("conditions", 'subject_contains = "secure"\nrecipient_outside_organisation = true'), source="t"
    )
    both = facts(subject="secure", recipients=("x@gmail.com",))
    assert evaluate(rules, both, org_domains=ORG).seal
    assert not evaluate(rules, msgspec.structs.replace(both, subject="hello"), org_domains=ORG).seal
    assert not evaluate(rules, msgspec.structs.replace(both, recipients=("y@example.org",)), org_domains=ORG).seal


def test_any_exception_excludes() -> None:
    rules = parse_rules(
        one_rule("exceptions", 'sender_address = "ceo@example.org"\nsubject_contains = "public"'), source="t"
    )
    assert evaluate(rules, facts(), org_domains=ORG).seal
    assert not evaluate(rules, facts(sender="ceo@example.org"), org_domains=ORG).seal
    assert not evaluate(rules, facts(subject="public notice"), org_domains=ORG).seal


def test_every_header_listed_must_match() -> None:
    rules = parse_rules(
        one_rule("conditions", 'header_matches = { Sensitivity = "Private", X-Class = "^A$" }'), source="t"
    )
    both = (("Sensitivity", "Private"), ("X-Class", "A"))
    assert evaluate(rules, facts(headers=both), org_domains=ORG).seal
    assert not evaluate(rules, facts(headers=both[:1]), org_domains=ORG).seal


def test_header_pattern_searches_each_value_of_a_repeated_header() -> None:
    rules = parse_rules(one_rule("conditions", 'header_matches = { X-Tag = ["^blue$", "^red$"] }'), source="t")
    assert evaluate(rules, facts(headers=(("X-Tag", "green"), ("X-Tag", "RED"))), org_domains=ORG).seal
    missing = evaluate(rules, facts(headers=()), org_domains=ORG)
    assert "there is no X-Tag header" in "\n".join(missing.explanation)


def test_outside_organisation_follows_the_org_domains_given() -> None:
    rules = parse_rules(one_rule("conditions", "recipient_outside_organisation = true"), source="t")
    mail = facts(recipients=("a@example.org", "b@eu.example.org"))
    assert evaluate(rules, mail, org_domains=["example.org"]).seal
    assert not evaluate(rules, mail, org_domains=["example.org", "*.example.org"]).seal
    assert not evaluate(rules, mail, org_domains=["EXAMPLE.org.", "eu.example.org"]).seal
    # With no organisation domains every recipient is outside: the safe reading.
    assert evaluate(rules, facts(), org_domains=[]).seal
    # An address without a domain is not inside.
    assert evaluate(rules, facts(recipients=("postmaster",)), org_domains=ORG).seal
    assert not evaluate(rules, facts(recipients=()), org_domains=ORG).seal


def test_wildcards_match_the_whole_address_only() -> None:
    rules = parse_rules(one_rule("conditions", 'recipient_address = ["j*.doe@*.example.com"]'), source="t")
    assert evaluate(rules, facts(recipients=("Jane.Doe@mail.example.com",)), org_domains=ORG).seal
    assert evaluate(rules, facts(recipients=("j.doe@a.b.example.com",)), org_domains=ORG).seal
    assert not evaluate(rules, facts(recipients=("jane.doe@example.com",)), org_domains=ORG).seal
    assert not evaluate(rules, facts(recipients=("xjane.doe@mail.example.com",)), org_domains=ORG).seal
    assert not evaluate(rules, facts(recipients=("jane.doe@mail.example.com.evil",)), org_domains=ORG).seal


def test_wildcard_characters_other_than_star_and_question_mark_are_literal() -> None:
    rules = parse_rules(one_rule("conditions", 'sender_address = "[a-z]+@example.org"'), source="t")
    assert evaluate(rules, facts(sender="[a-z]+@example.org"), org_domains=ORG).seal
    assert not evaluate(rules, facts(sender="abc@example.org"), org_domains=ORG).seal


def test_contains_is_case_insensitive_beyond_ascii() -> None:
    rules = parse_rules(one_rule("conditions", 'subject_contains = "VERTRAULICH ÄNDERUNG"'), source="t")
    assert evaluate(rules, facts(subject="Re: vertraulich änderung"), org_domains=ORG).seal
    assert not evaluate(rules, facts(subject="unvertraulich änderungen"), org_domains=ORG).seal


def test_matches_is_case_insensitive_unless_the_pattern_says_otherwise() -> None:
    loose = parse_rules(one_rule("conditions", 'subject_matches = "secret"'), source="t")
    strict = parse_rules(one_rule("conditions", 'subject_matches = "(?-i)SECRET"'), source="t")
    assert evaluate(loose, facts(subject="SeCrEt"), org_domains=ORG).seal
    assert not evaluate(strict, facts(subject="secret"), org_domains=ORG).seal
    assert evaluate(strict, facts(subject="TOP SECRET"), org_domains=ORG).seal


@pytest.mark.parametrize(
    ("written", "limit"),
    [("1024", 1024), ("10 KB", 10 * 1024), ("5MiB", 5 * MiB), ("1.5G", 3 * 512 * MiB), ("2 m", 2 * MiB), ("7b", 7)],
)
def test_size_units(written: str, limit: int) -> None:
    value = written if not written.isdigit() else int(written)
    toml = f"size_over = {value!r}".replace("'", '"')
    rules = parse_rules(one_rule("conditions", toml), source="t")
    assert evaluate(rules, facts(size=limit + 1), org_domains=ORG).seal
    assert not evaluate(rules, facts(size=limit), org_domains=ORG).seal


def test_explanations_never_quote_subject_or_body_text() -> None:
    rules = parse_rules(one_rule("conditions", 'body_contains = "salary"\nsubject_matches = "q[0-9]"'), source="t")
    decision = evaluate(rules, facts(subject="Q3 layoffs list", body_text="salary of Jane: 90000"), org_domains=ORG)
    text = "\n".join(decision.explanation)
    assert decision.seal
    assert "layoffs" not in text and "90000" not in text and "Jane" not in text


PARTNER_RULES = """
[[rule]]
name = "External"
priority = 10
action = { seal = "encrypt-only" }
conditions = { recipient_outside_organisation = true }
exceptions = { recipient_domain = "partner.com" }
"""


def test_one_excepted_recipient_does_not_exempt_the_others() -> None:
    rules = parse_rules(PARTNER_RULES, source="t")
    mixed = evaluate(rules, facts(recipients=("p@partner.com", "x@gmail.com", "i@example.org")), org_domains=ORG)
    assert mixed.seal and mixed.decided_by == "External"
    lines = mixed.explanation
    assert (
        "for p@partner.com: rule 'External': not applied: exception: recipient p@partner.com is in domain "
        "'partner.com'" in lines
    )
    assert "for x@gmail.com: rule 'External': recipient x@gmail.com is outside example.org" in lines
    assert "for i@example.org: rule 'External': not matched: every recipient is inside example.org" in lines
    assert lines[-1].startswith("one message goes to all 3 recipients: the strongest outcome is taken, rule 'External'")
    only_partner = evaluate(rules, facts(recipients=("p@partner.com", "q@PARTNER.com")), org_domains=ORG)
    assert not only_partner.seal


def test_a_recipient_carve_out_cannot_unseal_mail_for_other_recipients() -> None:
    text = """
[[rule]]
name = "Partner plain"
priority = 1
conditions = { recipient_domain = "partner.com" }
action = { seal = false }

[[rule]]
name = "Everything"
priority = 2
action = { seal = "encrypt-only" }
"""
    rules = parse_rules(text, source="t")
    mixed = evaluate(rules, facts(recipients=("p@partner.com", "x@gmail.com")), org_domains=ORG)
    assert mixed.seal and mixed.decided_by == "Everything"
    assert mixed.matched == ("Partner plain", "Everything")
    alone = evaluate(rules, facts(recipients=("p@partner.com",)), org_domains=ORG)
    assert not alone.seal and alone.decided_by == "Partner plain"


def test_per_recipient_outcomes_combine_the_same_whatever_the_recipient_order() -> None:
    text = """
[[rule]]
name = "Short"
priority = 1
conditions = { recipient_domain = "a.example" }
action = { seal = "short" }

[[rule]]
name = "Narrow"
priority = 2
conditions = { recipient_domain = "b.example" }
action = { seal = "narrow" }

[[rule]]
name = "Strongest"
priority = 3
conditions = { recipient_domain = "c.example" }
action = { seal = "strongest" }

[templates.short]
rights = ["view", "reply"]
expires_days = 7

[templates.narrow]
rights = ["view"]

[templates.strongest]
rights = ["view"]
expires_days = 1
"""
    rules = parse_rules(text, source="t")
    ab = evaluate(rules, facts(recipients=("x@a.example", "y@b.example")), org_domains=ORG)
    ba = evaluate(rules, facts(recipients=("y@b.example", "x@a.example")), org_domains=ORG)
    assert ab.decided_by == ba.decided_by == "Short"  # incomparable: the earlier rule stays
    assert ab.matched == ba.matched == ("Short", "Narrow")
    abc = evaluate(rules, facts(recipients=("y@b.example", "z@c.example", "x@a.example")), org_domains=ORG)
    assert abc.decided_by == "Strongest"


def test_rules_that_ignore_recipients_are_explained_once() -> None:
    rules = parse_rules(one_rule("conditions", 'subject_contains = "secure"'), source="t")
    decision = evaluate(rules, facts(subject="secure", recipients=("a@x.example", "b@y.example")), org_domains=ORG)
    assert decision.explanation == (
        "rule 'Under test': subject contains 'secure'",
        "rule 'Under test': matched; action: seal with 'encrypt-only' (rights: view, reply, reply-all, forward, "
        "print, copy, extract; no expiry)",
        "rule 'Under test': stop processing more rules",
    )
