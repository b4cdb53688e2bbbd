"""Attack class: mail to addresses that are not ours. The inbound listener accepts only live forward addresses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mailseal.messages.forward_addresses import TOKEN_ALPHABET, TOKEN_LENGTH
from support.mail_listeners import INBOUND_DOMAIN, MailStack, mail_stack, plain_mail, smtp_alive, smtp_send


@pytest.fixture
async def stack(data_dir: Path) -> AsyncIterator[MailStack]:
    async with mail_stack(data_dir) as running:
        yield running


@pytest.mark.parametrize(
    ("recipient", "code"),
    [
        (f"{'a' * TOKEN_LENGTH}@{INBOUND_DOMAIN}", 550),  # the right shape, but nobody's
        (f"postmaster@{INBOUND_DOMAIN}", 550),
        ("bob@partner.example", 550),  # not our domain: we are not a relay either
        (f"{'a' * TOKEN_LENGTH}@sub.{INBOUND_DOMAIN}", 550),
        ("no-at-sign", 553),
    ],
)
async def test_unknown_addresses_are_refused_at_rcpt(stack: MailStack, recipient: str, code: int) -> None:
    sent = await smtp_send(stack.inbound_port, plain_mail(), recipients=[recipient])
    assert [reply.code for reply in sent.rcpts] == [code]
    assert sent.data is None
    assert await smtp_alive(stack.inbound_port)


async def test_one_forward_address_per_mail(stack: MailStack) -> None:
    first = await stack.forward.address_for(["bob@partner.example"])
    second = await stack.forward.address_for(["carol@else.example"])
    assert first and second and first != second
    sent = await smtp_send(stack.inbound_port, plain_mail(), recipients=[first, first.upper(), second])
    assert [reply.code for reply in sent.rcpts] == [250, 250, 452]


@pytest.mark.engines
async def test_a_person_keeps_one_address_and_can_regenerate_it(stack: MailStack) -> None:
    forward = stack.forward
    address = await forward.address_for(["Bob@Partner.example"])
    assert address is not None
    token = address.split("@")[0]
    assert len(token) == TOKEN_LENGTH and set(token) <= set(TOKEN_ALPHABET)
    # Same person, a second verified address: same forward address, now owned by both.
    assert await forward.address_for(["bob@partner.example", "bob@home.example"]) == address
    assert await forward.owners(address) == ("bob@partner.example", "bob@home.example")
    assert await forward.address_for(["bob@home.example"]) == address
    assert await forward.address_for([]) is None
    new = await forward.regenerate(["bob@home.example"])
    assert new != address
    assert await forward.owners(address) is None
    assert await forward.owners(new) == ("bob@partner.example", "bob@home.example")
    assert await forward.address_for(["bob@partner.example"]) == new
    sent = await smtp_send(stack.inbound_port, plain_mail(), recipients=[address])
    assert [reply.code for reply in sent.rcpts] == [550]
    sent = await smtp_send(stack.inbound_port, plain_mail(), recipients=[new.upper()])
    assert [reply.code for reply in sent.rcpts] == [250]


async def test_tokens_are_not_guessable_by_shape(stack: MailStack) -> None:
    addresses = {await stack.forward.address_for([f"user{number}@example.net"]) for number in range(50)}
    assert len(addresses) == 50
    assert all(address and address.endswith(f"@{INBOUND_DOMAIN}") for address in addresses)
