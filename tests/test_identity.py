"""The identity service on a real SQLite file: passcodes, limits, sessions and devices."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mailseal.errors import (
    ClientRateLimited,
    CodeExpired,
    ConfigError,
    InvalidCode,
    LongCodeNeeded,
    NotFound,
    NotSignedIn,
    TooManyTries,
)
from mailseal.identity import IdentityService, Limits, SessionGrant
from mailseal.identity.passcode import LABEL_ADDRESS, LABEL_PASSCODE, derive_key, keyed_name, passcode_mac
from mailseal.storage import Store
from mailseal.storage.sqlite_engine import migration_scripts
from support.store import sqlite_store

SECRET = bytes(range(32))
T0 = 1_800_000_000.0
PHONE = "Chrome on Android"


@dataclass(frozen=True)
class Sent:
    address: str
    code: str
    reference: str
    expires_minutes: int
    language: str = "en"


@dataclass
class Outbox:
    """The in-test PasscodeSender: records every mail the mail room would queue."""

    sent: list[Sent] = field(default_factory=list)

    async def __call__(self, address: str, code: str, reference: str, expires_minutes: int,
                       language: str = "en") -> None:
        self.sent.append(Sent(address, code, reference, expires_minutes, language))

    def last(self) -> Sent:
        return self.sent[-1]


@dataclass
class Clock:
    now: float = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Store]:
    database = await sqlite_store(tmp_path / "db.sqlite")
    yield database
    await database.close()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(db: Store, outbox: Outbox, clock: Clock) -> IdentityService:
    return IdentityService(db, secret=SECRET, send_passcode=outbox, clock=clock)


async def sign_in(
    service: IdentityService,
    outbox: Outbox,
    address: str,
    *,
    client: str = "198.51.100.7",
    session_id: str | None = None,
    device: str = PHONE,
) -> SessionGrant:
    await service.request_code(address, client=client)
    return await service.verify_code(
        address, outbox.last().code, client=client, session_id=session_id, device_name=device
    )


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**8:08d}"


# Passcodes


async def test_right_code_signs_in(service: IdentityService, outbox: Outbox, clock: Clock) -> None:
    reference = await service.request_code("  Alice@Example.ORG ", client="198.51.100.7")
    assert len(outbox.sent) == 1
    mail = outbox.last()
    assert (mail.address, mail.reference, mail.expires_minutes) == ("alice@example.org", reference, 10)
    assert len(mail.code) == 8 and mail.code.isdigit()
    assert len(reference) == 4

    grant = await service.verify_code(
        "alice@example.org", mail.code[:4] + " " + mail.code[4:], client="x", session_id=None, device_name=PHONE
    )
    assert grant.session.addresses == ("alice@example.org",)
    assert grant.session.expires_at == int(T0) + 336 * 3600
    assert len(grant.session_id) >= 43
    assert await service.get_session(grant.session_id) == grant.session
    assert "session_id=<redacted>" in repr(grant) and grant.session_id not in repr(grant)


async def test_wrong_code_is_refused_and_the_right_one_still_works(service: IdentityService, outbox: Outbox) -> None:
    await service.request_code("alice@example.org", client="c")
    code = outbox.last().code
    for attempt in (wrong(code), "not a code", ""):
        with pytest.raises(InvalidCode) as info:
            await service.verify_code("alice@example.org", attempt, client="c", session_id=None, device_name=PHONE)
        assert info.value.code == "auth.invalid-code"
    grant = await service.verify_code("alice@example.org", code, client="c", session_id=None, device_name=PHONE)
    assert grant.session.addresses == ("alice@example.org",)


async def test_expired_code_is_refused(service: IdentityService, outbox: Outbox, clock: Clock) -> None:
    await service.request_code("alice@example.org", client="c")
    code = outbox.last().code
    clock.advance(10 * 60)
    for _ in range(2):
        with pytest.raises(CodeExpired):
            await service.verify_code("alice@example.org", code, client="c", session_id=None, device_name=PHONE)


async def test_code_works_until_just_before_expiry(service: IdentityService, outbox: Outbox, clock: Clock) -> None:
    await service.request_code("alice@example.org", client="c")
    clock.advance(10 * 60 - 1)
    await service.verify_code("alice@example.org", outbox.last().code, client="c", session_id=None, device_name=PHONE)


async def test_sixth_try_is_refused_even_with_the_right_code(service: IdentityService, outbox: Outbox) -> None:
    await service.request_code("alice@example.org", client="c")
    code = outbox.last().code
    for _ in range(5):
        with pytest.raises(InvalidCode):
            await service.verify_code("alice@example.org", wrong(code), client="c", session_id=None, device_name=PHONE)
    for _ in range(2):
        with pytest.raises(TooManyTries) as info:
            await service.verify_code("alice@example.org", code, client="c", session_id=None, device_name=PHONE)
        assert info.value.code == "auth.too-many-tries"
    # A new code starts afresh.
    grant = await sign_in(service, outbox, "alice@example.org")
    assert grant.session.addresses == ("alice@example.org",)


async def test_fifth_try_may_still_be_right(service: IdentityService, outbox: Outbox) -> None:
    await service.request_code("alice@example.org", client="c")
    code = outbox.last().code
    for _ in range(4):
        with pytest.raises(InvalidCode):
            await service.verify_code("alice@example.org", wrong(code), client="c", session_id=None, device_name=PHONE)
    await service.verify_code("alice@example.org", code, client="c", session_id=None, device_name=PHONE)


async def test_code_is_single_use(service: IdentityService, outbox: Outbox) -> None:
    await service.request_code("alice@example.org", client="c")
    code = outbox.last().code
    await service.verify_code("alice@example.org", code, client="c", session_id=None, device_name=PHONE)
    with pytest.raises(InvalidCode):
        await service.verify_code("alice@example.org", code, client="c", session_id=None, device_name=PHONE)


async def test_a_new_request_never_cancels_a_pending_code(service: IdentityService, outbox: Outbox) -> None:
    """Anyone may ask for a code for any address: that must not cancel the owner's pending one."""
    await service.request_code("alice@example.org", client="alice-phone")
    mine = outbox.last()
    await service.request_code("alice@example.org", client="mallory")
    theirs = outbox.last()
    assert mine.reference != theirs.reference or mine.code != theirs.code
    grant = await service.verify_code(
        "alice@example.org", mine.code, client="alice-phone", session_id=None, device_name=PHONE
    )
    assert grant.session.addresses == ("alice@example.org",)
    # The other code is still pending on its own: success used up only the code that matched.
    other = await service.verify_code("alice@example.org", theirs.code, client="x", session_id=None, device_name=PHONE)
    assert other.session.addresses == ("alice@example.org",)
    with pytest.raises(InvalidCode):
        await service.verify_code("alice@example.org", mine.code, client="x", session_id=None, device_name=PHONE)


