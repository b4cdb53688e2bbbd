"""Mailseal between two real Postfix instances, configured as docs/deploy.md says.

The organisation's Postfix takes mail on its submission listener and hands it to Mailseal's relay as an
after-queue content filter (`content_filter = mailseal:[127.0.0.1]:RELAY`); Mailseal sends wrappers,
passcode mails and unsealed mail back through a second listener of that Postfix (`smtp_url`), which
has no filter and delivers them. A second Postfix plays the outside world: the recipient's provider
(a Maildir per address) and the MX of the forward-address domain, which it relays to Mailseal's
inbound listener by a transport map. DKIM is checked by dkimpy's verifier against the published key.
"""

from __future__ import annotations

import base64
import smtplib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import dkim
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mailseal.mail.extract import find_envelopes
from support.live_server import LiveServer, free_port, live_server
from support.mail_listeners import SEAL_SECURE, forward_as_attachment, plain_mail
from support.postfix import (
    MAILSEAL_TRANSPORT,
    RETURN_LISTENER,
    SUBMISSION,
    PostfixInstance,
    parse,
    postfix_available,
    wait_for_mail,
)
from support.secrets import remember

pytestmark = [pytest.mark.slow, pytest.mark.skipif(postfix_available() is not None,
                                                   reason=postfix_available() or "")]

RECIPIENT_DOMAIN = "recipient.test"
INBOUND_DOMAIN = "in.mailseal.test"
SELECTOR, DKIM_DOMAIN = "mail2026", "example.org"
MAILBOXES = ("bob", "carol", "dave", "erin")
SECRET = "The merger closes on Friday."
remember(SECRET)

@dataclass
class Stack:
    """The organisation's Postfix, Mailseal, and the outside world's Postfix, wired together."""

    org: PostfixInstance
    world: PostfixInstance
    data: Path
    mailseal_settings: dict[str, str]
    dkim_record: bytes
    exits: ExitStack = field(default_factory=ExitStack)
    mailseal: LiveServer | None = None
    _mailseal_exit: ExitStack | None = None

    def start_mailseal(self) -> None:
        self._mailseal_exit = ExitStack()
        self.mailseal = self._mailseal_exit.enter_context(live_server(self.data, **self.mailseal_settings))

    def stop_mailseal(self) -> None:
        assert self._mailseal_exit is not None
        self._mailseal_exit.close()
        self.mailseal = None

    def mailbox(self, name: str) -> Path:
        return self.world.mail / f"{name}@{RECIPIENT_DOMAIN}"

    def submit(self, raw: bytes, *, sender: str = "alice@example.org", to: str) -> None:
        """A sender's mail program submitting to the organisation's Postfix."""
        with smtplib.SMTP("127.0.0.1", self.org.port, local_hostname="laptop.example.org", timeout=10) as smtp:
            smtp.sendmail(sender, [to], raw)

    def dkim_verifies(self, raw: bytes) -> bool:
        def dns(name: bytes, timeout: int = 5) -> bytes | None:
            return self.dkim_record if name == f"{SELECTOR}._domainkey.{DKIM_DOMAIN}.".encode() else None

        return bool(dkim.verify(crlf(raw), dnsfunc=dns))


