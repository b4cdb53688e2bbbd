"""DKIM: every mail Mailseal sends is signed when a key is configured, and verifies against its DNS record."""

from __future__ import annotations

import base64
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mailseal.config import Settings
from mailseal.errors import ConfigError
from mailseal.mail.dkim import DkimSigner
from support.mail_listeners import SEAL_SECURE, mail_stack, plain_mail, smtp_send

SELECTOR = "mail2026"
DOMAIN = "example.org"


def rsa_key(folder: Path) -> tuple[Path, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / "dkim.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def verifies(message: bytes, record: bytes) -> bool:
    def dns(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode() else None

    return bool(dkim.verify(message, dnsfunc=dns))


async def test_wrapper_and_passed_on_mails_are_signed(data_dir: Path, tmp_path: Path) -> None:
    key_file, record = rsa_key(tmp_path)
    async with mail_stack(data_dir, rules=SEAL_SECURE, dkim_selector=SELECTOR, dkim_domain=DOMAIN,
                          dkim_key_file=str(key_file)) as stack:
        for subject in ("[secure] sealed", "plain"):
            sent = await smtp_send(stack.relay_port, plain_mail(subject))
            assert sent.data is not None and sent.data.code == 250
        mails = stack.mails()
    assert len(mails) == 2
    for mail in mails:
        assert mail.message.startswith(b"DKIM-Signature: ")
        assert f"d={DOMAIN}".encode() in mail.message[:600] and f"s={SELECTOR}".encode() in mail.message[:600]
        assert verifies(mail.message, record)
        tampered = mail.message.replace(b"Subject: ", b"Subject: Re: ", 1)
        assert not verifies(tampered, record)


def test_dkim_settings_must_be_complete_and_the_key_usable(tmp_path: Path) -> None:
    assert DkimSigner.from_settings(Settings()) is None
    with pytest.raises(ConfigError, match="go together"):
        DkimSigner.from_settings(Settings(dkim_selector=SELECTOR, dkim_domain=DOMAIN))
    with pytest.raises(ConfigError, match="cannot be read"):
        DkimSigner.from_settings(Settings(dkim_selector=SELECTOR, dkim_domain=DOMAIN,
                                          dkim_key_file=str(tmp_path / "missing.pem")))
    (tmp_path / "bad.pem").write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ConfigError):
        DkimSigner.from_settings(Settings(dkim_selector=SELECTOR, dkim_domain=DOMAIN,
                                          dkim_key_file=str(tmp_path / "bad.pem")))
    key_file, _ = rsa_key(tmp_path)
    with pytest.raises(ConfigError, match="DNS names"):
        DkimSigner.from_settings(Settings(dkim_selector="bad selector", dkim_domain=DOMAIN,
                                          dkim_key_file=str(key_file)))


async def test_a_passed_on_mail_dkimpy_cannot_read_still_goes_unsigned(data_dir: Path, tmp_path: Path) -> None:
    key_file, _ = rsa_key(tmp_path)
    async with mail_stack(data_dir, dkim_selector=SELECTOR, dkim_domain=DOMAIN, dkim_key_file=str(key_file)) as stack:
        odd = b"garbage without a header line\r\n"
        sent = await smtp_send(stack.relay_port, odd)
        assert sent.data is not None and sent.data.code == 250
        (mail,) = stack.mails()
    assert mail.message.endswith(odd) and b"DKIM-Signature" not in mail.message
