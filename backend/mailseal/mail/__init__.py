"""The mail room: compose Mailseal's own mails, send them durably, and find envelopes in mail we receive.

Public surface (everything else is private to the room):
`OutgoingMail`, `Transport`, `MaildirOutbox`, `SmtpQueue`, `make_transport` (outbound);
`Branding`, `compose_wrapper_mail`, `compose_passcode_mail` (compose);
`find_envelopes` (extract); `not_email`, `refuse_foreign_or_not_email`, `SNIFF_BYTES` (foreign: mail
Mailseal cannot open, explained); `parse_address_list`, `display_name`, `normalise_address` (addresses);
`without_bcc`, `without_bcc_stream` (what is sealed of a mail: all of it but its Bcc fields).
"""

from mailseal.mail.addresses import display_name, normalise_address, parse_address_list
from mailseal.mail.branding import Branding
from mailseal.mail.compose import compose_passcode_mail, compose_wrapper_mail
from mailseal.mail.extract import find_envelopes
from mailseal.mail.foreign import SNIFF_BYTES, not_email, refuse_foreign_or_not_email
from mailseal.mail.header_fields import without_bcc, without_bcc_stream
from mailseal.mail.outbox import MaildirOutbox, OutboxEntry, OutgoingMail, Transport, make_transport
from mailseal.mail.smtp_queue import FailedMail, QueuedMail, SmtpQueue, parse_smtp_url

__all__ = [
    "SNIFF_BYTES",
    "Branding",
    "FailedMail",
    "MaildirOutbox",
    "OutboxEntry",
    "OutgoingMail",
    "QueuedMail",
    "SmtpQueue",
    "Transport",
    "compose_passcode_mail",
    "compose_wrapper_mail",
    "display_name",
    "find_envelopes",
    "make_transport",
    "normalise_address",
    "not_email",
    "parse_address_list",
    "parse_smtp_url",
    "refuse_foreign_or_not_email",
    "without_bcc",
    "without_bcc_stream",
]
