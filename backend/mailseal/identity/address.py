"""The matching form of an e-mail address: the one spelling we store, compare, rate-limit and seal to.

The whole address is lower-cased. RFC 5321 lets a server treat the local part as case-sensitive, but no
mainstream mailbox does, and two spellings of one mailbox must never become two identities (or two rate
limits). The domain is mapped with IDNA 2008 / UTS 46 to its ASCII (A-label) form. The local part is
a dot-atom of ASCII characters: quoted local parts, comments, IP literals and non-ASCII local parts are
refused as not sane for a sign-in address.
"""

from __future__ import annotations

import re

import idna

from mailseal.errors import InvalidAddress

MAX_ADDRESS_LENGTH = 254
MAX_LOCAL_LENGTH = 64
MAX_DOMAIN_LENGTH = 253
# Checked before any parsing, so that IDNA mapping never runs on a huge string.
MAX_INPUT_LENGTH = 1024

_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*", re.ASCII)
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)


def normalise_address(text: str) -> str:
    """Trim, validate and lower-case `text`, IDNA-encode its domain; raise `InvalidAddress` otherwise."""
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidAddress()
    local, at, domain = text.strip().rpartition("@")
    if not at or not local or not domain:
        raise InvalidAddress()
    local = local.lower()
    if len(local) > MAX_LOCAL_LENGTH or not _LOCAL_PART.fullmatch(local):
        raise InvalidAddress()
    ascii_domain = _ascii_domain(domain)
    address = f"{local}@{ascii_domain}"
    if len(address) > MAX_ADDRESS_LENGTH:
        raise InvalidAddress()
    return address


def _ascii_domain(domain: str) -> str:
    if domain.endswith(".") or any(ch.isspace() for ch in domain):
        raise InvalidAddress()
    try:
        encoded = idna.encode(domain, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError) as exc:
        raise InvalidAddress() from exc
    labels = encoded.split(".")
    if len(encoded) > MAX_DOMAIN_LENGTH or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidAddress()
    if labels[-1].isdigit():
        # A numeric top-level label is an IP address in disguise, never a mail domain.
        raise InvalidAddress()
    return encoded