async def test_pending_codes_per_address_are_bounded(service: IdentityService, outbox: Outbox, clock: Clock) -> None:
    for i in range(5):
        await service.request_code("alice@example.org", client=f"c{i}")
    assert len(outbox.sent) == 3, "at most three codes pending at once"
    first = outbox.sent[0]
    await service.verify_code("alice@example.org", first.code, client="c0", session_id=None, device_name=PHONE)
    await service.request_code("alice@example.org", client="c5")
    assert len(outbox.sent) == 4, "a used code makes room"
    clock.advance(10 * 60)
    for i in range(3):
        await service.request_code("alice@example.org", client=f"d{i}")
    assert len(outbox.sent) == 7, "expired codes make room"


async def test_code_is_bound_to_its_address(service: IdentityService, outbox: Outbox) -> None:
    await service.request_code("alice@example.org", client="c")
    code = outbox.last().code
    await service.request_code("bob@example.org", client="c")
    if outbox.last().code != code:
        with pytest.raises(InvalidCode):
            await service.verify_code("bob@example.org", code, client="c", session_id=None, device_name=PHONE)


async def test_any_address_behaves_the_same(service: IdentityService, outbox: Outbox) -> None:
    await sign_in(service, outbox, "known@example.org")
    answers = []
    for address in ("known@example.org", "never-seen@example.net"):
        before = len(outbox.sent)
        reference = await service.request_code(address, client=address)
        answers.append((type(reference), len(reference), len(outbox.sent) - before, outbox.last().address))
    assert answers[0][:3] == answers[1][:3] == (str, 4, 1)
    assert [a[3] for a in answers] == ["known@example.org", "never-seen@example.net"]

    refusals = []
    for address in ("quiet@example.org", "nobody@example.com"):
        with pytest.raises(InvalidCode) as info:
            await service.verify_code(address, "12345678", client=address, session_id=None, device_name=PHONE)
        refusals.append((type(info.value), info.value.code, info.value.status, info.value.detail))
    assert refusals[0] == refusals[1]


