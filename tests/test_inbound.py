"""Forwarding the wrapper mail to a personal Mailseal address: the inbound listener over real SMTP."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mailseal.composition import open_instance
from mailseal.mail.extract import ARMOR_BEGIN
from mailseal.messages.protect import protect
from mailseal.templates import policy_for
from support.mail_listeners import (
    SEAL_SECURE,
    MailStack,
    forward_as_attachment,
    forward_inline,
    mail_stack,
    plain_mail,
    relay_and_take_wrapper,
    smtp_alive,
    smtp_send,
    stack_settings,
)

BOB = "bob@partner.example"


@pytest.fixture
async def stack(data_dir: Path) -> AsyncIterator[MailStack]:
    async with mail_stack(data_dir, rules=SEAL_SECURE) as running:
        yield running


async def inbox_via(stack: MailStack, address: str, message_id: str) -> str | None:
    row = await stack.instance.store.engine.fetch_one(
        "SELECT via FROM inbox WHERE address = ? AND message_id = ?", (address, message_id)
    )
    return None if row is None else str(row["via"])


async def forget_inbox_row(stack: MailStack, address: str, message_id: str) -> None:
    async with stack.instance.store.engine.transaction() as conn:
        await conn.execute("DELETE FROM inbox WHERE address = ? AND message_id = ?", (address, message_id))


@pytest.mark.engines
@pytest.mark.parametrize("forward", [forward_as_attachment, forward_inline], ids=["attachment", "inline"])
async def test_a_forwarded_wrapper_lands_in_the_owners_inbox(stack: MailStack, forward: object) -> None:
    message_id, wrapper = await relay_and_take_wrapper(stack, to=BOB)
    address = await stack.forward.address_for([BOB, "bob.private@mail.example"])
    assert address is not None and address.endswith("@in.mailseal.test")
    # The seal put it in Bob's inbox already; take it out to see that the forward brings it back.
    await forget_inbox_row(stack, BOB, message_id)
    assert callable(forward)
    data = forward(wrapper, sender="bob.private@mail.example", to=address)
    outbox_before = len(stack.outbox.list())
    sent = await smtp_send(stack.inbound_port, data, mail_from="bob.private@mail.example", recipients=[address])
    assert sent.data is not None and sent.data.code == 250, sent
    assert "added to the Mailseal inbox" in sent.data.text
    assert await inbox_via(stack, BOB, message_id) == "forward"
    # Sent again: still 250, nothing doubled, no mail sent by us.
    sent = await smtp_send(stack.inbound_port, data, mail_from="bob.private@mail.example", recipients=[address])
    assert sent.data is not None and sent.data.code == 250
    rows = await stack.instance.store.engine.fetch_all("SELECT address FROM inbox WHERE message_id = ?", (message_id,))
    assert [row["address"] for row in rows] == [BOB]
    assert len(stack.outbox.list()) == outbox_before


async def test_a_mail_without_a_sealed_message_is_refused_at_data(stack: MailStack) -> None:
    address = await stack.forward.address_for([BOB])
    assert address is not None
    sent = await smtp_send(stack.inbound_port, plain_mail("Fwd: hello", "no attachment here\r\n"),
                           recipients=[address])
    assert sent.rcpts[0].code == 250
    assert sent.data is not None and sent.data.code == 550
    assert "No protected Mailseal message was found" in sent.data.text
    assert stack.outbox.list() == []  # refused in the session: no bounce mail from us
    assert await smtp_alive(stack.inbound_port)


@pytest.mark.engines
async def test_a_message_for_someone_else_is_refused(stack: MailStack) -> None:
    message_id, wrapper = await relay_and_take_wrapper(stack, to=BOB)
    carol = await stack.forward.address_for(["carol@else.example"])
    assert carol is not None
    sent = await smtp_send(stack.inbound_port, forward_as_attachment(wrapper, sender="carol@else.example", to=carol),
                           recipients=[carol])
    assert sent.data is not None and sent.data.code == 550
    assert "not sent to the owner of this Mailseal address" in sent.data.text
    assert await inbox_via(stack, "carol@else.example", message_id) is None


@pytest.mark.engines
async def test_a_revoked_message_says_so(stack: MailStack) -> None:
    message_id, wrapper = await relay_and_take_wrapper(stack, to=BOB)
    address = await stack.forward.address_for([BOB])
    assert address is not None
    await stack.instance.keys.revoke(message_id, actor="test")
    sent = await smtp_send(stack.inbound_port, forward_as_attachment(wrapper, sender=BOB, to=address),
                           recipients=[address])
    assert sent.data is not None and sent.data.code == 550
    assert "revoked by the sender" in sent.data.text


async def test_a_changed_envelope_is_refused(stack: MailStack) -> None:
    _, wrapper = await relay_and_take_wrapper(stack, to=BOB)
    address = await stack.forward.address_for([BOB])
    assert address is not None
    # Change one byte of the envelope inside the attachment (decode, flip, encode again).
    start = wrapper.index(b"filename=\"message.html\"")
    head, _, rest = wrapper[start:].partition(b"\r\n\r\n")
    body, boundary, tail = rest.partition(b"\r\n--")
    html = bytearray(base64.b64decode(body))
    armor_at = html.index(ARMOR_BEGIN) + len(ARMOR_BEGIN) + 120
    html[armor_at] = ord("A") if html[armor_at] != ord("A") else ord("B")
    changed = wrapper[:start] + head + b"\r\n\r\n" + base64.encodebytes(bytes(html)).replace(b"\n", b"\r\n")
    changed += boundary + tail
    sent = await smtp_send(stack.inbound_port, forward_as_attachment(changed, sender=BOB, to=address),
                           recipients=[address])
    assert sent.data is not None and sent.data.code in (550, 554)
    assert "damaged" in sent.data.text or "could not be read" in sent.data.text


async def test_a_message_sealed_elsewhere_is_refused(stack: MailStack, tmp_path: Path) -> None:
    other = await open_instance(stack_settings(tmp_path / "other"))
    try:
        sealed = await protect(other.messages, io.BytesIO(plain_mail()), sender="alice@example.org",
                               recipients=[BOB], policy=policy_for("encrypt-only", expires_days=None, now=time.time()),
                               actor="test")
        with other.blobs.open(sealed.message_id) as handle:
            envelope = handle.read()
    finally:
        await other.close()
    address = await stack.forward.address_for([BOB])
    assert address is not None
    data = (b"From: bob@partner.example\r\nTo: " + address.encode() + b"\r\nSubject: raw\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(envelope).replace(b"\n", b"\r\n"))
    sent = await smtp_send(stack.inbound_port, data, recipients=[address])
    assert sent.data is not None and sent.data.code == 550
    assert "not sealed here" in sent.data.text


def nested(wrapper: bytes, depth: int) -> bytes:
    data = wrapper
    for level in range(depth):
        data = forward_as_attachment(data, sender=f"hop{level}@mail.example", to="x@in.mailseal.test")
    return data


async def test_limits_on_forwarded_mail(data_dir: Path) -> None:
    async with mail_stack(data_dir, rules=SEAL_SECURE, max_message_bytes=256 * 1024) as stack:
        message_id, wrapper = await relay_and_take_wrapper(stack, to=BOB)
        address = await stack.forward.address_for([BOB])
        assert address is not None
        await forget_inbox_row(stack, BOB, message_id)
        too_deep = await smtp_send(stack.inbound_port, nested(wrapper, 12), recipients=[address])
        assert too_deep.data is not None and too_deep.data.code == 552
        assert "nested too deeply" in too_deep.data.text
        big = plain_mail("Fwd", ("b" * 900 + "\r\n") * 2000)  # 1.8 MB: over 2 x 256 KiB + 1 MiB
        too_big = await smtp_send(stack.inbound_port, big, recipients=[address])
        assert too_big.data is not None and too_big.data.code == 552
        crowded = plain_mail("Fwd", extra=[(f"X-H{number}", "v") for number in range(600)])
        too_many = await smtp_send(stack.inbound_port, crowded, recipients=[address])
        assert too_many.data is not None and too_many.data.code == 554
        assert await inbox_via(stack, BOB, message_id) is None
        within = await smtp_send(stack.inbound_port, nested(wrapper, 3), recipients=[address])
        assert within.data is not None and within.data.code == 250
        assert await inbox_via(stack, BOB, message_id) == "forward"
