"""Mail Mailseal cannot open is recognised and explained, through every way in: the app's upload (share
and file picker), the forward address (550 with the same sentence), the relay (an Outlook .msg sent
as a mail used to get "500 Line too long") and `mailseal protect` (it sealed a .msg and showed its
binary as text)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from support.foreign_samples import (
    PORTAL,
    microsoft_legacy_html,
    microsoft_rpmsg,
    outlook_msg,
    pgp_encrypted,
    random_bytes,
    smime_encrypted,
    zip_file,
)
from support.mail_listeners import SEAL_SECURE, MailStack, mail_stack, smtp_alive, smtp_send
from support.mailseal_app import running_app

BOB = "bob@partner.example"

CASES: list[tuple[str, Callable[[], bytes], int, str, str]] = [
    ("microsoft-rpmsg", microsoft_rpmsg, 422, "envelope.foreign-microsoft", "Microsoft 365 Message Encryption"),
    ("microsoft-legacy", microsoft_legacy_html, 422, "envelope.foreign-microsoft", "Microsoft 365 Message Encryption"),
    ("smime", smime_encrypted, 422, "envelope.foreign-smime", "encrypted with S/MIME"),
    ("pgp", pgp_encrypted, 422, "envelope.foreign-pgp", "encrypted with OpenPGP"),
    ("msg", outlook_msg, 415, "input.not-email", "This is an Outlook .msg file, not an e-mail message."),
    ("zip", zip_file, 415, "input.not-email", "This is a .zip archive, not an e-mail message."),
    ("random", random_bytes, 415, "input.not-email", "This file holds binary data, not an e-mail message."),
]


@pytest.mark.parametrize(("make", "status", "code", "sentence"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_an_upload_is_explained(tmp_path: Path, make: Callable[[], bytes], status: int, code: str,
                                      sentence: str) -> None:
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        response = await app.post("/api/messages", files={"file": ("shared", make(), "application/octet-stream")})
        assert response.status_code == status, response.text
        problem = response.json()
        assert problem["code"] == code and sentence in problem["detail"]
        if make is microsoft_rpmsg:  # the portal link, never the other (non-Microsoft) link in the mail
            assert problem["openUrl"] == PORTAL
        elif make is microsoft_legacy_html:
            assert "openUrl" not in problem  # a form action is no link to open
        else:
            assert "openUrl" not in problem


@pytest.fixture
async def stack(data_dir: Path) -> AsyncIterator[MailStack]:
    async with mail_stack(data_dir, rules=SEAL_SECURE) as running:
        yield running


@pytest.mark.parametrize(("make", "sentence"), [(c[1], c[4]) for c in CASES[:4]], ids=[c[0] for c in CASES[:4]])
async def test_the_forward_address_answers_550_with_the_same_sentence(stack: MailStack, make: Callable[[], bytes],
                                                                      sentence: str) -> None:
    address = await stack.forward.address_for([BOB])
    assert address is not None
    sent = await smtp_send(stack.inbound_port, make(), recipients=[address])
    assert sent.data is not None and sent.data.code == 550, sent
    assert sentence in " ".join(sent.data.text.split())
    assert stack.outbox.list() == []


@pytest.mark.parametrize(("make", "sentence"), [(c[1], c[4]) for c in CASES[4:]], ids=[c[0] for c in CASES[4:]])
async def test_the_relay_refuses_a_file_that_is_no_mail_in_one_line(stack: MailStack, make: Callable[[], bytes],
                                                                    sentence: str) -> None:
    sent = await smtp_send(stack.relay_port, make())
    assert sent.data is not None and sent.data.code == 554, sent
    assert sentence in " ".join(sent.data.text.split()) and "Line too long" not in sent.data.text
    assert stack.mails() == []
    assert await smtp_alive(stack.relay_port)


def test_protect_refuses_an_outlook_msg_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run = [sys.executable, "-m", "mailseal", "--data", str(data)]
    subprocess.run([*run, "keys", "init"], check=True, capture_output=True)
    source = tmp_path / "contract.msg"
    source.write_bytes(outlook_msg())
    result = subprocess.run([*run, "protect", str(source), "--from", "alice@example.org", "--to", "bob@gmail.com",
                             "-o", str(tmp_path / "message.html")], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "mailseal: This is an Outlook .msg file, not an e-mail message. In Outlook, forward the message itself, "
        "or save it as .eml. [input.not-email]"
    ]
    assert not (tmp_path / "message.html").exists()