async def test_verify_without_a_request_is_a_wrong_code(service: IdentityService) -> None:
    with pytest.raises(InvalidCode):
        await service.verify_code("alice@example.org", "12345678", client="c", session_id=None, device_name=PHONE)


# Limits


async def test_send_limit_per_address_is_silent(service: IdentityService, outbox: Outbox, clock: Clock) -> None:
    for i in range(3):
        await service.request_code("alice@example.org", client=f"client-{i}")
    assert len(outbox.sent) == 3
    third = outbox.last()

    requested = await service.ask_for_code("alice@example.org", client="client-9")
    await requested.send()
    assert len(requested.reference) == 4 and requested.reference != third.reference
    assert requested.code_length == 8
    assert len(outbox.sent) == 3, "a fourth code while three are pending must not be mailed"
    # The silent refusal leaves the pending codes alone, so nobody can cancel someone else's sign-in, and
    # the newest mail works for whoever asked: the owner whose request mailed nothing signs in with it.
    grant = await service.verify_code(
        "alice@example.org", third.code, client="client-9", session_id=None, device_name=PHONE
    )
    assert grant.session.addresses == ("alice@example.org",)


async def test_mails_per_address_are_bounded_by_the_code_lifetime(
    service: IdentityService, outbox: Outbox, clock: Clock
) -> None:
    """Three codes live at most, so at most three mails per address per 10 minutes (432 a day)."""
    for minute in range(60):
        for i in range(4):
            await service.request_code("alice@example.org", client=f"c{minute}-{i}")
        clock.advance(60)
    assert len(outbox.sent) == 6 * 3


async def test_request_limit_per_client(service: IdentityService, outbox: Outbox, clock: Clock) -> None:
    for i in range(10):
        await service.request_code(f"user{i}@example.org", client="203.0.113.5")
    with pytest.raises(ClientRateLimited) as info:
        await service.request_code("user10@example.org", client="203.0.113.5")
    assert info.value.code == "rate-limited.client"
    assert info.value.status == 429
    assert info.value.retry_after == 15 * 60
    assert len(outbox.sent) == 10
    # Another client is not affected.
    await service.request_code("user10@example.org", client="203.0.113.6")

    clock.advance(info.value.retry_after - 1)
    with pytest.raises(ClientRateLimited) as again:
        await service.request_code("user10@example.org", client="203.0.113.5")
    assert again.value.retry_after == 1
    clock.advance(1)
    await service.request_code("user10@example.org", client="203.0.113.5")


async def test_others_wrong_guesses_never_spend_the_owners_tries(service: IdentityService, outbox: Outbox) -> None:
    await service.request_code("alice@example.org", client="alice-phone")
    code = outbox.last().code
    for _ in range(5):
        with pytest.raises(InvalidCode):
            await service.verify_code("alice@example.org", wrong(code), client="mallory", session_id=None,
                                      device_name=PHONE)
    with pytest.raises(TooManyTries):
        await service.verify_code("alice@example.org", code, client="mallory", session_id=None, device_name=PHONE)
    grant = await service.verify_code(
        "alice@example.org", code, client="alice-phone", session_id=None, device_name=PHONE
    )
    assert grant.session.addresses == ("alice@example.org",)


async def test_one_client_slows_down_on_one_address_only(service: IdentityService, clock: Clock) -> None:
    for _ in range(10):
        with pytest.raises(InvalidCode):
            await service.verify_code("alice@example.org", "12345678", client="m", session_id=None, device_name=PHONE)
        clock.advance(60)
    with pytest.raises(ClientRateLimited) as info:
        await service.verify_code("alice@example.org", "12345678", client="m", session_id=None, device_name=PHONE)
    assert info.value.retry_after == 24 * 3600 - 10 * 60
    # Another address for the same client, and the same address for another client, are not slowed.
    with pytest.raises(InvalidCode):
        await service.verify_code("bob@example.org", "12345678", client="m", session_id=None, device_name=PHONE)
    with pytest.raises(InvalidCode):
        await service.verify_code("alice@example.org", "12345678", client="n", session_id=None, device_name=PHONE)


