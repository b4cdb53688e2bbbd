"""Sign-in by one-time passcode, and the sessions and devices it creates (OWASP ASVS 5.0, 6.5, 6.6, 7).

There are no accounts: any address may ask for a code, and every address gets the same answer (a
reference, and the length of the codes mailed for it now) whether or not it has ever been seen, so
nothing can be enumerated. Several codes may be pending for one address, each with its own reference;
asking for a new one never cancels another's. Nobody else can keep an address's owner out: whenever a
request mails nothing, fresh codes that anyone may use are already in the mailbox. Limits:

- per client (IP address): `requests_per_client` code requests per window, then `ClientRateLimited`
  with a Retry-After. The client already knows it is asking too often, so saying so reveals nothing.
- per address: `pending_per_address` live codes of one shape, then *silently* nothing is sent while the
  answer stays the same. Refusing loudly would let anyone probe an address's state; sending would let
  anyone flood a mailbox. Those live codes are the newest mails in the mailbox, and work for anyone.
- per (code, client): `tries_per_code` guesses; the next one is `TooManyTries` even with the right
  code. Counted per client, so an attacker's wrong guesses never spend the owner's tries.
- per (address, client): `failures_per_address_client` failed guesses, then that client waits
  (`ClientRateLimited`); per client, `failures_per_client` over all addresses.
- per address: after `failures_per_address` failed guesses by all clients the address is *guarded*:
  its 8-digit codes are checked for nobody (`LongCodeNeeded`) and the codes mailed for it have 16 digits,
  which nobody guesses, so any client may try them with the ordinary tries above. An attacker with
  many clients thus gets at most `failures_per_address` * `pending_per_address` checks of 8-digit codes
  per window, and the owner, with the newest mail, signs in on any device, guarded or not.

Every check and its counter update happen in one write transaction that no other identity transaction
runs beside (`store.limits.serialize()`), so two concurrent verifications of one code cannot both win,
and the counters hold across processes, servers and restarts.
"""

from __future__ import annotations

import functools
import hmac
import logging
import time
from collections.abc import Callable, Sequence

import msgspec

from mailseal.errors import (
    ClientRateLimited,
    CodeExpired,
    ConfigError,
    InvalidCode,
    LongCodeNeeded,
    MailsealError,
    NotFound,
    NotSignedIn,
    TooManyTries,
)
from mailseal.identity import limits as rate
from mailseal.identity import sessions
from mailseal.identity.address import normalise_address
from mailseal.identity.limits import Limits
from mailseal.identity.models import CodeRequested, Device, PasscodeSender, Session, SessionGrant
from mailseal.identity.passcode import (
    DIGITS_OF_VERSION,
    LABEL_ADDRESS,
    LABEL_PASSCODE,
    LABEL_RATE,
    LONG_CODE,
    MIN_SECRET_LENGTH,
    SHORT_CODE,
    clean_code,
    derive_key,
    keyed_name,
    new_code,
    new_reference,
    passcode_mac,
    version_of,
)
from mailseal.identity.sessions import SessionRow
from mailseal.identity.user_agent import clean_device_name
from mailseal.languages import DEFAULT_LANGUAGE
from mailseal.storage import PendingCode, Store, Transaction

log = logging.getLogger(__name__)

# `last_seen_at` is written at most this often, so reading a session is not a write per request.
TOUCH_INTERVAL_SECONDS = 60
# Expired passcode rows are kept this long, so a late try says "expired" rather than "wrong".
EXPIRED_CODE_RETENTION_SECONDS = 24 * 60 * 60
MAX_CLIENT_LENGTH = 256

# Rate-limit buckets; each is HMAC(k_rate, kind, value).
REQUESTS_BY_CLIENT = "requests/client"
FAILURES_BY_ADDRESS = "failures/address"
FAILURES_BY_CLIENT = "failures/client"
FAILURES_BY_ADDRESS_CLIENT = "failures/address+client"
TRIES_BY_CODE_CLIENT = "tries/code+client"


