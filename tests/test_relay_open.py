"""Attack class: using the relay as an open relay. Only allowed networks, or SMTP AUTH (TLS or loopback)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.smtp import Envelope, LoginPassword, Session

from mailseal.mail.relay import RelayAccess, RelayHandler, Submission
from mailseal.mail.relay_users import RelayUsers, hash_password
from support.mail_listeners import HOST, SEAL_SECURE, mail_stack, plain_mail, smtp_send
from support.secrets import remember
from support.smtp_sink import SelfSignedCert

ELSEWHERE = ("10.0.0.0/8",)  # the test client (127.0.0.1) is outside


def users_file(folder: Path, login: str = "mailer", password: str = "correct horse") -> Path:
    remember(password)
    path = folder / "relay-users"
    path.write_text(f"# relay users\n{login}:{hash_password(password)}\n", encoding="utf-8")
    return path


async def raw_session(port: int, lines: list[bytes]) -> list[bytes]:
    """Send commands one by one and collect each reply line (the last line of a multi-line reply)."""
    reader, writer = await asyncio.open_connection(HOST, port)
    replies = [await reader.readline()]
    try:
        for line in lines:
            writer.write(line + b"\r\n")
            await writer.drain()
            while True:
                reply = await reader.readline()
                if reply[3:4] != b"-":
                    break
            replies.append(reply)
    finally:
        writer.close()
        await writer.wait_closed()
    return replies


async def test_a_client_outside_relay_networks_is_refused_at_rcpt(data_dir: Path) -> None:
    async with mail_stack(data_dir, rules=SEAL_SECURE, relay_networks=ELSEWHERE) as stack:
        sent = await smtp_send(stack.relay_port, plain_mail(), recipients=["bob@partner.example", "x@example.org"])
        assert [reply.code for reply in sent.rcpts] == [554, 554]
        assert "Relay access denied" in sent.rcpts[0].text
        assert sent.data is None
        replies = await raw_session(stack.relay_port, [
            b"EHLO attacker.example", b"MAIL FROM:<spam@attacker.example>", b"RCPT TO:<victim@gmail.com>", b"DATA",
        ])
        assert replies[2].startswith(b"250")
        assert replies[3].startswith(b"554 5.7.1")
        assert replies[4].startswith(b"503")  # no recipient, no DATA
        assert stack.mails() == []


async def test_auth_is_not_offered_without_relay_users(data_dir: Path) -> None:
    async with mail_stack(data_dir, relay_networks=ELSEWHERE) as stack:
        sent = await smtp_send(stack.relay_port, plain_mail())
        assert "AUTH" not in sent.ehlo.upper()
        replies = await raw_session(stack.relay_port, [b"EHLO client.example", b"AUTH PLAIN AGJvYgBib2I="])
        assert replies[2][:1] == b"5"
        assert stack.mails() == []


async def test_an_authenticated_user_may_relay_from_loopback(data_dir: Path, tmp_path: Path) -> None:
    users = users_file(tmp_path)
    async with mail_stack(data_dir, rules=SEAL_SECURE, relay_networks=ELSEWHERE,
                          relay_users_file=str(users)) as stack:
        sent = await smtp_send(stack.relay_port, plain_mail(), login=("mailer", "correct horse"))
        assert "AUTH" in sent.ehlo.upper()
        assert sent.data is not None and sent.data.code == 250
        (mail,) = stack.mails()
        assert b"with ESMTPA;" in mail.message.split(b"\r\nFrom:", 1)[0]
        sent = await smtp_send(stack.relay_port, plain_mail("[secure] x"), login=("mailer", "correct horse"))
        assert sent.data is not None and "sealed" in sent.data.text
        (record,) = await stack.instance.keys.list_records()
        audit = await stack.instance.keys.audit(record.message_id)
        assert audit[0].actor == "relay:mailer"


@pytest.mark.parametrize("login", [("mailer", "wrong"), ("nobody", "correct horse")])
async def test_wrong_credentials_are_refused_and_do_not_open_the_relay(
    data_dir: Path, tmp_path: Path, login: tuple[str, str]
) -> None:
    users = users_file(tmp_path)
    async with mail_stack(data_dir, relay_networks=ELSEWHERE, relay_users_file=str(users)) as stack:
        with pytest.raises(aiosmtplib.SMTPAuthenticationError) as refused:
            await smtp_send(stack.relay_port, plain_mail(), login=login)
        assert refused.value.code == 535
        sent = await smtp_send(stack.relay_port, plain_mail())
        assert [reply.code for reply in sent.rcpts] == [554]
        assert stack.mails() == []


async def test_auth_over_starttls(data_dir: Path, tmp_path: Path) -> None:
    cert = SelfSignedCert()
    (tmp_path / "cert.pem").write_bytes(cert.cert_pem)
    (tmp_path / "key.pem").write_bytes(cert.key_pem)
    users = users_file(tmp_path)
    async with mail_stack(data_dir, relay_networks=ELSEWHERE, relay_users_file=str(users),
                          relay_tls_cert_file=str(tmp_path / "cert.pem"),
                          relay_tls_key_file=str(tmp_path / "key.pem")) as stack:
        sent = await smtp_send(stack.relay_port, plain_mail(), login=("mailer", "correct horse"),
                               tls_context=cert.client_context())
        assert sent.data is not None and sent.data.code == 250
        (mail,) = stack.mails()
        assert b"with ESMTPSA;" in mail.message.split(b"\r\nFrom:", 1)[0]


def test_a_broken_users_file_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "users"
    path.write_text("ok:" + hash_password("pw") + "\nbroken line\n", encoding="utf-8")
    from mailseal.errors import ConfigError

    with pytest.raises(ConfigError, match="line 2"):
        RelayUsers.load(path)


SMTP_NONE: Any = None  # the hooks do not use the protocol object
_CLOSED_LOOP = asyncio.new_event_loop()
_CLOSED_LOOP.close()  # aiosmtpd's Session only keeps a reference to its loop


def _session(peer: tuple[str | int, ...], *, tls: bool = False, authenticated: bool = False) -> Session:
    session = Session(_CLOSED_LOOP)
    session.peer = peer  # type: ignore[assignment]  # typed as str in aiosmtpd; it is the peername tuple
    session.ssl = {"cipher": "TLS_AES_128_GCM_SHA256"} if tls else None
    session.authenticated = authenticated
    return session


def test_who_may_authenticate_and_who_may_relay(tmp_path: Path) -> None:
    users = RelayUsers.load(users_file(tmp_path))
    access = RelayAccess(["192.0.2.0/24", "2001:db8::/32"], users)
    remote = ("198.51.100.7", 40000)
    assert not access.may_authenticate(_session(remote))  # AUTH over plain text on a network: never
    assert access.may_authenticate(_session(remote, tls=True))
    assert access.may_authenticate(_session(("127.0.0.1", 40000)))
    assert access.may_authenticate(_session(("::1", 40000, 0, 0)))
    assert not access.allows(_session(remote))
    assert access.allows(_session(remote, authenticated=True))
    assert access.allows(_session(("192.0.2.9", 1)))
    assert access.allows(_session(("::ffff:192.0.2.9", 1, 0, 0)))
    assert access.allows(_session(("2001:db8::1", 1, 0, 0)))
    assert not access.allows(_session(("127.0.0.1", 1)))
    assert not RelayAccess(["192.0.2.0/24"], None).may_authenticate(_session(("127.0.0.1", 1), tls=True))


async def test_ehlo_lists_auth_only_where_it_may_be_used(tmp_path: Path) -> None:
    users = RelayUsers.load(users_file(tmp_path))

    async def never(_: Submission) -> Any:
        raise AssertionError("not reached")

    handler = RelayHandler(never, RelayAccess(list(ELSEWHERE), users), hostname="example.org")
    lines = ["250-example.org", "250-SIZE 100", "250-AUTH LOGIN PLAIN", "250 HELP"]
    remote = _session(("198.51.100.7", 40000))
    assert await handler.handle_EHLO(SMTP_NONE, remote, Envelope(), "c.example", list(lines)) == [
        "250-example.org", "250-SIZE 100", "250 HELP"
    ]
    assert remote.host_name == "c.example"
    secure = _session(("198.51.100.7", 40000), tls=True)
    assert await handler.handle_EHLO(SMTP_NONE, secure, Envelope(), "c.example", list(lines)) == lines
    bad = handler.authenticate(SMTP_NONE, remote, Envelope(), "PLAIN",
                               LoginPassword(b"mailer", b"correct horse"))
    assert not bad.success  # right password, but not over TLS from a network