async def guard(service: IdentityService, clock: Clock, address: str = "alice@example.org") -> None:
    """Twenty failed guesses at `address` from twenty clients, 20 seconds apart: it is guarded."""
    for i in range(20):
        with pytest.raises(InvalidCode):
            await service.verify_code(address, "12345678", client=f"guesser-{i}", session_id=None, device_name=PHONE)
        clock.advance(20)


async def test_many_failures_guard_the_address_with_long_codes(
    service: IdentityService, outbox: Outbox, clock: Clock
) -> None:
    """Twenty failures by anybody do not lock the owner out: codes for the address get 16 digits."""
    await service.request_code("alice@example.org", client="alice-laptop")
    short = outbox.last()
    await guard(service, clock)
    # 8-digit codes are checked for nobody now, the right one included, and no try is counted.
    for _ in range(3):
        with pytest.raises(LongCodeNeeded) as info:
            await service.verify_code(
                "alice@example.org", short.code, client="alice-laptop", session_id=None, device_name=PHONE
            )
        assert info.value.code == "auth.long-code-needed" and info.value.status == 401

    requested = await service.ask_for_code("alice@example.org", client="alice-phone")
    await requested.send()
    mail = outbox.last()
    assert requested.code_length == 16 == len(mail.code) and mail.code.isdigit()
    assert mail.reference == requested.reference
    # Any client may try a long code with the ordinary tries: nobody guesses 16 digits.
    with pytest.raises(InvalidCode):
        await service.verify_code(
            "alice@example.org", mail.code[:15] + str((int(mail.code[15]) + 1) % 10), client="elsewhere",
            session_id=None, device_name=PHONE,
        )
    grant = await service.verify_code(
        "alice@example.org", " ".join(mail.code[i:i + 4] for i in range(0, 16, 4)), client="alice-laptop",
        session_id=None, device_name=PHONE,
    )
    assert grant.session.addresses == ("alice@example.org",)
    # Other addresses are not affected.
    assert (await service.ask_for_code("bob@example.org", client="new")).code_length == 8
    assert len(outbox.last().code) == 8 or outbox.last().address == "alice@example.org"
    await sign_in(service, outbox, "bob@example.org", client="new")
    assert len(outbox.last().code) == 8

    # When the failures leave the 24-hour window the address gets 8-digit codes again.
    clock.advance(24 * 3600)
    assert (await service.ask_for_code("alice@example.org", client="alice-phone")).code_length == 8


async def test_an_attacker_who_keeps_the_address_guarded_cannot_keep_the_owner_out(
    service: IdentityService, outbox: Outbox, clock: Clock
) -> None:
    """For a day, fresh attacking clients keep the address guarded with wrong guesses and ask for codes
    as often as the limits let mails go out, so that the owner's own requests mail nothing. Each time,
    the owner asks on their phone, takes the code from the newest mail in their mailbox (asked for by
    the attacker), and signs in."""
    await guard(service, clock)
    step = 0
    for hour in range(24):
        for _ in range(12):  # every 5 minutes; the last time just before the owner asks
            step += 1
            for i in range(3):
                await service.request_code("alice@example.org", client=f"asker-{step}-{i}")
            with pytest.raises((InvalidCode, LongCodeNeeded)):
                await service.verify_code(
                    "alice@example.org", "1234567812345678" if step % 2 else "12345678",
                    client=f"guesser-{step}", session_id=None, device_name=PHONE,
                )
            clock.advance(5 * 60)
        for i in range(3):
            await service.request_code("alice@example.org", client=f"asker-{step}-late-{i}")
        mails_before = len(outbox.sent)
        requested = await service.ask_for_code("alice@example.org", client="alice-phone")
        await requested.send()
        assert len(outbox.sent) == mails_before, "the attacker filled the address's limit: nothing is mailed"
        newest = outbox.last()
        assert newest.reference != requested.reference
        assert requested.code_length == len(newest.code) == 16
        grant = await service.verify_code(
            "alice@example.org", newest.code, client="alice-phone", session_id=None, device_name=PHONE
        )
        assert grant.session.addresses == ("alice@example.org",), hour
    assert len(outbox.sent) <= (24 * 6 + 1) * 3 + 24, "three live codes: three mails per 10 minutes, one per use"


