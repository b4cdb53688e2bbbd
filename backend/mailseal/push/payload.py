"""What a push carries, and its RFC 8291 encryption.

The payload says only that a protected message arrived: its id and kind, generic text, and the
Declarative Web Push shape (iOS/iPadOS 18.4+ show it without running the service worker). Never a
subject, sender, body or address (DESIGN invariant 1). It is padded with JSON whitespace to a fixed
size before encryption, so the ciphertext length is the same for every push.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Final, Literal, cast

import http_ece
import msgspec
from cryptography.hazmat.primitives.asymmetric import ec

from mailseal.errors import ConfigError, InputError

Kind = Literal["message", "reply"]
KINDS: Final = ("message", "reply")

PAYLOAD_VERSION: Final = 1
PAYLOAD_SIZE: Final = 1024  # room for a long public_url; far below the 4 KiB push services accept
DECLARATIVE_PUSH: Final = 8030  # the `web_push` magic of a declarative push message (RFC 8030)
RECORD_SIZE: Final = 4096
# 86-octet aes128gcm header (salt, rs, idlen, 65-octet key id) + payload + delimiter + 16-octet tag.
BODY_SIZE: Final = 86 + PAYLOAD_SIZE + 1 + 16

# Generic words only, the same as the PWA's service worker shows (pwa/modules/sw-notify.js).
WORDS: Final = {
    "message": ("New protected message", "Open Mailseal to read it."),
    "reply": ("New reply", "Someone replied to a protected message. Open Mailseal to read it."),
}
TOPIC_LABEL: Final = b"mailseal/push/topic/v1\x00"
MAX_MESSAGE_ID: Final = 64
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class DeclarativeNotification(msgspec.Struct, frozen=True):
    title: str
    navigate: str
    body: str
    tag: str


class MailsealPart(msgspec.Struct, frozen=True):
    v: int
    id: str
    kind: str


class PushPayload(msgspec.Struct, frozen=True):
    web_push: int
    notification: DeclarativeNotification
    mailseal: MailsealPart


def check_message_id(message_id: str) -> str:
    """Message ids go into a URL path and a tag: URL-safe characters only, bounded length."""
    if not isinstance(message_id, str) or not _MESSAGE_ID.fullmatch(message_id):
        raise InputError("A message id is 1-64 URL-safe characters")
    return message_id


def build_payload(message_id: str, kind: Kind, public_url: str) -> bytes:
    """The plaintext of one push, exactly `PAYLOAD_SIZE` octets."""
    check_message_id(message_id)
    if kind not in KINDS:
        raise InputError("A push kind is 'message' or 'reply'")
    title, body = WORDS[kind]
    payload = PushPayload(
        web_push=DECLARATIVE_PUSH,
        notification=DeclarativeNotification(
            title=title,
            navigate=f"{public_url.rstrip('/')}/m/{message_id}",
            body=body,
            # The tag the service worker uses too, so either path replaces, never doubles, a notification.
            tag=f"mailseal-{message_id}",
        ),
        mailseal=MailsealPart(v=PAYLOAD_VERSION, id=message_id, kind=kind),
    )
    encoded = msgspec.json.encode(payload)
    if len(encoded) > PAYLOAD_SIZE:
        raise ConfigError("public_url is too long to fit in a push payload")
    # Trailing whitespace is valid JSON, so every parser (service worker, iOS) reads the same object.
    return encoded + b" " * (PAYLOAD_SIZE - len(encoded))


def check_public_url(public_url: str) -> str:
    """Fail at start, not at the first push, when the URL cannot fit the fixed payload size."""
    for kind in KINDS:
        build_payload("x" * MAX_MESSAGE_ID, kind, public_url)
    return public_url


def topic(message_id: str) -> str:
    """RFC 8030 Topic: a hash of the message id (32 base64url characters), so a re-sent push replaces."""
    digest = hashlib.sha256(TOPIC_LABEL + message_id.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")


def encrypt(
    plaintext: bytes,
    p256dh: bytes,
    auth: bytes,
    *,
    salt: bytes | None = None,
    sender_key: ec.EllipticCurvePrivateKey | None = None,
) -> bytes:
    """RFC 8291 aes128gcm body for one subscription; `salt` and `sender_key` are fresh unless given (vectors)."""
    key = sender_key or ec.generate_private_key(ec.SECP256R1())
    return cast(
        bytes,
        http_ece.encrypt(
            plaintext, salt=salt, private_key=key, dh=p256dh, auth_secret=auth, rs=RECORD_SIZE, version="aes128gcm"
        ),
    )
