"""From a protection template (the rules room's) to the policy written into a sealed header."""

from __future__ import annotations

from mailseal import format as fmt
from mailseal.errors import InputError
from mailseal.rules import BUILTIN_TEMPLATES, Template

DAY = 86400
MAX_EXPIRES_DAYS = 3650


def policy_from_template(template: Template, *, now: float, expires_days: int | None = None) -> fmt.Policy:
    days = expires_days if expires_days is not None else template.expires_days
    if days is not None and not 1 <= days <= MAX_EXPIRES_DAYS:
        raise InputError(f"expiry must be between 1 and {MAX_EXPIRES_DAYS} days")
    expires_at = int(now) + days * DAY if days else None
    return fmt.Policy(template=template.name, rights=template.rights, expires_at=expires_at)


def policy_for(name: str, *, expires_days: int | None, now: float) -> fmt.Policy:
    """The policy of a built-in template by name (the CLI's `--template`)."""
    template = BUILTIN_TEMPLATES.get(name)
    if template is None:
        raise InputError(f"unknown template {name!r} (built in: {', '.join(BUILTIN_TEMPLATES)})")
    return policy_from_template(template, now=now, expires_days=expires_days)
