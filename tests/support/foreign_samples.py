"""Mail and files Mailseal cannot open, built as the real ones are (docs/display.md, "Mail that Mailseal
cannot open"). Microsoft's formats follow what Exchange Online sends: the wrapper mail with a
*Read the message* link and `message.rpmsg` (`Content-Class: rpmsg.message`), and the legacy
`message.html` with *view your encrypted message*."""

from __future__ import annotations

import email.message
import email.policy
import os

PORTAL = "https://outlook.office365.com/Encryption/retrieve.ashx?recipientemailaddress=bob%40gmail.com&type=OME"


def _mail(subject: str) -> email.message.EmailMessage:
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"], message["To"], message["Subject"] = "alice@contoso.com", "bob@gmail.com", subject
    return message


def microsoft_rpmsg() -> bytes:
    """An Office 365 Message Encryption mail as Outlook on the web receives it from outside."""
    message = _mail("Encrypted: contract")
    message["Content-Class"] = "rpmsg.message"
    message.set_content("alice@contoso.com has sent you a protected message.\n\nRead the message: " + PORTAL + "\n")
    message.add_alternative(
        f'<p>alice@contoso.com has sent you a protected message.</p><p><a href="https://evil.example/x">Help</a> '
        f'<a href="{PORTAL}">Read the message</a></p>', subtype="html")
    message.add_attachment(os.urandom(2048), maintype="application", subtype="x-microsoft-rpmsg-message",
                           filename="message.rpmsg")
    return message.as_bytes()


def microsoft_legacy_html() -> bytes:
    """The legacy OME mail: a message.html attachment, 'To view your encrypted message…'."""
    message = _mail("Encrypted message")
    message.set_content("You have received an encrypted message from alice@contoso.com.\n"
                        "To view your encrypted message, open the attachment message.html.\n")
    page = (
        "<html><body><p>To view your encrypted message, click Continue.</p>"
        '<form action="https://outlook.office365.com/Encryption/PostHandler.ashx" method="post">'
        '<input type="hidden" name="Payload" value="' + "A" * 400 + '"><button>Continue</button></form>'
        "</body></html>"
    )
    message.add_attachment(page.encode(), maintype="text", subtype="html", filename="message.html")
    return message.as_bytes()


def smime_encrypted() -> bytes:
    message = _mail("Salaries")
    message.set_content(os.urandom(1500), maintype="application", subtype="pkcs7-mime",
                        params={"smime-type": "enveloped-data", "name": "smime.p7m"},
                        disposition="attachment", filename="smime.p7m")
    return message.as_bytes()


def pgp_encrypted() -> bytes:
    message = _mail("Plans")
    message.make_mixed()
    message.replace_header("Content-Type", 'multipart/encrypted; protocol="application/pgp-encrypted"')
    version = email.message.EmailMessage(policy=email.policy.SMTP)
    version.set_content(b"Version: 1\n", maintype="application", subtype="pgp-encrypted")
    armored = email.message.EmailMessage(policy=email.policy.SMTP)
    armored.set_content(b"-----BEGIN PGP MESSAGE-----\n\nhQEMA0nC1w==\n-----END PGP MESSAGE-----\n",
                        maintype="application", subtype="octet-stream", filename="encrypted.asc")
    message.attach(version)
    message.attach(armored)
    return message.as_bytes()


def outlook_msg() -> bytes:
    """The start of an Outlook .msg: an OLE2 compound file whose directory names `__substg1.0_` streams."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    directory = "__substg1.0_0037001F".encode("utf-16-le").ljust(128, b"\x00")
    return header + directory * 8 + os.urandom(4096)


def zip_file() -> bytes:
    return b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + os.urandom(3000)


def random_bytes() -> bytes:
    return b"\x00\x01" + os.urandom(6000)