def crlf(raw: bytes) -> bytes:
    """A Maildir keeps LF line ends; on the wire, and for DKIM, they are CRLF."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def dkim_key(folder: Path) -> tuple[Path, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / "dkim.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("postfix-mta")
    data = folder / "data"
    data.mkdir()
    (data / "rules.toml").write_text(SEAL_SECURE, encoding="utf-8")
    key_file, record = dkim_key(folder)
    relay_port, inbound_port, back_port = free_port(), free_port(), free_port()
    world = PostfixInstance(
        "world", mailbox_domains=[RECIPIENT_DOMAIN],
        main={"relay_domains": INBOUND_DOMAIN, "transport_maps": "texthash:$config_directory/transport"},
        services=["127.0.0.1:PORT inet n - n - - smtpd"],
    )
    org = PostfixInstance(
        "org", main={"myhostname": "mail.example.org", "transport_maps": "texthash:$config_directory/transport"},
        services=[SUBMISSION.format(relay=relay_port), MAILSEAL_TRANSPORT, RETURN_LISTENER.format(back=back_port)],
    )
    with ExitStack() as exits:
        for instance, routes in (
            (world, {INBOUND_DOMAIN: f"smtp:[127.0.0.1]:{inbound_port}"}),
            (org, dict.fromkeys((RECIPIENT_DOMAIN, INBOUND_DOMAIN), f"smtp:[127.0.0.1]:{world.port}")),
        ):
            for name in MAILBOXES if instance is world else ():
                instance.mailbox(f"{name}@{RECIPIENT_DOMAIN}")
            instance.write_table("transport", routes)
        pool = exits.enter_context(ThreadPoolExecutor(2))  # a start or a stop is mostly waiting
        exits.callback(lambda: list(pool.map(PostfixInstance.stop, (world, org))))
        list(pool.map(PostfixInstance.start, (world, org)))
        settings = {
            "relay_port": str(relay_port), "inbound_port": str(inbound_port), "inbound_domain": INBOUND_DOMAIN,
            "smtp_url": f"smtp://127.0.0.1:{back_port}?starttls=false", "mail_from": "no-reply@example.org",
            "org_domains": "example.org", "dkim_selector": SELECTOR, "dkim_domain": DKIM_DOMAIN,
            "dkim_key_file": str(key_file),
        }
        stack = Stack(org=org, world=world, data=data, mailseal_settings=settings, dkim_record=record)
        stack.start_mailseal()
        exits.callback(lambda: stack.stop_mailseal() if stack.mailseal else None)
        yield stack


def test_sealed_mail_reaches_the_recipient_as_a_signed_wrapper(stack: Stack) -> None:
    started = time.monotonic()
    stack.submit(plain_mail("[secure] Project Dawn", SECRET + "\r\n", to=f"bob@{RECIPIENT_DOMAIN}"),
                 to=f"bob@{RECIPIENT_DOMAIN}")
    [raw] = wait_for_mail(stack.mailbox("bob"), 1, log=stack.org.log_text() + stack.world.log_text())
    wrapper = parse(raw)
    assert wrapper["From"].addresses[0].addr_spec == "no-reply@example.org"
    assert SECRET.encode() not in raw
    assert [part.get_filename() for part in wrapper.iter_attachments()] == ["message.html"]
    assert len(find_envelopes(crlf(raw))) == 1
    assert stack.dkim_verifies(raw), "the wrapper's DKIM signature does not verify after two Postfix hops"
    tampered = raw.replace(b"Project Dawn", b"Project Dusk")
    assert tampered != raw and not stack.dkim_verifies(tampered)
    stack.org.wait_for_empty_queue()
    print(f"sealed through Postfix in {time.monotonic() - started:.1f}s")


def test_unmatched_mail_passes_unchanged(stack: Stack) -> None:
    to = f"carol@{RECIPIENT_DOMAIN}"
    original = plain_mail("Lunch", "Grüße, see you at noon.\r\n", to=to,
                          extra=[("Content-Transfer-Encoding", "8bit"), ("X-Custom", "kept  as  is")])
    stack.submit(original, to=to)
    [raw] = wait_for_mail(stack.mailbox("carol"), 1, log=stack.org.log_text())
    lf_original = original.replace(b"\r\n", b"\n")
    assert raw.endswith(lf_original), "the mail changed on its way"
    added = parse(raw[: -len(lf_original)] + b"\n")
    assert {name.lower() for name in added.keys()} <= {
        "return-path", "x-original-to", "delivered-to", "received", "dkim-signature"}
    # The organisation's Postfix, Mailseal's relay, the organisation's Postfix again, the provider.
    assert sum(1 for name in added.keys() if name.lower() == "received") == 4
    assert stack.dkim_verifies(raw)


def test_a_forwarded_wrapper_reaches_the_inbox_through_the_mx(stack: Stack) -> None:
    address = f"dave@{RECIPIENT_DOMAIN}"
    stack.submit(plain_mail("[secure] Forward me", SECRET + "\r\n", to=address), to=address)
    [wrapper] = wait_for_mail(stack.mailbox("dave"), 1, log=stack.org.log_text())
    assert stack.mailseal is not None
    with httpx.Client(base_url=stack.mailseal.url, timeout=10) as http:
        token = http.get("/healthz").cookies["csrftoken"]
        headers = {"x-csrftoken": token, "cookie": f"csrftoken={token}"}
        assert http.post("/api/auth/code", json={"email": address}, headers=headers).status_code == 202
        # The passcode mail, too, went Mailseal → the organisation's Postfix → the recipient's provider.
        _, passcode_mail = wait_for_mail(stack.mailbox("dave"), 2, log=stack.org.log_text())
        code = next(word for word in parse(passcode_mail).get_body(("plain",)).get_content().split()  # type: ignore[union-attr]
                    if word.isdigit() and len(word) == 8)
        remember(code)
        verified = http.post("/api/auth/verify", json={"email": address, "code": code}, headers=headers)
        assert verified.status_code == 200, verified.text
        session = {**headers, "cookie": f"csrftoken={token}; __Host-mailseal={verified.cookies['__Host-mailseal']}"}
        forward_address = verified.json()["forwardAddress"]
        assert forward_address.endswith("@" + INBOUND_DOMAIN)
        # Dave forwards the wrapper from his provider; its MX for the forward domain relays to Mailseal.
        forwarded = forward_as_attachment(crlf(wrapper), sender=address, to=forward_address)
        with smtplib.SMTP("127.0.0.1", stack.world.port, local_hostname="phone.recipient.test", timeout=10) as smtp:
            smtp.sendmail(address, [forward_address], forwarded)
        stack.world.wait_for_empty_queue()
        inbox = http.get("/api/messages", headers=session).json()["messages"]
    inbound_port = stack.mailseal_settings["inbound_port"]
    delivered = [line for line in stack.world.log_text().splitlines()
                 if f"to=<{forward_address}>" in line and f"relay=127.0.0.1[127.0.0.1]:{inbound_port}" in line]
    assert delivered and all("status=sent (250" in line for line in delivered), delivered
    assert len(list((stack.mailbox("dave") / "new").iterdir())) == 2, "a bounce came back"
    assert [item["subject"] for item in inbox] == ["[secure] Forward me"]


def test_mailseal_down_postfix_defers_and_delivers_after_restart(stack: Stack) -> None:
    stack.stop_mailseal()
    mails = [(f"erin@{RECIPIENT_DOMAIN}", plain_mail(f"[secure] While down {n}", SECRET + "\r\n",
                                                     to=f"erin@{RECIPIENT_DOMAIN}")) for n in range(2)]
    mails.append((f"erin@{RECIPIENT_DOMAIN}", plain_mail("Plain while down", "hello\r\n",
                                                         to=f"erin@{RECIPIENT_DOMAIN}")))
    for to, raw in mails:
        stack.submit(raw, to=to)
    stack.org.wait_for_deferred(len(mails))
    assert "connect to 127.0.0.1" in stack.org.log_text() and "status=deferred" in stack.org.log_text()
    assert not (stack.mailbox("erin") / "new").exists() or not list((stack.mailbox("erin") / "new").iterdir())
    started = time.monotonic()
    stack.start_mailseal()
    stack.org.flush()
    delivered = wait_for_mail(stack.mailbox("erin"), len(mails), log=stack.org.log_text())
    stack.org.wait_for_empty_queue()
    time.sleep(0.5)
    assert len(list((stack.mailbox("erin") / "new").iterdir())) == len(mails), "a mail arrived twice"
    subjects = sorted(str(parse(raw)["Subject"]) for raw in delivered)
    assert "Plain while down" in subjects
    wrappers = [raw for raw in delivered if b"message.html" in raw]
    assert len(wrappers) == 2
    assert all(len(find_envelopes(crlf(raw))) == 1 and stack.dkim_verifies(raw) for raw in wrappers)
    print(f"delivered {len(mails)} deferred mails {time.monotonic() - started:.1f}s after the restart")
