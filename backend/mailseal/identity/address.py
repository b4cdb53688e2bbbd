"""The matching form of an e-mail address, as identity stores, compares and rate-limits it.

It is the mail room's `normalise_address` (one spelling everywhere: the address a person signs in with
is the address mail is sealed to): whole address lower-cased, the domain in IDNA 2008 A-labels, a
dot-atom ASCII local part; anything else is `InvalidAddress`.
"""

from __future__ import annotations

from mailseal.mail.addresses import normalise_address

__all__ = ["normalise_address"]
