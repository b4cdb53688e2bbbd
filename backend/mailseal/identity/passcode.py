"""One-time passcodes: digits and a 4-character reference from a CSPRNG, and their HMACs.

A code has one of two shapes, named by its version: 8 digits (version 1), or 16 digits (version 2),
mailed while an address is guarded because too many guesses failed there: nobody guesses 16 digits, so
anyone may try such a code. Only `passcode_mac` is ever stored. The reference is shown on screen and in
the mail so that the person can tell which mail belongs to which attempt; it is bound into the MAC, so a
code only works with its own reference.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SHORT_CODE = 1
LONG_CODE = 2
# The version of a stored code names its shape (and MAC: the same HMAC over a code of that many digits).
DIGITS_OF_VERSION = {SHORT_CODE: 8, LONG_CODE: 16}
VERSION_OF_DIGITS = {digits: version for version, digits in DIGITS_OF_VERSION.items()}
CODE_DIGITS = DIGITS_OF_VERSION[SHORT_CODE]
LONG_CODE_DIGITS = DIGITS_OF_VERSION[LONG_CODE]
REFERENCE_LENGTH = 4
# No 0/O, 1/I/L: a reference is read off one screen and compared with another.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

# Named, versioned labels for the keys derived from the server secret (one key per purpose).
LABEL_PASSCODE = b"mailseal.org/identity/v1/passcode"
LABEL_ADDRESS = b"mailseal.org/identity/v1/address"
LABEL_RATE = b"mailseal.org/identity/v1/rate-limit"

MIN_SECRET_LENGTH = 32


def derive_key(secret: bytes, label: bytes) -> bytes:
    """A purpose-bound key: HMAC-SHA256(secret, label)."""
    return hmac.new(secret, label, hashlib.sha256).digest()


def new_code(version: int = SHORT_CODE) -> str:
    digits = DIGITS_OF_VERSION[version]
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def passcode_mac(key: bytes, address: str, reference: str, code: str) -> bytes:
    """HMAC-SHA256(k_passcode, address|reference|code): the reference has a fixed shape, the code (last) is digits."""
    message = f"{address}|{reference}|{code}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()


def keyed_name(key: bytes, *parts: str) -> str:
    """A stable, non-reversible name for `parts` (an address, a client), for lookups and counters."""
    message = "\x00".join(parts).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def clean_code(text: str) -> str | None:
    """The 8 or 16 digits a person typed, allowing spaces and hyphens; None if it cannot be a code."""
    if len(text) > 4 * LONG_CODE_DIGITS:
        return None
    digits = "".join(ch for ch in text if ch not in " -\t")
    if len(digits) not in VERSION_OF_DIGITS or not (digits.isascii() and digits.isdigit()):
        return None
    return digits


def version_of(digits: str) -> int:
    """The version (shape) of a code that `clean_code` accepted."""
    return VERSION_OF_DIGITS[len(digits)]
