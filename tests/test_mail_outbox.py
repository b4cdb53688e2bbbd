"""The Maildir outbox: complete files in new/, readable by the stdlib and by the dev viewer."""

from __future__ import annotations

import asyncio
import email
import email.policy
import mailbox
from pathlib import Path

import pytest

from mailseal.errors import InputError, NotFound
from mailseal.mail import MaildirOutbox, OutgoingMail


def a_mail(subject: str = "Hello", *recipients: str) -> OutgoingMail:
    to = recipients or ("bob@example.org",)
    message = (
        f"From: no-reply@example.org\r\nTo: {', '.join(to)}\r\nSubject: {subject}\r\n\r\nBody line\r\n".encode()
    )
    return OutgoingMail(mail_from="no-reply@example.org", recipients=tuple(to), message=message)


async def test_deliver_writes_a_complete_file_in_new(tmp_path: Path) -> None:
    outbox = MaildirOutbox(tmp_path / "outbox")
    mail = a_mail("Hello", "bob@example.org", "carol@example.net")
    await outbox.deliver(mail)

    [file] = list((tmp_path / "outbox" / "new").iterdir())
    assert list((tmp_path / "outbox" / "tmp").iterdir()) == []
    assert (tmp_path / "outbox" / "cur").is_dir()
    data = file.read_bytes()
    assert data.endswith(mail.message)
    assert data.startswith(b"Return-Path: <no-reply@example.org>\r\n")
    assert data.count(b"X-Mailseal-Envelope-To: ") == 2
    assert file.stat().st_mode & 0o777 == 0o600


async def test_stdlib_maildir_reads_it(tmp_path: Path) -> None:
    outbox = MaildirOutbox(tmp_path / "outbox")
    await outbox.deliver(a_mail("Stdlib", "bob@example.org", "carol@example.net"))
    box = mailbox.Maildir(tmp_path / "outbox", factory=None, create=False)
    [key] = box.keys()
    message = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
    assert message["Subject"] == "Stdlib"
    assert message.get_all("X-Mailseal-Envelope-To") == ["bob@example.org", "carol@example.net"]
    assert message["Return-Path"] == "<no-reply@example.org>"


async def test_list_and_read_for_the_dev_viewer(tmp_path: Path) -> None:
    outbox = MaildirOutbox(tmp_path / "outbox")
    for i in range(3):
        await outbox.deliver(a_mail(f"Mail {i}", f"r{i}@example.org"))
    entries = outbox.list()
    assert sorted(entry.subject for entry in entries) == ["Mail 0", "Mail 1", "Mail 2"]
    for entry in entries:
        stored = outbox.read_mail(entry.key)
        assert stored.recipients == entry.recipients
        assert stored.mail_from == "no-reply@example.org"
        assert stored.message == a_mail(entry.subject, *entry.recipients).message
        assert outbox.read(entry.key).endswith(stored.message)


async def test_concurrent_deliveries_get_distinct_files(tmp_path: Path) -> None:
    outbox = MaildirOutbox(tmp_path / "outbox")
    await asyncio.gather(*(outbox.deliver(a_mail(f"Mail {i}")) for i in range(20)))
    assert len(outbox.list()) == 20


async def test_read_refuses_paths_and_unknown_keys(tmp_path: Path) -> None:
    outbox = MaildirOutbox(tmp_path / "outbox")
    await outbox.start()
    (tmp_path / "secret").write_text("no")
    for key in ("../secret", "../../etc/passwd", "", ".hidden", "new/x", "nope"):
        with pytest.raises(NotFound):
            outbox.read(key)


async def test_a_file_moved_to_cur_by_a_reader_is_still_found(tmp_path: Path) -> None:
    outbox = MaildirOutbox(tmp_path / "outbox")
    key = outbox.write(a_mail("Seen"))
    (tmp_path / "outbox" / "new" / key).rename(tmp_path / "outbox" / "cur" / f"{key}:2,S")
    assert [entry.key for entry in outbox.list()] == [key]
    assert outbox.read_mail(key).message == a_mail("Seen").message


def test_outgoing_mail_refuses_bad_envelopes() -> None:
    message = b"Subject: x\r\n\r\nx\r\n"
    for recipients in ((), ("bob@example.org\r\nRCPT TO:<eve@example.org>",), ("no-at-sign",),
                       ("a@b@c",), ("<bob@example.org>",), ("bob @example.org",)):
        with pytest.raises(InputError):
            OutgoingMail(mail_from="no-reply@example.org", recipients=recipients, message=message)
    with pytest.raises(InputError):
        OutgoingMail(mail_from="x\r\n@example.org", recipients=("bob@example.org",), message=message)
    with pytest.raises(InputError):
        OutgoingMail(mail_from="no-reply@example.org", recipients=("bob@example.org",), message=b"")
    bounce = OutgoingMail(mail_from="", recipients=("bob@example.org",), message=message)
    assert bounce.mail_from == ""


async def test_list_is_newest_first(tmp_path: Path) -> None:
    outbox = MaildirOutbox(tmp_path / "outbox")
    keys = [outbox.write(a_mail(f"Mail {i}")) for i in range(12)]
    assert [entry.key for entry in outbox.list()] == keys[::-1]
    assert outbox.list()[0].subject == "Mail 11"