class IdentityService:
    """Passcodes, sessions and devices on one database; `secret` is the server's 32-byte HMAC secret."""

    def __init__(
        self,
        store: Store,
        *,
        secret: bytes,
        send_passcode: PasscodeSender,
        clock: Callable[[], float] = time.time,
        code_ttl_minutes: int = 10,
        session_idle_minutes: int = 720,
        session_absolute_hours: int = 336,
        limits: Limits = Limits(),  # noqa: B008 - frozen, so one shared default is safe
    ) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(f"the identity secret must be at least {MIN_SECRET_LENGTH} bytes")
        if not 1 <= code_ttl_minutes <= 10:
            raise ConfigError("code_ttl_minutes must be between 1 and 10 (OWASP ASVS 6.6)")
        if session_idle_minutes < 1 or session_absolute_hours < 1:
            raise ConfigError("session timeouts must be positive")
        self._store = store
        self._send_passcode = send_passcode
        self._clock = clock
        self._code_ttl_minutes = code_ttl_minutes
        self._idle_seconds = session_idle_minutes * 60
        self._absolute_seconds = session_absolute_hours * 3600
        self._limits = limits
        self._passcode_key = derive_key(secret, LABEL_PASSCODE)
        self._address_key = derive_key(secret, LABEL_ADDRESS)
        self._rate_key = derive_key(secret, LABEL_RATE)

    # Passcodes

    async def ask_for_code(self, email: str, *, client: str, language: str = DEFAULT_LANGUAGE) -> CodeRequested:
        """Record a code for `email` (within limits); the caller answers, then calls `send`.

        The answer is the same, and ready after the same work, whether or not a mail will go out: the
        mail is composed and queued only by `send`, after the answer (otherwise its time would tell).
        It says how long the codes mailed for the address are now (16 digits while it is guarded), so
        that the app takes the code from whichever of the newest mails the person has. The mail speaks
        `language`, the one the person asked in.
        """
        address = normalise_address(email)
        now = self._now()
        limits = self._limits
        reference = new_reference()
        async with self._store.transaction() as tx:
            await tx.limits.serialize()
            await self._forget_old(tx, now)
            by_client = self._bucket(REQUESTS_BY_CLIENT, client)
            wait = await rate.wait_seconds(
                tx.limits, by_client, limits.requests_per_client, limits.request_window_seconds, now
            )
            if wait:
                raise ClientRateLimited(retry_after=wait)
            await tx.limits.record(by_client, at=now)
            version = LONG_CODE if await self._guard_wait(tx, address, now) else SHORT_CODE
            code = new_code(version)
            mac = passcode_mac(self._passcode_key, address, reference, code)
            address_name = self._address_name(address)
            # Beyond the limit, the mailbox already holds that many codes of this shape, none expired.
            send = await tx.codes.live_count(address_name, now=now, version=version) < limits.pending_per_address
            if send:
                await tx.codes.add(
                    address_key=address_name,
                    version=version,
                    reference=reference,
                    mac=mac,
                    created_at=now,
                    expires_at=now + self._code_ttl_minutes * 60,
                )
        return CodeRequested(
            reference=reference,
            code_length=DIGITS_OF_VERSION[version],
            send=functools.partial(self._mail_code, address if send else None, code, reference, language),
        )

    async def request_code(self, email: str, *, client: str, language: str = DEFAULT_LANGUAGE) -> str:
        """`ask_for_code` and send at once (for callers with no answer to give first); the reference."""
        requested = await self.ask_for_code(email, client=client, language=language)
        await requested.send()
        return requested.reference

    async def verify_code(
        self, email: str, code: str, *, client: str, session_id: str | None, device_name: str
    ) -> SessionGrant:
        """Check `code` against the address's pending codes; on success sign in (always a new session id).

        Success uses up the matching code only: the others belong to sign-ins still under way (a phone
        and a laptop at once), and only someone who reads the mailbox could use them.
        """
        address = normalise_address(email)
        digits = clean_code(code)
        now = self._now()
        limits = self._limits
        failure: MailsealError | None = None
        grant: SessionGrant | None = None
        async with self._store.transaction() as tx:
            await tx.limits.serialize()
            for bucket, limit, window in (
                (self._bucket(FAILURES_BY_CLIENT, client), limits.failures_per_client,
                 limits.client_failure_window_seconds),
                (self._pair_bucket(address, client), limits.failures_per_address_client,
                 limits.address_client_failure_window_seconds),
            ):
                wait = await rate.wait_seconds(tx.limits, bucket, limit, window, now)
                if wait:
                    raise ClientRateLimited(retry_after=wait)
            address_name = self._address_name(address)
            pending = await tx.codes.pending(address_name)
            live = [row for row in pending if now < row.expires_at]
            if pending and not live:
                # Not counted as a failure: an expired code can never succeed, so guessing gains nothing.
                raise CodeExpired()
            version = version_of(digits) if digits is not None else None
            if version == SHORT_CODE and await self._guard_wait(tx, address, now):
                # Checked for nobody, so not a guess: nothing is counted. A new code will be long.
                raise LongCodeNeeded()
            # A code can only match codes of its own shape; malformed input matches none.
            candidates = [row for row in live if row.version == version]
            usable = [
                row for row in candidates
                if not await rate.wait_seconds(
                    tx.limits, self._tries_bucket(row, client), limits.tries_per_code, self._ttl_seconds, now
                )
            ]
            if not candidates:
                failure = InvalidCode()
            elif not usable:
                failure = TooManyTries()
            else:
                matched = None
                for row in usable:
                    await tx.limits.record(self._tries_bucket(row, client), at=now)
                    candidate = passcode_mac(self._passcode_key, address, row.reference, digits or "")
                    if hmac.compare_digest(candidate, row.mac):
                        matched = row
                if matched is not None:
                    await tx.codes.use(matched.id)
                    grant = await self._sign_in(tx, address, session_id, device_name, now)
                else:
                    failure = InvalidCode()
            if failure is not None:
                await tx.limits.record(self._bucket(FAILURES_BY_CLIENT, client), at=now)
                await tx.limits.record(self._pair_bucket(address, client), at=now)
                await tx.limits.record(self._bucket(FAILURES_BY_ADDRESS, address), at=now)
        if failure is not None:
            # Raised after the commit, so the spent try and the failure counters stay spent.
            log.info("passcode refused: %s", failure.code)
            raise failure
        assert grant is not None
        return grant

    # Sessions

    async def get_session(self, session_id: str) -> Session | None:
        """The live session for a raw id, or None; ends sessions past their idle or absolute timeout."""
        if not sessions.plausible_session_id(session_id):
            return None
        now = self._now()
        found = await self._store.sessions.find_with_addresses(sessions.hash_session_id(session_id))
        if found is None:
            return None
        row, addresses = found.row, found.addresses
        if not self._alive(row, now):
            async with self._store.transaction() as tx:
                await self._end_if_expired(tx, row, now)
            return None
        if now - row.last_seen_at >= TOUCH_INTERVAL_SECONDS:
            async with self._store.transaction() as tx:
                await tx.sessions.touch(row, now=now)
                await tx.devices.touch(row.device_id, now=now)
            row = msgspec.structs.replace(row, last_seen_at=now)
        return sessions.session_of(row, addresses)

    async def logout(self, session_id: str) -> None:
        """End the session (and its device record); unknown ids are ignored."""
        if not sessions.plausible_session_id(session_id):
            return
        async with self._store.transaction() as tx:
            row = await tx.sessions.find(sessions.hash_session_id(session_id))
            if row is not None:
                await tx.devices.delete(row.device_id)

    async def remove_address(self, session: Session, address: str) -> Session | None:
        """Forget one verified address on this session; removing the last one ends the session (None)."""
        target = normalise_address(address)
        async with self._store.transaction() as tx:
            row = await self._require(tx, session)
            if not await tx.sessions.remove_address(row, target):
                raise NotFound("This address is not signed in on this device")
            remaining = sessions.session_of(row, await tx.sessions.addresses(row.pk))
            if remaining is None:
                await tx.devices.delete(row.device_id)
            return remaining

    # Devices

    async def devices(self, session: Session) -> list[Device]:
        """The person's devices: every live session whose addresses are all among this session's."""
        now = self._now()
        await self._require(self._store, session)
        found = await self._store.devices.of_person(session.id_hash, now=now, seen_after=now - self._idle_seconds)
        return [sessions.device_of(row) for row in found]

    async def sign_out_device(self, session: Session, device_id: str) -> None:
        """End one of the person's devices (this one included); `NotFound` for anybody else's."""
        if not sessions.plausible_device_id(device_id):
            raise NotFound("No such device")
        now = self._now()
        async with self._store.transaction() as tx:
            await self._require(tx, session)
            mine = await tx.devices.of_person(session.id_hash, now=now, seen_after=now - self._idle_seconds)
            if device_id not in {device.id for device in mine}:
                raise NotFound("No such device")
            await tx.devices.delete(device_id)
        log.info("device %s signed out", device_id)

    async def devices_for_addresses(self, addresses: Sequence[str]) -> list[str]:
        """The devices with a live session holding any of `addresses` (who to notify of new mail)."""
        now = self._now()
        return await self._store.sessions.devices_holding(addresses, now=now, seen_after=now - self._idle_seconds)

    async def purge_expired(self) -> None:
        """Delete expired sessions, stale passcodes and old rate-limit events (call it now and then)."""
        now = self._now()
        async with self._store.transaction() as tx:
            await self._forget_old(tx, now)
            await tx.devices.delete_expired(now=now, seen_before=now - self._idle_seconds)

    # Inside

    async def _sign_in(
        self, tx: Transaction, address: str, session_id: str | None, device_name: str, now: int
    ) -> SessionGrant:
        current: SessionRow | None = None
        if session_id and sessions.plausible_session_id(session_id):
            current = await tx.sessions.find(sessions.hash_session_id(session_id))
            if current is not None and not self._alive(current, now):
                await tx.devices.delete(current.device_id)
                current = None
        new_id = sessions.new_session_id()
        new_hash = sessions.hash_session_id(new_id)
        if current is not None:
            row = await tx.sessions.rotate(current, new_hash, now=now)
            await tx.devices.touch(row.device_id, now=now)
            log.info("address added to device %s; session id rotated", row.device_id)
        else:
            device_id = sessions.new_device_id()
            await tx.devices.add(device_id, name=clean_device_name(device_name), now=now)
            row = await tx.sessions.add(
                id_hash=new_hash, device_id=device_id, now=now, expires_at=now + self._absolute_seconds
            )
            log.info("signed in: new device %s", row.device_id)
        await tx.sessions.add_address(row, address, now=now)
        session = sessions.session_of(row, await tx.sessions.addresses(row.pk))
        assert session is not None
        return SessionGrant(session_id=new_id, session=session)

    async def _require(self, rows: Store | Transaction, session: Session) -> SessionRow:
        row = await rows.sessions.find(session.id_hash)
        if row is None or not self._alive(row, self._now()):
            raise NotSignedIn()
        return row

    async def _end_if_expired(self, tx: Transaction, row: SessionRow, now: int) -> None:
        # Re-read inside the transaction: the session may have been rotated or touched meanwhile.
        fresh = await tx.sessions.find(row.id_hash)
        if fresh is not None and not self._alive(fresh, now):
            await tx.devices.delete(fresh.device_id)

    async def _guard_wait(self, tx: Transaction, address: str, now: int) -> int:
        """0, or the seconds the address stays guarded (too many failed guesses by all clients)."""
        limits = self._limits
        return await rate.wait_seconds(
            tx.limits,
            self._bucket(FAILURES_BY_ADDRESS, address),
            limits.failures_per_address,
            limits.failure_window_seconds,
            now,
        )

    async def _mail_code(self, address: str | None, code: str, reference: str, language: str) -> None:
        if address is None:
            log.info("passcode not sent: address limit reached (reference %s)", reference)
            return
        await self._send_passcode(address, code, reference, self._code_ttl_minutes, language)
        log.info("passcode sent (reference %s)", reference)

    async def _forget_old(self, tx: Transaction, now: int) -> None:
        await tx.limits.forget_older_than(now - self._limits.longest_window)
        await tx.codes.forget_expired(before=now - EXPIRED_CODE_RETENTION_SECONDS)

    def _alive(self, row: SessionRow, now: int) -> bool:
        return now < row.expires_at and now - row.last_seen_at < self._idle_seconds

    def _bucket(self, kind: str, value: str) -> str:
        return keyed_name(self._rate_key, kind, value[:MAX_CLIENT_LENGTH])

    def _pair_bucket(self, address: str, client: str) -> str:
        return keyed_name(self._rate_key, FAILURES_BY_ADDRESS_CLIENT, address, client[:MAX_CLIENT_LENGTH])

    def _tries_bucket(self, code: PendingCode, client: str) -> str:
        # The MAC names the code: unique, and unlike the row id never reused for a later code.
        return keyed_name(self._rate_key, TRIES_BY_CODE_CLIENT, code.mac.hex(), client[:MAX_CLIENT_LENGTH])

    @property
    def _ttl_seconds(self) -> int:
        return self._code_ttl_minutes * 60

    def _address_name(self, address: str) -> str:
        return keyed_name(self._address_key, address)

    def _now(self) -> int:
        return int(self._clock())
