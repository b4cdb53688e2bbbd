"""Outgoing mail and the embedded transport: a Maildir folder that a person (or `/dev/outbox`) can read.

A `Transport` returns from `deliver` only once the mail is durable, so a caller may acknowledge the
work that produced it. The Maildir outbox writes to `tmp/`, fsyncs, links into `new/` and fsyncs the
folder: a reader never sees half a file, and a crash never loses an acknowledged mail.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import os
import re
import secrets
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import msgspec

from mailseal.config import Settings
from mailseal.errors import InputError, NotFound

if TYPE_CHECKING:
    from mailseal.storage import Store

TRACE_RETURN_PATH = b"Return-Path"
TRACE_ENVELOPE_TO = b"X-Mailseal-Envelope-To"
MAX_RECIPIENTS = 100

# An envelope address as it travels in MAIL FROM / RCPT TO: no spaces, no brackets, no controls.
_ENVELOPE_ADDRESS = re.compile(r"[^\s<>()\[\],;:\\\"@\x00-\x1f\x7f-\x9f]+@[^\s<>()\[\],;:\\\"@\x00-\x1f\x7f-\x9f]+")
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,200}")


class OutgoingMail(msgspec.Struct, frozen=True):
    """One mail to send: the SMTP envelope and a complete RFC 5322 message with CRLF line ends."""

    mail_from: str
    recipients: tuple[str, ...]
    message: bytes

    def __post_init__(self) -> None:
        if self.mail_from and not _ENVELOPE_ADDRESS.fullmatch(self.mail_from):
            raise InputError("The sender address of an outgoing mail is not valid")
        if not self.recipients or len(self.recipients) > MAX_RECIPIENTS:
            raise InputError("An outgoing mail needs between 1 and 100 recipients")
        for recipient in self.recipients:
            if not _ENVELOPE_ADDRESS.fullmatch(recipient):
                raise InputError("A recipient address of an outgoing mail is not valid")
        if not self.message:
            raise InputError("An outgoing mail needs a message")


class Transport(Protocol):
    """Where outgoing mail goes. `deliver` returns only once the mail is durable."""

    async def start(self) -> None: ...

    async def deliver(self, mail: OutgoingMail) -> None: ...

    async def stop(self) -> None: ...


class OutboxEntry(msgspec.Struct, frozen=True):
    """One mail in the outbox, as the dev viewer lists it (no body)."""

    key: str
    mail_from: str
    recipients: tuple[str, ...]
    subject: str
    size: int
    written_at: int


class MaildirOutbox:
    """The embedded default transport: each mail becomes one file in `<path>/new/`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    async def start(self) -> None:
        await asyncio.to_thread(self._create_folders)

    async def stop(self) -> None:
        return None

    async def deliver(self, mail: OutgoingMail) -> None:
        await asyncio.to_thread(self.write, mail)

    def write(self, mail: OutgoingMail) -> str:
        """Write one mail durably and return its key (its file name in `new/`)."""
        self._create_folders()
        key = _unique_name()
        tmp = self.path / "tmp" / key
        data = trace_headers(mail) + _crlf(mail.message)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            # link, not rename: a clash fails instead of replacing another mail.
            os.link(tmp, self.path / "new" / key)
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_folder(self.path / "new")
        return key

    def list(self) -> list[OutboxEntry]:
        """Every mail in the outbox, newest first."""
        entries = []
        for folder in ("new", "cur"):
            directory = self.path / folder
            if not directory.is_dir():
                continue
            for file in directory.iterdir():
                if file.is_file() and _KEY.fullmatch(file.name.split(":", 1)[0]):
                    entries.append(_entry(file))
        entries.sort(key=lambda entry: (entry.written_at, entry.key), reverse=True)
        return entries

    def read(self, key: str) -> bytes:
        """The stored file of one mail: trace headers, then the message exactly as it would be sent."""
        return self._find(key).read_bytes()

    def read_mail(self, key: str) -> OutgoingMail:
        """One stored mail as it was handed to `deliver` (trace headers removed)."""
        return parse_traced(self.read(key))

    def _find(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise NotFound("No such mail in the outbox")
        for folder in ("new", "cur"):
            directory = self.path / folder
            exact = directory / key
            if exact.is_file():
                return exact
            if directory.is_dir():
                for file in directory.glob(f"{key}:*"):
                    return file
        raise NotFound("No such mail in the outbox")

    def _create_folders(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)  # 0700 whatever the umask
        for folder in ("tmp", "new", "cur"):
            (self.path / folder).mkdir(parents=True, exist_ok=True, mode=0o700)


def make_transport(settings: Settings, store: Store, *, outbox_path: Path | None = None,
                   poll: float = 30.0) -> Transport:
    """SMTP when `smtp_url` is set (its sender looks for due mail at least every `poll` seconds), else the
    Maildir outbox (`outbox_path`, default `<data>/outbox`).

    The caller runs `start()` at startup and `stop()` at shutdown.
    """
    if settings.smtp_url:
        from mailseal.mail.smtp_queue import SmtpQueue

        domain = settings.mail_from.rpartition("@")[2]
        return SmtpQueue(store, settings.smtp_url, local_hostname=domain if "." in domain else None,
                         lease=settings.mail_queue_lease_seconds, poll=poll)
    return MaildirOutbox(outbox_path or settings.data_path / "outbox")


def trace_headers(mail: OutgoingMail) -> bytes:
    """`Return-Path` and one `X-Mailseal-Envelope-To` per recipient, so a reader sees the envelope."""
    lines = [TRACE_RETURN_PATH + b": <" + mail.mail_from.encode("utf-8") + b">\r\n"]
    for recipient in mail.recipients:
        lines.append(TRACE_ENVELOPE_TO + b": " + recipient.encode("utf-8") + b"\r\n")
    return b"".join(lines)


def parse_traced(data: bytes) -> OutgoingMail:
    """Split a stored outbox file back into its envelope and message."""
    mail_from = ""
    recipients: list[str] = []
    seen_return_path = False
    rest = data
    while True:
        line, sep, after = rest.partition(b"\n")
        name, colon, value = line.rstrip(b"\r").partition(b":")
        if not sep or not colon:
            break
        if name == TRACE_RETURN_PATH and not seen_return_path and not recipients:
            seen_return_path = True
            mail_from = value.strip().strip(b"<>").decode("utf-8")
        elif name == TRACE_ENVELOPE_TO:
            recipients.append(value.strip().decode("utf-8"))
        else:
            break
        rest = after
    return OutgoingMail(mail_from=mail_from, recipients=tuple(recipients), message=rest)


def _entry(file: Path) -> OutboxEntry:
    data = file.read_bytes()
    mail = parse_traced(data)
    headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(mail.message)
    try:
        subject = str(headers.get("Subject", ""))
    except Exception:  # a stored mail with a broken header must not break the listing
        subject = ""
    return OutboxEntry(
        key=file.name.split(":", 1)[0],
        mail_from=mail.mail_from,
        recipients=mail.recipients,
        subject=subject,
        size=len(mail.message),
        written_at=int(file.stat().st_mtime),
    )


def _unique_name() -> str:
    """A Maildir unique name: time, microseconds, process id, random part, host."""
    now = time.time()
    host = re.sub(r"[^A-Za-z0-9.\-]", "_", socket.gethostname()) or "localhost"
    return f"{int(now)}.M{int(now % 1 * 1e6):06d}P{os.getpid()}R{secrets.token_hex(8)}.{host}"


def _crlf(message: bytes) -> bytes:
    """Normalise line ends to CRLF, as the message would be sent."""
    return message.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


def _fsync_folder(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