async def test_an_attacker_with_many_clients_gets_about_one_chance_in_a_million_a_day(
    service: IdentityService, outbox: Outbox, clock: Clock
) -> None:
    """A day of attack on one address from 1,000 clients: every 10 minutes the attacker asks for codes
    (keeping the most pending), and 10 of its clients guess: 8 digits while those are checked, else 16.
    The chance is the sum, over the guesses that were checked, of (codes of that shape alive then) /
    10^digits; the README says at most 20 * 3 checks of 8-digit codes, about 1 in 1,670,000."""
    mailed_at: list[tuple[float, int]] = []  # when each code was mailed, and its digits
    checked = {8: 0, 16: 0}
    chance = 0.0
    clients = [f"203.0.113.{i // 250}.{i % 250}" for i in range(1000)]
    turn = 0
    digits = 8
    for _ in range(24 * 6):
        for _ in range(3):
            before = len(outbox.sent)
            await service.request_code("alice@example.org", client=clients[turn % 1000])
            turn += 1
            mailed_at.extend((clock.now, len(mail.code)) for mail in outbox.sent[before:])
        for _ in range(10):
            try:
                await service.verify_code(
                    "alice@example.org", "1" * digits, client=clients[turn % 1000], session_id=None,
                    device_name=PHONE,
                )
            except InvalidCode:
                alive = sum(1 for at, d in mailed_at if d == digits and clock.now < at + 10 * 60)
                checked[digits] += alive
                chance += alive / 10**digits
            except LongCodeNeeded:
                digits = 16
            turn += 1
        clock.advance(10 * 60)
    assert checked[8] <= 20 * 3, checked
    assert checked[8] == 20 * 3 and checked[16] > 4000, checked
    assert chance <= 1 / 1_600_000, chance


async def test_failure_limit_per_client(service: IdentityService, clock: Clock) -> None:
    for i in range(50):
        with pytest.raises(InvalidCode):
            await service.verify_code(
                f"user{i}@example.org", "12345678", client="203.0.113.9", session_id=None, device_name=PHONE
            )
    with pytest.raises(ClientRateLimited) as info:
        await service.verify_code(
            "user50@example.org", "12345678", client="203.0.113.9", session_id=None, device_name=PHONE
        )
    assert info.value.retry_after == 3600
    with pytest.raises(InvalidCode):
        await service.verify_code(
            "user50@example.org", "12345678", client="203.0.113.10", session_id=None, device_name=PHONE
        )


async def test_expired_tries_do_not_count_as_failures(service: IdentityService, outbox: Outbox, clock: Clock) -> None:
    await service.request_code("alice@example.org", client="c")
    clock.advance(11 * 60)
    for _ in range(40):
        with pytest.raises(CodeExpired):
            await service.verify_code("alice@example.org", "12345678", client="c", session_id=None, device_name=PHONE)
    await sign_in(service, outbox, "alice@example.org", client="c")


async def test_concurrent_verifies_of_one_code_have_one_winner(service: IdentityService, outbox: Outbox) -> None:
    await service.request_code("alice@example.org", client="c")
    code = outbox.last().code
    results = await asyncio.gather(
        *(
            service.verify_code("alice@example.org", code, client=f"c{i}", session_id=None, device_name=PHONE)
            for i in range(5)
        ),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, SessionGrant)]
    losers = [r for r in results if not isinstance(r, SessionGrant)]
    assert len(winners) == 1
    assert len(losers) == 4 and all(isinstance(r, InvalidCode) for r in losers)


async def test_concurrent_verifies_across_two_connections_have_one_winner(
    tmp_path: Path, outbox: Outbox, clock: Clock
) -> None:
    """Two stores on one file stand for two processes: only SQLite's lock serialises them."""
    path = tmp_path / "db.sqlite"
    first, second = await sqlite_store(path), await sqlite_store(path)
    try:
        services = [IdentityService(db, secret=SECRET, send_passcode=outbox, clock=clock) for db in (first, second)]
        await services[0].request_code("alice@example.org", client="c")
        code = outbox.last().code
        results = await asyncio.gather(
            *(
                services[i % 2].verify_code("alice@example.org", code, client="c", session_id=None, device_name=PHONE)
                for i in range(6)
            ),
            return_exceptions=True,
        )
        assert sum(isinstance(r, SessionGrant) for r in results) == 1
        assert sum(isinstance(r, InvalidCode) for r in results) == 5
    finally:
        await first.close()
        await second.close()


