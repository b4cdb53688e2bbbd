"""Addresses from To, Cc and From headers, normalised the one way the rest of Mailseal compares them.

`email.utils.getaddresses` before Python 3.13 (and 3.11.10) has no `strict` mode and reads
`alice@example.org <bob@evil.example>` as two addresses (CVE-2023-27043). We apply the same checks as
the strict mode: balanced parentheses, one address per comma, no domain literals; a value that fails
them yields no address at all rather than a wrong one.
"""

from __future__ import annotations

import re
from email.utils import getaddresses

import idna

from mailseal.errors import InputError, InvalidAddress
from mailseal.mail.headers import display_text

MAX_ADDRESS = 254
MAX_LOCAL_PART = 64
MAX_DOMAIN = 253
MAX_INPUT = 1024
MAX_HEADER = 64 * 1024
_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*", re.ASCII)
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def normalise_address(text: str) -> str:
    """The matching form of an address (lower case, ASCII dot-atom local part, IDNA 2008 domain).

    The same rules as `mailseal.identity.normalise_address` (a test keeps the two in step), so an
    address read from a mail header compares equal to the one a person signed in with.
    """
    if len(text) > MAX_INPUT:
        raise InvalidAddress()
    local, at, domain = text.strip().rpartition("@")
    if not at or not local or not domain:
        raise InvalidAddress()
    local = local.lower()
    if len(local) > MAX_LOCAL_PART or not _LOCAL_PART.fullmatch(local):
        raise InvalidAddress()
    address = f"{local}@{_ascii_domain(domain)}"
    if len(address) > MAX_ADDRESS:
        raise InvalidAddress()
    return address


def parse_address_list(header_value: str | None) -> list[str]:
    """The valid addresses of a To/Cc/From value, normalised, each once, in order; garbage yields []."""
    if not header_value or len(header_value) > MAX_HEADER:
        return []
    pairs = _strict_getaddresses(header_value)
    addresses: list[str] = []
    for _, address in pairs:
        try:
            normalised = normalise_address(address)
        except InputError:
            continue
        if normalised not in addresses:
            addresses.append(normalised)
    return addresses


def display_name(header_value: str | None) -> str:
    """The name to show for the first address: its display name (decoded), else the address, else ''."""
    if not header_value or len(header_value) > MAX_HEADER:
        return ""
    for name, address in _strict_getaddresses(header_value):
        shown = display_text(name, limit=100)
        if shown:
            return shown
        if address:
            try:
                return normalise_address(address)
            except InputError:
                return display_text(address, limit=100)
    return ""


def _strict_getaddresses(value: str) -> list[tuple[str, str]]:
    value = _FOLD.sub("", value)
    if not _parentheses_balanced(value):
        return []
    pairs = getaddresses([value])
    expected = 1 + _QUOTED.sub("", value).count(",")
    if len(pairs) != expected or any("[" in address for _, address in pairs):
        return []
    return pairs


def _parentheses_balanced(value: str) -> bool:
    depth = 0
    escaped = in_quote = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"' and depth == 0:
            in_quote = not in_quote
        elif in_quote:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _ascii_domain(domain: str) -> str:
    if domain.endswith(".") or any(char.isspace() for char in domain):
        raise InvalidAddress()
    try:
        encoded = idna.encode(domain, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError) as exc:
        raise InvalidAddress() from exc
    labels = encoded.split(".")
    if len(encoded) > MAX_DOMAIN or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidAddress()
    if labels[-1].isdigit():  # an IP address in disguise, never a mail domain
        raise InvalidAddress()
    return encoded
