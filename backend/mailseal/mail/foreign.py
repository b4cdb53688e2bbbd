"""Mail and files Mailseal cannot open, recognised so that a person is told what they are.

Two questions, asked wherever mail comes in (share, file picker, forward address, relay, `mailseal
protect`): is this an e-mail message at all (an Outlook `.msg`, a `.zip`, a PDF, random bytes are not),
and is it protected by someone else (Microsoft 365 Message Encryption, S/MIME, OpenPGP)? Each answer is
an error from `errors.py` whose detail is one fixed sentence: it never echoes the mail.
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy
import re
from urllib.parse import urlsplit

from mailseal.errors import ForeignMail, ForeignMicrosoft, ForeignPgp, ForeignSmime, NotEmail

SNIFF_BYTES = 8192
MAX_PARTS = 200
MAX_TEXT_SCAN = 512 * 1024
# Microsoft 365 Message Encryption's portal, worldwide and in the national clouds.
MICROSOFT_PORTAL_HOSTS = frozenset({
    "outlook.office365.com", "outlook.office.com", "outlook.office365.us", "outlook.office365.de",
    "partner.outlook.cn",
})
# The *Read the message* link; the legacy message.html posts a form instead, which no link can open.
PORTAL_PATH = "/encryption/retrieve.ashx"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MSG_STREAM = "__substg1.0_".encode("utf-16-le")
_FILE_KINDS: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "This is a .zip archive, not an e-mail message."),
    (b"PK\x05\x06", "This is an empty .zip archive, not an e-mail message."),
    (b"%PDF-", "This is a PDF document, not an e-mail message."),
    (b"\x1f\x8b", "This is a compressed (.gz) file, not an e-mail message."),
    (b"Rar!", "This is a .rar archive, not an e-mail message."),
    (b"7z\xbc\xaf\x27\x1c", "This is a .7z archive, not an e-mail message."),
    (b"\x89PNG", "This is a PNG image, not an e-mail message."),
    (b"\xff\xd8\xff", "This is a JPEG image, not an e-mail message."),
    (b"\x78\x9f\x3e\x22", "This is an Outlook winmail.dat (TNEF) file, not an e-mail message."),
)
_STARTS_LIKE_MAIL = re.compile(rb"(?:From [^\r\n]*\r?\n)?[\x21-\x39\x3b-\x7e]{1,200}:")
_URL = re.compile(rb"""https://[^\s"'<>()\\]{1,2000}""", re.IGNORECASE)
_MICROSOFT_WORDS = (b"view your encrypted message", b"encryption/retrieve.ashx", b"office 365 message encryption",
                    b"microsoft 365 message encryption", b"rpmsg.message", b"message.rpmsg")

SENTENCE_MICROSOFT = ("This message was protected with Microsoft 365 Message Encryption. Open it in Outlook or "
                      "with the link in the mail (Microsoft's encryption portal); Mailseal cannot open it.")
SENTENCE_SMIME = ("This message is encrypted with S/MIME for a key Mailseal does not hold. Open it in the mail "
                  "app that has the recipient's certificate.")
SENTENCE_PGP = ("This message is encrypted with OpenPGP for a key Mailseal does not hold. Open it with the "
                "recipient's OpenPGP key (for example in Thunderbird).")


def not_email(data: bytes) -> NotEmail | None:
    """What a file that is not an e-mail message is, or None when it may be one."""
    head = data[:SNIFF_BYTES]
    if head.startswith(OLE2_MAGIC):
        if _MSG_STREAM in data[: 4 * 1024 * 1024]:
            return NotEmail("This is an Outlook .msg file, not an e-mail message. In Outlook, forward the "
                            "message itself, or save it as .eml.")
        return NotEmail("This is a Microsoft Office file, not an e-mail message.")
    for magic, sentence in _FILE_KINDS:
        if head.startswith(magic):
            return NotEmail(sentence)
    if _STARTS_LIKE_MAIL.match(head):
        return None  # a header line first: mail (a binary part further on is its business)
    if b"\x00" in head or (head and _binary_share(head) > 0.3):
        return NotEmail("This file holds binary data, not an e-mail message.")
    return None


def _binary_share(head: bytes) -> float:
    """The share of bytes that are control characters other than tab, line ends and form feed."""
    control = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    return control / len(head)


def microsoft_portal_link(data: bytes) -> str:
    """The first https link in `data` to Microsoft's encryption portal (its *Read the message* page), or ""."""
    for match in _URL.finditer(data[:MAX_TEXT_SCAN]):
        url = match.group(0).decode("ascii", "replace").replace("&amp;", "&")
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        if (parts.scheme == "https" and (parts.hostname or "") in MICROSOFT_PORTAL_HOSTS and not parts.username
                and parts.path.lower() == PORTAL_PATH):
            return url
    return ""


def foreign_protection(data: bytes) -> ForeignMail | None:
    """The protection another system put on this mail, or None. Reads at most `MAX_PARTS` parts."""
    try:
        message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(data)
    except Exception:
        return None
    seen = 0
    for part in message.walk():
        seen += 1
        if seen > MAX_PARTS:
            break
        found = _part_protection(part)
        if found is not None:
            return found if not isinstance(found, ForeignMicrosoft) else ForeignMicrosoft(
                SENTENCE_MICROSOFT, open_url=microsoft_portal_link(_decoded_texts(message)))
    lowered = data[:MAX_TEXT_SCAN].lower()
    if any(word in lowered for word in _MICROSOFT_WORDS[:3]) or b"-----begin pgp message-----" in lowered:
        texts = _decoded_texts(message).lower()
        if any(word in texts for word in _MICROSOFT_WORDS):
            return ForeignMicrosoft(SENTENCE_MICROSOFT, open_url=microsoft_portal_link(_decoded_texts(message)))
        if b"-----begin pgp message-----" in texts:
            return ForeignPgp(SENTENCE_PGP)
    return None


def _part_protection(part: email.message.Message) -> ForeignMail | None:
    kind = part.get_content_type()
    try:
        name = str(part.get_filename() or "").lower()
    except Exception:
        name = ""
    content_class = str(part.get("content-class", "")).strip().lower()
    if content_class == "rpmsg.message" or name == "message.rpmsg" or kind in (
        "application/x-microsoft-rpmsg-message", "application/vnd.ms-rpmsg"
    ):
        return ForeignMicrosoft(SENTENCE_MICROSOFT)
    if kind in ("application/pkcs7-mime", "application/x-pkcs7-mime") or name.endswith(".p7m"):
        smime_type = str(part.get_param("smime-type") or "").lower()
        if "signed-data" not in smime_type and "certs-only" not in smime_type:
            return ForeignSmime(SENTENCE_SMIME)
    if kind == "multipart/encrypted" or kind == "application/pgp-encrypted":
        return ForeignPgp(SENTENCE_PGP)
    return None


def _decoded_texts(message: email.message.Message) -> bytes:
    """The decoded text and HTML parts, for words and links (quoted-printable would break them)."""
    out = bytearray()
    for seen, part in enumerate(message.walk()):
        if seen > MAX_PARTS or len(out) > MAX_TEXT_SCAN:
            break
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                out += payload[:MAX_TEXT_SCAN] + b"\n"
    return bytes(out)


def refuse_foreign_or_not_email(data: bytes) -> None:
    """Raise the error that explains `data`, when it is not mail or is mail protected by someone else."""
    refusal: NotEmail | ForeignMail | None = not_email(data) or foreign_protection(data)
    if refusal is not None:
        raise refusal
