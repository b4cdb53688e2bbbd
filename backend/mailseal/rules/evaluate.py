"""Evaluation: which rules a mail matches, and whether (and under which template) it is sealed.

Rules are tried in priority order. The first matching rule decides. When it says `stop = false`,
later rules are tried too, and a later matching rule replaces the decision only when its template is
strictly stronger (`templates.is_stronger`): protection can only ratchet up. The first matching rule
with `stop = true` ends evaluation. No matching rule: the mail is not sealed.

One sealed message goes to all recipients, so when the rules look at recipients they are evaluated for
each recipient on its own and the strongest outcome is taken: one partner among the recipients cannot
exempt the mail for everyone else, and every recipient gets at least the protection meant for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from mailseal.rules.conditions import Context
from mailseal.rules.facts import MailFacts
from mailseal.rules.ruleset import Rule, RuleSet
from mailseal.rules.templates import Template, is_stronger


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome for one mail: seal or not, the template, the rules that matched, and why.

    `explanation` lines name rule values, addresses and header names, never subject or body text, so
    they may be logged. `decided_by` is the rule whose action was taken (None when no rule matched);
    `rules_digest` identifies the rules file that decided.
    """

    seal: bool
    template: Template | None = None
    matched: tuple[str, ...] = ()
    explanation: tuple[str, ...] = ()
    decided_by: str | None = None
    rules_digest: str = ""


@dataclass(slots=True)
class _Run:
    """One pass over the rules (for the whole mail, or for one recipient)."""

    chosen: Rule | None
    matched: list[Rule]
    lines: list[str]


def evaluate(rules: RuleSet, facts: MailFacts, *, org_domains: Sequence[str]) -> Decision:
    """Decide for one mail; never raises for any facts (patterns were compiled when the rules loaded)."""
    ctx = Context(facts, org_domains)
    if not rules.rules:
        return _decision(rules, None, [], ["there are no rules", "no rule matched: the mail is not sealed"])
    recipients = tuple(dict.fromkeys(ctx.recipients))
    if len(recipients) < 2 or not _looks_at_recipients(rules):
        run = _run(rules, ctx, prefix="")
        return _decision(rules, run.chosen, run.matched, [*run.lines, *_closing(run.chosen)])

    runs = [(address, _run(rules, ctx.for_recipient(address), prefix=f"for {address}: ")) for address in recipients]
    order = {rule.name: index for index, rule in enumerate(rules.rules)}
    chosen: Rule | None = None
    lines = [line for _, run in runs for line in run.lines]
    candidates = {run.chosen.name: run.chosen for _, run in runs if run.chosen}
    for rule in sorted(candidates.values(), key=lambda rule: order[rule.name]):
        if chosen is None or is_stronger(rule.template, chosen.template):
            chosen = rule
    every_match = {rule.name: rule for _, run in runs for rule in run.matched}
    matched = sorted(every_match.values(), key=lambda rule: order[rule.name])
    if chosen is not None:
        who = ", ".join(address for address, run in runs if run.chosen is chosen)
        lines.append(
            f"one message goes to all {len(recipients)} recipients: the strongest outcome is taken, "
            f"rule '{chosen.name}' (for {who}): {chosen.action}"
        )
    return _decision(rules, chosen, matched, [*lines, *_closing(chosen)])


def _looks_at_recipients(rules: RuleSet) -> bool:
    return any(
        condition.per_recipient
        for rule in rules.rules
        if rule.enabled
        for condition in (*rule.conditions, *rule.exceptions)
    )


def _run(rules: RuleSet, ctx: Context, *, prefix: str) -> _Run:
    lines: list[str] = []
    matched: list[Rule] = []
    chosen: Rule | None = None
    for rule in rules.rules:
        label = f"{prefix}rule '{rule.name}'"
        if not rule.enabled:
            lines.append(f"{label}: disabled, skipped")
            continue
        ok, reasons = _match(rule, ctx)
        lines.extend(f"{label}: {reason}" for reason in reasons)
        if not ok:
            continue
        matched.append(rule)
        if chosen is None:
            chosen = rule
            lines.append(f"{label}: matched; action: {rule.action}")
        elif is_stronger(rule.template, chosen.template):
            lines.append(f"{label}: matched; its action ({rule.action}) is stronger and replaces '{chosen.name}'")
            chosen = rule
        else:
            lines.append(f"{label}: matched, but its action is not stronger; '{chosen.name}' still decides")
        if rule.stop:
            lines.append(f"{label}: stop processing more rules")
            break
    if chosen is None and prefix:
        lines.append(f"{prefix}no rule matched")
    return _Run(chosen=chosen, matched=matched, lines=lines)


def _match(rule: Rule, ctx: Context) -> tuple[bool, list[str]]:
    """Whether the rule matches, with the reasons (all met conditions, or the one that failed)."""
    reasons: list[str] = []
    if not rule.conditions:
        reasons.append("has no conditions, so it applies to every mail")
    for condition in rule.conditions:
        ok, reason = ctx.check(condition)
        if not ok:
            return False, [f"not matched: {reason}"]
        reasons.append(reason)
    for exception in rule.exceptions:
        excepted, reason = ctx.check(exception)
        if excepted:
            return False, [f"not applied: exception: {reason}"]
    return True, reasons


def _closing(chosen: Rule | None) -> list[str]:
    return [] if chosen else ["no rule matched: the mail is not sealed"]


def _decision(rules: RuleSet, chosen: Rule | None, matched: Sequence[Rule], lines: Sequence[str]) -> Decision:
    template = chosen.template if chosen else None
    return Decision(
        seal=template is not None,
        template=template,
        matched=tuple(rule.name for rule in matched),
        explanation=tuple(lines),
        decided_by=chosen.name if chosen else None,
        rules_digest=rules.digest,
    )


def explain(decision: Decision) -> str:
    """The decision as text for `mailseal rules test MESSAGE.eml`."""
    if decision.template is not None:
        head = f"Decision: seal with template {decision.template.describe()}"
    else:
        head = "Decision: do not seal"
    lines = [head]
    if decision.decided_by:
        lines.append(f"Decided by: rule '{decision.decided_by}'")
    if decision.matched:
        lines.append("Matched rules: " + ", ".join(f"'{name}'" for name in decision.matched))
    else:
        lines.append("Matched rules: none")
    if decision.explanation:
        lines.append("Why:")
        lines.extend(f"  - {line}" for line in decision.explanation)
    return "\n".join(lines) + "\n"
