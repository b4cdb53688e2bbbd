"""Every SMTP reply our listeners give, by name, and the one mapping from our errors to a reply.

Replies carry an RFC 3463 enhanced status code and a short text for the person reading a bounce or
the sending server's log. They never echo mail content, and an error's `detail` is never sent, except
the fixed sentences of `ForeignMail` and `NotEmail` (chosen from `mail/foreign.py`, never from the mail).
"""

from __future__ import annotations

from typing import Final

from mailseal.errors import (
    DamagedEnvelope,
    Forbidden,
    ForeignMail,
    InputError,
    InvalidAddress,
    MalformedMail,
    MessageExpired,
    MessageRevoked,
    NoEnvelope,
    NotARecipient,
    NotEmail,
    NotFound,
    RulesError,
    TooLarge,
    UnknownKey,
)

GREETING_IDENT: Final = "Mailseal ESMTP"

SENDER_OK: Final = "250 2.1.0 OK"
RECIPIENT_OK: Final = "250 2.1.5 OK"
QUEUED: Final = "250 2.0.0 OK: queued"
SEALED: Final = "250 2.0.0 OK: sealed, wrapper mails queued"
STORED: Final = "250 2.0.0 OK: added to the Mailseal inbox"

TOO_MANY_CONNECTIONS: Final = "421 4.7.0 Too many connections; try again later"
TOO_MANY_CLIENT_CONNECTIONS: Final = "421 4.7.0 Too many connections from your address; try again later"
SESSION_TOO_LONG: Final = "421 4.4.2 Session time limit reached; send the rest in a new session"
TOO_MANY_COMMANDS_WITHOUT_MAIL: Final = "421 4.7.0 Too many commands without a mail; closing"
TOO_MANY_RECIPIENTS: Final = "452 4.5.3 Too many recipients; send the rest in another mail"
ONE_FORWARD_ADDRESS: Final = "452 4.5.3 One Mailseal address per mail; send again for the others"
RULES_UNAVAILABLE: Final = "451 4.3.0 Mail flow rules are not available; try again later"
TEMPORARY_FAILURE: Final = "451 4.3.0 Temporary failure; try again later"

RELAY_DENIED: Final = "554 5.7.1 Relay access denied: submit from the organisation's network or authenticate"
BAD_ADDRESS: Final = "553 5.1.3 That is not a valid e-mail address"
BAD_SENDER: Final = "553 5.1.7 That sender address is not valid"
UNKNOWN_FORWARD_ADDRESS: Final = "550 5.1.1 No such Mailseal address"
NO_ENVELOPE: Final = (
    "550 5.6.0 No protected Mailseal message was found in this mail;"
    " forward the notice mail with its message.html attachment"
)
DAMAGED: Final = "550 5.6.0 The protected message in this mail is damaged or was changed"
NOT_SEALED_HERE: Final = "550 5.7.1 This protected message was not sealed here, or its key no longer exists"
NOT_A_RECIPIENT: Final = "550 5.7.1 This protected message was not sent to the owner of this Mailseal address"
REVOKED: Final = "550 5.7.1 This protected message was revoked by the sender"
EXPIRED: Final = "550 5.7.1 This protected message has expired"
NOT_ALLOWED: Final = "550 5.7.1 Not allowed"
TOO_LARGE: Final = "552 5.3.4 Message too big, or nested too deeply"
MALFORMED: Final = "554 5.6.0 The mail could not be read"
NOT_ACCEPTABLE: Final = "554 5.6.0 The mail could not be processed"
TOO_MANY_HEADERS: Final = "554 5.6.0 Too many header fields"
HEADER_TOO_LONG: Final = "554 5.6.0 A header field is too long"
HEADER_TOO_LARGE: Final = "554 5.6.0 The header section is too large"
MAIL_LOOP: Final = "554 5.4.6 Mail loop: too many Received header fields"

# The most specific class first: the first match wins.
_BY_ERROR: Final[tuple[tuple[type[Exception], str], ...]] = (
    (RulesError, RULES_UNAVAILABLE),
    (NoEnvelope, NO_ENVELOPE),
    (TooLarge, TOO_LARGE),
    (MalformedMail, MALFORMED),
    (InvalidAddress, BAD_ADDRESS),
    (InputError, NOT_ACCEPTABLE),
    (DamagedEnvelope, DAMAGED),
    (UnknownKey, NOT_SEALED_HERE),
    (MessageRevoked, REVOKED),
    (MessageExpired, EXPIRED),
    (NotARecipient, NOT_A_RECIPIENT),
    (Forbidden, NOT_ALLOWED),
    (NotFound, UNKNOWN_FORWARD_ADDRESS),
)


def status_for(error: BaseException) -> str:
    """The reply for an error a flow raised; anything unforeseen is a temporary failure (never lost mail).

    Mail another system protected, and files that are no mail, get their own fixed sentence (never the
    mail's content): the sender's server shows it to the person who forwarded it."""
    if isinstance(error, ForeignMail):
        return f"550 5.7.0 {_one_line(error.detail)}"
    if isinstance(error, NotEmail):
        return f"554 5.6.0 {_one_line(error.detail)}"
    for kind, status in _BY_ERROR:
        if isinstance(error, kind):
            return status
    return TEMPORARY_FAILURE


def _one_line(sentence: str) -> str:
    return " ".join(sentence.encode("ascii", "replace").decode("ascii").split())[:400]


def is_success(status: str) -> bool:
    return status.startswith("2")