async def test_counters_survive_reopening_the_database(tmp_path: Path, outbox: Outbox, clock: Clock) -> None:
    path = tmp_path / "db.sqlite"
    db = await sqlite_store(path)
    service = IdentityService(db, secret=SECRET, send_passcode=outbox, clock=clock)
    for i in range(10):
        await service.request_code("alice@example.org", client="203.0.113.5")
        if i < 5:
            with pytest.raises(InvalidCode):
                await service.verify_code(
                    "alice@example.org", wrong(outbox.last().code), client="x", session_id=None, device_name=PHONE
                )
    await db.close()

    db = await sqlite_store(path)
    try:
        service = IdentityService(db, secret=SECRET, send_passcode=outbox, clock=clock)
        with pytest.raises(ClientRateLimited):
            await service.request_code("bob@example.org", client="203.0.113.5")
        sent = len(outbox.sent)
        assert sent == 3
        await service.request_code("alice@example.org", client="other")
        assert len(outbox.sent) == sent, "the per-address send count survived too"
    finally:
        await db.close()


# Sessions


async def test_adding_an_address_rotates_the_session(service: IdentityService, outbox: Outbox, clock: Clock) -> None:
    first = await sign_in(service, outbox, "alice@work.example")
    clock.advance(3600)
    second = await sign_in(service, outbox, "alice@home.example", session_id=first.session_id)
    assert second.session_id != first.session_id
    assert second.session.id_hash != first.session.id_hash
    assert second.session.device_id == first.session.device_id
    assert second.session.addresses == ("alice@work.example", "alice@home.example")
    assert second.session.created_at == first.session.created_at
    assert second.session.expires_at == first.session.expires_at
    assert await service.get_session(first.session_id) is None
    assert await service.get_session(second.session_id) == second.session
    assert len(await service.devices(second.session)) == 1


async def test_signing_in_again_with_the_same_address_rotates_too(service: IdentityService, outbox: Outbox) -> None:
    first = await sign_in(service, outbox, "alice@example.org")
    second = await sign_in(service, outbox, "alice@example.org", session_id=first.session_id)
    assert second.session.addresses == ("alice@example.org",)
    assert await service.get_session(first.session_id) is None
    assert await service.get_session(second.session_id) is not None


async def test_dead_or_junk_session_id_gives_a_new_session(service: IdentityService, outbox: Outbox) -> None:
    first = await sign_in(service, outbox, "alice@example.org")
    await service.logout(first.session_id)
    for i, stale in enumerate((first.session_id, "junk", "x" * 5000, "Ü")):
        grant = await sign_in(service, outbox, f"bob{i}@example.org", session_id=stale)
        assert grant.session.addresses == (f"bob{i}@example.org",)
        assert grant.session.device_id != first.session.device_id


async def test_idle_timeout(service: IdentityService, outbox: Outbox, clock: Clock) -> None:
    grant = await sign_in(service, outbox, "alice@example.org")
    clock.advance(719 * 60)
    assert await service.get_session(grant.session_id) is not None
    clock.advance(719 * 60)
    assert await service.get_session(grant.session_id) is not None
    clock.advance(720 * 60)
    assert await service.get_session(grant.session_id) is None
    clock.advance(-720 * 60)  # deleted, not merely hidden
    assert await service.get_session(grant.session_id) is None


async def test_absolute_timeout(service: IdentityService, outbox: Outbox, clock: Clock) -> None:
    grant = await sign_in(service, outbox, "alice@example.org")
    for _ in range(335):
        clock.advance(3600)
        assert await service.get_session(grant.session_id) is not None
    clock.advance(3600)
    assert await service.get_session(grant.session_id) is None


async def test_last_seen_is_written_at_most_once_a_minute(
    service: IdentityService, outbox: Outbox, clock: Clock
) -> None:
    grant = await sign_in(service, outbox, "alice@example.org")
    clock.advance(59)
    seen = await service.get_session(grant.session_id)
    assert seen is not None and seen.last_seen_at == int(T0)
    clock.advance(1)
    seen = await service.get_session(grant.session_id)
    assert seen is not None and seen.last_seen_at == int(T0) + 60
    devices = await service.devices(seen)
    assert devices[0].last_seen_at == int(T0) + 60


