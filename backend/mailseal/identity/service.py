"""Sign-in by one-time passcode, and the sessions and devices it creates (OWASP ASVS 5.0, 6.5, 6.6, 7).

There are no accounts: any address may ask for a code, and every address gets the same answer (a
reference) whether or not it has ever been seen, so nothing can be enumerated. Limits:

- per client (IP address): `requests_per_client` code requests per window, then `ClientRateLimited`
  with a Retry-After. The client already knows it is asking too often, so saying so reveals nothing.
- per address: `sends_per_address` mails per window, then *silently* nothing is sent (and the pending
  code is left alone) while the answer stays the same. Refusing loudly would let anyone probe an
  address's state; replacing the code would let anyone cancel the victim's sign-in; sending would let
  anyone flood a mailbox.
- per code: `tries_per_code` verifications; the next one is `TooManyTries` even with the right code.
- per address: `failures_per_address` failed verifications per window, then `AddressLocked` (and no
  codes are sent for the address); per client: `failures_per_client`, then `ClientRateLimited`.

Every check and its counter update happen in one `BEGIN IMMEDIATE` transaction, so two concurrent
verifications of one code cannot both win, and the counters hold across processes and restarts.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable, Sequence

import aiosqlite
import msgspec

from mailseal.errors import (
    AddressLocked,
    ClientRateLimited,
    CodeExpired,
    ConfigError,
    InvalidCode,
    MailsealError,
    NotFound,
    NotSignedIn,
    TooManyTries,
)
from mailseal.identity import limits as rate
from mailseal.identity import sessions
from mailseal.identity.address import normalise_address
from mailseal.identity.limits import Limits
from mailseal.identity.models import Device, PasscodeSender, Session, SessionGrant
from mailseal.identity.passcode import (
    LABEL_ADDRESS,
    LABEL_PASSCODE,
    LABEL_RATE,
    MAC_VERSION,
    MIN_SECRET_LENGTH,
    clean_code,
    derive_key,
    keyed_name,
    new_code,
    new_reference,
    passcode_mac,
)
from mailseal.identity.sessions import SessionRow, TxReader
from mailseal.identity.user_agent import clean_device_name
from mailseal.storage.legacy import Database

log = logging.getLogger(__name__)

# `last_seen_at` is written at most this often, so reading a session is not a write per request.
TOUCH_INTERVAL_SECONDS = 60
# Expired passcode rows are kept this long, so a late try says "expired" rather than "wrong".
EXPIRED_CODE_RETENTION_SECONDS = 24 * 60 * 60
MAX_CLIENT_LENGTH = 256

# Rate-limit buckets; each is HMAC(k_rate, kind, value).
REQUESTS_BY_CLIENT = "requests/client"
SENDS_BY_ADDRESS = "sends/address"
FAILURES_BY_ADDRESS = "failures/address"
FAILURES_BY_CLIENT = "failures/client"


class IdentityService:
    """Passcodes, sessions and devices on one database; `secret` is the server's 32-byte HMAC secret."""

    def __init__(
        self,
        db: Database,
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
        self._db = db
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

    async def request_code(self, email: str, *, client: str) -> str:
        """Send a passcode to `email` (within limits) and return its reference; same answer for all."""
        address = normalise_address(email)
        now = self._now()
        limits = self._limits
        reference = new_reference()
        code = new_code()
        send = False
        async with self._db.write() as conn:
            await self._forget_old(conn, now)
            by_client = self._bucket(REQUESTS_BY_CLIENT, client)
            wait = await rate.wait_seconds(
                conn, by_client, limits.requests_per_client, limits.request_window_seconds, now
            )
            if wait:
                raise ClientRateLimited(retry_after=wait)
            await rate.record(conn, by_client, now)
            by_address = self._bucket(SENDS_BY_ADDRESS, address)
            send = not (
                await rate.wait_seconds(conn, by_address, limits.sends_per_address, limits.send_window_seconds, now)
                or await self._address_lock(conn, address, now)
            )
            if send:
                await rate.record(conn, by_address, now)
                await conn.execute(
                    "INSERT OR REPLACE INTO passcodes "
                    "(address_key, version, reference, mac, created_at, expires_at, tries) "
                    "VALUES (?, ?, ?, ?, ?, ?, 0)",
                    (
                        self._address_name(address),
                        MAC_VERSION,
                        reference,
                        passcode_mac(self._passcode_key, address, reference, code),
                        now,
                        now + self._code_ttl_minutes * 60,
                    ),
                )
        if send:
            # After the commit: the mail room writes its own queue, and our write lock is not re-entrant.
            await self._send_passcode(address, code, reference, self._code_ttl_minutes)
            log.info("passcode sent (reference %s)", reference)
        else:
            log.info("passcode not sent: address limit reached (reference %s)", reference)
        return reference

    async def verify_code(
        self, email: str, code: str, *, client: str, session_id: str | None, device_name: str
    ) -> SessionGrant:
        """Check `code` for `email`; on success sign in (adding to a live session, always a new id)."""
        address = normalise_address(email)
        digits = clean_code(code)
        now = self._now()
        limits = self._limits
        failure: MailsealError | None = None
        grant: SessionGrant | None = None
        async with self._db.write() as conn:
            by_client = self._bucket(FAILURES_BY_CLIENT, client)
            wait = await rate.wait_seconds(
                conn, by_client, limits.failures_per_client, limits.client_failure_window_seconds, now
            )
            if wait:
                raise ClientRateLimited(retry_after=wait)
            wait = await self._address_lock(conn, address, now)
            if wait:
                raise AddressLocked(retry_after=wait)
            address_name = self._address_name(address)
            async with conn.execute(
                "SELECT reference, mac, expires_at, tries FROM passcodes WHERE address_key = ?",
                (address_name,),
            ) as cursor:
                pending = await cursor.fetchone()
            if pending is None:
                failure = InvalidCode()
            elif now >= pending["expires_at"]:
                # Not counted as a failure: an expired code can never succeed, so guessing gains nothing.
                raise CodeExpired()
            elif pending["tries"] >= limits.tries_per_code:
                failure = TooManyTries()
            else:
                await conn.execute("UPDATE passcodes SET tries = tries + 1 WHERE address_key = ?", (address_name,))
                candidate = passcode_mac(self._passcode_key, address, pending["reference"], digits or "")
                if hmac.compare_digest(candidate, pending["mac"]) and digits is not None:
                    await conn.execute("DELETE FROM passcodes WHERE address_key = ?", (address_name,))
                    grant = await self._sign_in(conn, address, session_id, device_name, now)
                else:
                    failure = InvalidCode()
            if failure is not None:
                await rate.record(conn, by_client, now)
                await rate.record(conn, self._bucket(FAILURES_BY_ADDRESS, address), now)
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
        found = sessions.find_with_addresses(self._db, sessions.hash_session_id(session_id))
        if found is None:
            return None
        row, addresses = found
        if not self._alive(row, now):
            async with self._db.write() as conn:
                await self._end_if_expired(conn, row, now)
            return None
        if now - row.last_seen_at >= TOUCH_INTERVAL_SECONDS:
            async with self._db.write() as conn:
                await sessions.touch(conn, row, now)
            row = msgspec.structs.replace(row, last_seen_at=now)
        return sessions.session_of(row, addresses)

    async def logout(self, session_id: str) -> None:
        """End the session (and its device record); unknown ids are ignored."""
        if not sessions.plausible_session_id(session_id):
            return
        async with self._db.write() as conn:
            row = await sessions.find(TxReader(conn), sessions.hash_session_id(session_id))
            if row is not None:
                await sessions.delete_device(conn, row.device_id)

    async def remove_address(self, session: Session, address: str) -> Session | None:
        """Forget one verified address on this session; removing the last one ends the session (None)."""
        target = normalise_address(address)
        async with self._db.write() as conn:
            reader = TxReader(conn)
            row = await self._require(reader, session)
            if not await sessions.remove_address(conn, row, target):
                raise NotFound("This address is not signed in on this device")
            remaining = await sessions.load(reader, row)
            if remaining is None:
                await sessions.delete_device(conn, row.device_id)
            return remaining

    # Devices

    async def devices(self, session: Session) -> list[Device]:
        """The person's devices: every live session holding one of this session's addresses."""
        now = self._now()
        await self._require(self._db, session)
        return await sessions.person_devices(self._db, session.id_hash, now, self._idle_seconds)

    async def sign_out_device(self, session: Session, device_id: str) -> None:
        """End one of the person's devices (this one included); `NotFound` for anybody else's."""
        if not sessions.plausible_device_id(device_id):
            raise NotFound("No such device")
        now = self._now()
        async with self._db.write() as conn:
            reader = TxReader(conn)
            await self._require(reader, session)
            mine = await sessions.person_devices(reader, session.id_hash, now, self._idle_seconds)
            if device_id not in {device.id for device in mine}:
                raise NotFound("No such device")
            await sessions.delete_device(conn, device_id)
        log.info("device %s signed out", device_id)

    async def devices_for_addresses(self, addresses: Sequence[str]) -> list[str]:
        """The devices with a live session holding any of `addresses` (who to notify of new mail)."""
        if not addresses:
            return []
        now = self._now()
        marks = ",".join("?" for _ in addresses)
        rows = await self._db.fetch_all(
            f"SELECT DISTINCT s.device_id FROM sessions s JOIN session_addresses a ON a.session_id = s.id"
            f" WHERE a.address IN ({marks}) AND s.expires_at > ? AND s.last_seen_at > ?",
            (*[a.lower() for a in addresses], now, now - self._idle_seconds),
        )
        return [str(row["device_id"]) for row in rows]

    async def purge_expired(self) -> None:
        """Delete expired sessions, stale passcodes and old rate-limit events (call it now and then)."""
        now = self._now()
        async with self._db.write() as conn:
            await self._forget_old(conn, now)
            await sessions.delete_expired(conn, now, self._idle_seconds)

    # Inside

    async def _sign_in(
        self, conn: aiosqlite.Connection, address: str, session_id: str | None, device_name: str, now: int
    ) -> SessionGrant:
        reader = TxReader(conn)
        current: SessionRow | None = None
        if session_id and sessions.plausible_session_id(session_id):
            current = await sessions.find(reader, sessions.hash_session_id(session_id))
            if current is not None and not self._alive(current, now):
                await sessions.delete_device(conn, current.device_id)
                current = None
        new_id = sessions.new_session_id()
        new_hash = sessions.hash_session_id(new_id)
        if current is not None:
            row = await sessions.rotate(conn, current, new_hash, now)
            log.info("address added to device %s; session id rotated", row.device_id)
        else:
            row = await sessions.create(
                conn,
                id_hash=new_hash,
                device_name=clean_device_name(device_name),
                now=now,
                expires_at=now + self._absolute_seconds,
            )
            log.info("signed in: new device %s", row.device_id)
        await sessions.add_address(conn, row, address, now)
        session = await sessions.load(reader, row)
        assert session is not None
        return SessionGrant(session_id=new_id, session=session)

    async def _require(self, reader: sessions.Reader, session: Session) -> SessionRow:
        row = await sessions.find(reader, session.id_hash)
        if row is None or not self._alive(row, self._now()):
            raise NotSignedIn()
        return row

    async def _end_if_expired(self, conn: aiosqlite.Connection, row: SessionRow, now: int) -> None:
        # Re-read inside the transaction: the session may have been rotated or touched meanwhile.
        fresh = await sessions.find(TxReader(conn), row.id_hash)
        if fresh is not None and not self._alive(fresh, now):
            await sessions.delete_device(conn, fresh.device_id)

    async def _address_lock(self, conn: aiosqlite.Connection, address: str, now: int) -> int:
        limits = self._limits
        return await rate.wait_seconds(
            conn,
            self._bucket(FAILURES_BY_ADDRESS, address),
            limits.failures_per_address,
            limits.failure_window_seconds,
            now,
        )

    async def _forget_old(self, conn: aiosqlite.Connection, now: int) -> None:
        await rate.forget_older_than(conn, now - self._limits.longest_window)
        await conn.execute("DELETE FROM passcodes WHERE expires_at <= ?", (now - EXPIRED_CODE_RETENTION_SECONDS,))

    def _alive(self, row: SessionRow, now: int) -> bool:
        return now < row.expires_at and now - row.last_seen_at < self._idle_seconds

    def _bucket(self, kind: str, value: str) -> str:
        return keyed_name(self._rate_key, kind, value[:MAX_CLIENT_LENGTH])

    def _address_name(self, address: str) -> str:
        return keyed_name(self._address_key, address)

    def _now(self) -> int:
        return int(self._clock())