async def test_logout(service: IdentityService, outbox: Outbox) -> None:
    grant = await sign_in(service, outbox, "alice@example.org")
    await service.logout(grant.session_id)
    await service.logout(grant.session_id)
    await service.logout("junk")
    assert await service.get_session(grant.session_id) is None
    with pytest.raises(NotSignedIn):
        await service.devices(grant.session)


async def test_remove_address(service: IdentityService, outbox: Outbox) -> None:
    first = await sign_in(service, outbox, "alice@work.example")
    grant = await sign_in(service, outbox, "alice@home.example", session_id=first.session_id)
    session = await service.remove_address(grant.session, "Alice@Work.Example")
    assert session is not None and session.addresses == ("alice@home.example",)
    assert await service.get_session(grant.session_id) == session
    with pytest.raises(NotFound):
        await service.remove_address(session, "alice@work.example")
    assert await service.remove_address(session, "alice@home.example") is None
    assert await service.get_session(grant.session_id) is None


# Devices


async def test_device_list_and_signing_out_another_device(service: IdentityService, outbox: Outbox) -> None:
    phone = await sign_in(service, outbox, "alice@example.org", device="Chrome on Android")
    laptop = await sign_in(service, outbox, "alice@example.org", device="Firefox on Linux")
    home = await sign_in(service, outbox, "alice@home.example", device="Safari on iPad")
    home = await sign_in(service, outbox, "alice@example.org", session_id=home.session_id)
    mallory = await sign_in(service, outbox, "mallory@example.net", device="Edge on Windows")

    # The iPad holds both addresses: it sees every device whose addresses it holds too.
    devices = await service.devices(home.session)
    assert devices[0].name == "Safari on iPad"
    assert sorted(d.name for d in devices) == ["Chrome on Android", "Firefox on Linux", "Safari on iPad"]
    assert [d.current for d in devices] == [True, False, False]
    # The phone holds only one of the iPad's addresses, so the iPad is not among its devices.
    devices = await service.devices(phone.session)
    assert [d.name for d in devices] == ["Chrome on Android", "Firefox on Linux"]
    assert {d.id for d in devices} == {phone.session.device_id, laptop.session.device_id}

    await service.sign_out_device(phone.session, laptop.session.device_id)
    assert await service.get_session(laptop.session_id) is None
    assert await service.get_session(phone.session_id) is not None
    assert len(await service.devices(phone.session)) == 1

    for foreign in (mallory.session.device_id, laptop.session.device_id, home.session.device_id, "no-such-device",
                    "x" * 500):
        with pytest.raises(NotFound):
            await service.sign_out_device(phone.session, foreign)
    assert await service.get_session(mallory.session_id) is not None
    assert await service.get_session(home.session_id) is not None

    await service.sign_out_device(home.session, phone.session.device_id)
    assert await service.get_session(phone.session_id) is None
    await service.sign_out_device(home.session, home.session.device_id)
    assert await service.get_session(home.session_id) is None


async def test_a_shared_address_does_not_make_two_people_one(service: IdentityService, outbox: Outbox) -> None:
    """Carol and Bob both verified team@; Bob's session also holds bob@. Carol sees only her device."""
    carol = await sign_in(service, outbox, "team@example.org", device="Firefox on Linux")
    bob = await sign_in(service, outbox, "bob@example.org", device="Chrome on Android")
    bob = await sign_in(service, outbox, "team@example.org", session_id=bob.session_id)

    assert [d.id for d in await service.devices(carol.session)] == [carol.session.device_id]
    with pytest.raises(NotFound):
        await service.sign_out_device(carol.session, bob.session.device_id)
    assert await service.get_session(bob.session_id) is not None
    # Bob holds every address Carol's session holds, so he sees (and may sign out) both.
    assert {d.id for d in await service.devices(bob.session)} == {bob.session.device_id, carol.session.device_id}


async def test_purge_expired(service: IdentityService, outbox: Outbox, clock: Clock, db: Store) -> None:
    await sign_in(service, outbox, "alice@example.org")
    await service.request_code("bob@example.org", client="c")
    clock.advance(15 * 24 * 3600)
    await service.purge_expired()
    for table in ("devices", "sessions", "session_addresses", "passcodes", "rate_events"):
        row = await db.engine.fetch_one(f"SELECT COUNT(*) FROM {table}")
        assert row is not None and row[0] == 0, table


# What is stored and logged


def database_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


async def test_stored_rows_hold_no_code_and_no_session_id(tmp_path: Path, outbox: Outbox, clock: Clock) -> None:
    path = tmp_path / "db.sqlite"
    db = await sqlite_store(path)
    service = IdentityService(db, secret=SECRET, send_passcode=outbox, clock=clock)
    first = await sign_in(service, outbox, "alice@example.org")
    second = await sign_in(service, outbox, "alice@home.example", session_id=first.session_id)
    await service.request_code("alice@example.org", client="c")  # left pending
    await service.request_code("bob@example.org", client="c")
    with pytest.raises(InvalidCode):
        await service.verify_code(
            "bob@example.org", wrong(outbox.last().code), client="c", session_id=None, device_name=PHONE
        )

    secrets_seen = [mail.code for mail in outbox.sent] + [first.session_id, second.session_id]
    stored_live = database_bytes(path)
    await db.close()
    stored_closed = database_bytes(path)
    for stored in (stored_live, stored_closed):
        assert b"alice@home.example" in stored  # the check can see what it looks for
        for value in secrets_seen:
            assert value.encode() not in stored
    assert len(outbox.sent) == 4


async def test_nothing_logged_holds_a_code_or_a_session_id(
    service: IdentityService, outbox: Outbox, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first = await sign_in(service, outbox, "alice@example.org")
    second = await sign_in(service, outbox, "alice@home.example", session_id=first.session_id)
    clock.advance(120)
    await service.get_session(second.session_id)
    await service.request_code("bob@example.org", client="c")
    with pytest.raises(InvalidCode):
        await service.verify_code(
            "bob@example.org", wrong(outbox.last().code), client="c", session_id=None, device_name=PHONE
        )
    await service.logout(second.session_id)

    assert any(r.name.startswith("mailseal.identity") for r in caplog.records)
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records) + caplog.text
    for value in [mail.code for mail in outbox.sent] + [first.session_id, second.session_id]:
        assert value not in logged


def test_secret_and_settings_are_checked(db: Store, outbox: Outbox) -> None:
    with pytest.raises(ConfigError):
        IdentityService(db, secret=b"short", send_passcode=outbox)
    with pytest.raises(ConfigError):
        IdentityService(db, secret=SECRET, send_passcode=outbox, code_ttl_minutes=30)
    with pytest.raises(ValueError):
        Limits(tries_per_code=0)


async def test_other_secret_cannot_use_the_codes(db: Store, outbox: Outbox, clock: Clock) -> None:
    ours = IdentityService(db, secret=SECRET, send_passcode=outbox, clock=clock)
    theirs = IdentityService(db, secret=bytes(32), send_passcode=outbox, clock=clock)
    await ours.request_code("alice@example.org", client="c")
    with pytest.raises(InvalidCode):
        await theirs.verify_code(
            "alice@example.org", outbox.last().code, client="c", session_id=None, device_name=PHONE
        )


async def test_a_code_pending_before_the_upgrade_still_works(tmp_path: Path, outbox: Outbox, clock: Clock) -> None:
    """Migration 0008 (a row per code) keeps the codes pending under 0002's one-per-address table."""
    path = tmp_path / "db.sqlite"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY)")
        for version, script in migration_scripts():
            if version < 8:
                old.executescript(script)
                old.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        address_key = keyed_name(derive_key(SECRET, LABEL_ADDRESS), "alice@example.org")
        mac = passcode_mac(derive_key(SECRET, LABEL_PASSCODE), "alice@example.org", "K7QF", "12345678")
        old.execute(
            "INSERT INTO passcodes (address_key, reference, mac, created_at, expires_at) VALUES (?, 'K7QF', ?, ?, ?)",
            (address_key, mac, int(T0), int(T0) + 600),
        )
    db = await sqlite_store(path)
    try:
        service = IdentityService(db, secret=SECRET, send_passcode=outbox, clock=clock)
        await service.request_code("alice@example.org", client="c")  # a second code beside it
        grant = await service.verify_code("alice@example.org", "12345678", client="c", session_id=None,
                                          device_name=PHONE)
        assert grant.session.addresses == ("alice@example.org",)
    finally:
        await db.close()
