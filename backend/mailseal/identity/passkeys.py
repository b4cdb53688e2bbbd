"""Sign-in with passkeys (WebAuthn Level 3, through py_webauthn), for people who signed in by code before.

A passkey is registered from a signed-in session and bound to that session's verified addresses, which a
code (or a trusted identity provider) proved: signing in with it later adds exactly those addresses, through
the same `IdentityService.add_verified_addresses` as a code, so it can never bring an address nobody
verified. Each passkey has its own random user handle (a passkey names no account: there are none).

- Challenges are random (py_webauthn's 64 bytes), stored as a SHA-256, live `CHALLENGE_SECONDS` and are
  taken (deleted) by the one request that presents them, before anything is checked.
- User verification is required at registration and at every sign-in; no attestation is asked for or kept.
- The sign counter must grow when either side is not zero (a clone otherwise; refused and audited), and is
  stored with a compare-and-set, so two sign-ins with one counter value cannot both pass.
- The backup-eligible flag is fixed at registration (§6.1.3): a sign-in that reports another is refused;
  the backed-up state is stored at each use.
- A session started by a passkey remembers it, so removing the passkey ends the session.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import msgspec
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_authentication_credential_json, parse_client_data_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from mailseal.errors import ClientRateLimited, NotFound, NotSignedIn, PasskeyRefused, PasskeysOff
from mailseal.identity import limits as rate
from mailseal.identity.models import Session, SessionGrant
from mailseal.identity.passcode import LABEL_RATE, derive_key, keyed_name
from mailseal.identity.service import IdentityService
from mailseal.identity.user_agent import clean_device_name
from mailseal.storage import PasskeyRow, Store, Transaction

log = logging.getLogger(__name__)

CHALLENGE_SECONDS = 5 * 60
# The browser's own timeout for the ceremony (milliseconds); the challenge outlives it a little.
CEREMONY_TIMEOUT_MS = 4 * 60 * 1000
REGISTER = "register"
SIGN_IN = "sign-in"
USER_HANDLE_BYTES = 32
MAX_CREDENTIAL_JSON = 16 * 1024
MAX_NAME_LENGTH = 64
# Per client: option requests (each stores a challenge), and refused passkeys.
OPTIONS_PER_CLIENT = 60
OPTIONS_WINDOW_SECONDS = 10 * 60
FAILURES_PER_CLIENT = 20
FAILURES_WINDOW_SECONDS = 60 * 60
OPTIONS_BY_CLIENT = "passkey-options/client"
FAILURES_BY_CLIENT = "passkey-failures/client"


class PasskeyView(msgspec.Struct, frozen=True, kw_only=True):
    """A passkey as Settings lists it."""

    id: str
    name: str
    created_at: int
    last_used_at: int | None
    this_device: bool
    backed_up: bool
    addresses: tuple[str, ...]


def relying_party_id(base_url: str) -> str | None:
    """The RP id of `base_url` (its host), or None when it is an IP address, which WebAuthn refuses."""
    host = urlsplit(base_url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host or None
    return None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _challenge_hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


class PasskeyService:
    """Passkey registration, sign-in, listing and removal for one relying party (`base_url`)."""

    def __init__(
        self,
        store: Store,
        identity: IdentityService,
        *,
        secret: bytes,
        base_url: str,
        rp_name: str,
        enabled: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._identity = identity
        self._origin = base_url.rstrip("/")
        self._rp_id = relying_party_id(self._origin) if enabled else None
        self._rp_name = rp_name
        self._clock = clock
        self._rate_key = derive_key(secret, LABEL_RATE)

    @property
    def available(self) -> bool:
        return self._rp_id is not None

    # Registration

    async def registration_options(self, session: Session, *, client: str) -> dict[str, Any]:
        """Options for `navigator.credentials.create()`; the challenge is bound to this session."""
        rp_id = self._require_rp()
        now = self._now()
        await self._count_options(client, now)
        user_handle = _user_handle()
        mine = await self._store.passkeys.of_person(session.addresses)
        options = generate_registration_options(
            rp_id=rp_id,
            rp_name=self._rp_name,
            user_id=user_handle,
            user_name=session.addresses[0],
            user_display_name=session.addresses[0],
            timeout=CEREMONY_TIMEOUT_MS,
            attestation=AttestationConveyancePreference.NONE,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=_id_bytes(p.id)) for p in mine],
        )
        await self._store.passkeys.add_challenge(
            _challenge_hash(options.challenge), purpose=REGISTER, session_hash=session.id_hash,
            user_handle=user_handle, expires_at=now + CHALLENGE_SECONDS,
        )
        result: dict[str, Any] = json.loads(options_to_json(options))
        return result

    async def register(self, session: Session, credential: str, *, name: str, device_name: str) -> PasskeyView:
        """Verify a new passkey and bind it to this session's verified addresses (as they are now)."""
        rp_id = self._require_rp()
        now = self._now()
        challenge = _challenge_of(credential)
        taken = await self._store.passkeys.take_challenge(_challenge_hash(challenge))
        if (taken is None or taken.purpose != REGISTER or taken.session_hash != session.id_hash
                or now >= taken.expires_at):
            raise self._refused("registration challenge unknown, spent, expired or another session's")
        try:
            verified = verify_registration_response(
                credential=credential, expected_challenge=challenge, expected_rp_id=rp_id,
                expected_origin=self._origin, require_user_verification=True,
            )
        except WebAuthnException as exc:
            raise self._refused(f"registration did not verify: {exc}") from None
        passkey_id = _b64url(verified.credential_id)
        async with self._store.transaction() as tx:
            row = await tx.sessions.find(session.id_hash)
            if row is None:
                raise NotSignedIn()
            addresses = await tx.sessions.addresses(row.pk)
            if not addresses:
                raise NotSignedIn()
            if await tx.passkeys.find(passkey_id) is not None:
                raise self._refused("registration of a credential id already stored")
            passkey = PasskeyRow(
                id=passkey_id, user_handle=taken.user_handle, public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
                backed_up=verified.credential_backed_up,
                name=clean_device_name(name.strip()[:MAX_NAME_LENGTH] or device_name),
                device_id=row.device_id, created_at=now, addresses=addresses,
            )
            await tx.passkeys.add(passkey)
            await tx.audit.add(at=now, action="passkey-added", message_id=None, actor=", ".join(addresses),
                               detail=f"passkey {passkey_id[:16]}; device {row.device_id}")
        log.info("passkey registered on device %s", row.device_id)
        return _view(passkey, this_device=True)

    # Sign-in

    async def sign_in_options(self, *, client: str) -> dict[str, Any]:
        """Options for `navigator.credentials.get()` with discoverable credentials (no allow list: the
        browser offers the person's passkeys, and autofill can)."""
        rp_id = self._require_rp()
        now = self._now()
        await self._count_options(client, now)
        options = generate_authentication_options(
            rp_id=rp_id, timeout=CEREMONY_TIMEOUT_MS, user_verification=UserVerificationRequirement.REQUIRED,
        )
        await self._store.passkeys.add_challenge(
            _challenge_hash(options.challenge), purpose=SIGN_IN, session_hash="", user_handle=b"",
            expires_at=now + CHALLENGE_SECONDS,
        )
        result: dict[str, Any] = json.loads(options_to_json(options))
        return result

    async def sign_in(self, credential: str, *, client: str, session_id: str | None, device_name: str) -> SessionGrant:
        """Verify an assertion and sign in to the passkey's addresses (a new session, or added to this one)."""
        rp_id = self._require_rp()
        now = self._now()
        async with self._store.transaction() as tx:
            await tx.limits.serialize()
            wait = await rate.wait_seconds(tx.limits, self._bucket(FAILURES_BY_CLIENT, client), FAILURES_PER_CLIENT,
                                           FAILURES_WINDOW_SECONDS, now)
            if wait:
                raise ClientRateLimited(retry_after=wait)
        try:
            return await self._sign_in(credential, rp_id, now, session_id=session_id, device_name=device_name)
        except PasskeyRefused:
            await self._store.limits.record(self._bucket(FAILURES_BY_CLIENT, client), at=now)
            raise

    async def _sign_in(self, credential: str, rp_id: str, now: int, *, session_id: str | None,
                       device_name: str) -> SessionGrant:
        challenge = _challenge_of(credential)
        taken = await self._store.passkeys.take_challenge(_challenge_hash(challenge))
        if taken is None or taken.purpose != SIGN_IN or now >= taken.expires_at:
            raise self._refused("sign-in challenge unknown, spent or expired")
        parsed = _parse_assertion(credential)
        passkey = await self._store.passkeys.find(parsed.id)
        if passkey is None:
            raise self._refused("unknown or removed passkey")
        if parsed.response.user_handle is not None and parsed.response.user_handle != passkey.user_handle:
            raise await self._refused_audited(passkey, now, "user handle does not match")
        try:
            verified = verify_authentication_response(
                credential=parsed, expected_challenge=challenge, expected_rp_id=rp_id,
                expected_origin=self._origin, credential_public_key=passkey.public_key,
                credential_current_sign_count=passkey.sign_count, require_user_verification=True,
            )
        except WebAuthnException as exc:
            raise await self._refused_audited(passkey, now, str(exc)) from None
        eligible = verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE
        if eligible != passkey.backup_eligible:
            raise await self._refused_audited(passkey, now, "backup eligibility changed since registration")
        async with self._store.transaction() as tx:
            if not await tx.passkeys.record_use(passkey.id, seen_count=passkey.sign_count,
                                                sign_count=verified.new_sign_count,
                                                backed_up=verified.credential_backed_up, now=now):
                raise self._refused("the sign counter moved during this sign-in")
            grant = await self._identity.add_verified_addresses(
                tx, passkey.addresses, session_id=session_id, device_name=device_name,
                method=f"passkey {passkey.id[:16]}", now=now,
            )
            await self._remember(tx, grant, passkey.id)
        return grant

    # Settings

    async def of_person(self, session: Session) -> list[PasskeyView]:
        """The person's passkeys (those bound only to addresses this session holds), newest first."""
        row = await self._store.sessions.find(session.id_hash)
        started = await self._store.passkeys.started_session(row.pk) if row is not None else None
        found = await self._store.passkeys.of_person(session.addresses)
        return [_view(p, this_device=p.device_id == session.device_id or p.id == started) for p in found]

    async def remove(self, session: Session, passkey_id: str) -> list[str]:
        """Remove one of the person's passkeys and end the sessions it started; their device ids."""
        mine = {p.id for p in await self._store.passkeys.of_person(session.addresses)}
        if passkey_id not in mine:
            raise NotFound("No such passkey")
        async with self._store.transaction() as tx:
            devices = await tx.passkeys.delete(passkey_id)
            await tx.audit.add(at=self._now(), action="passkey-removed", message_id=None,
                               actor=", ".join(session.addresses),
                               detail=f"passkey {passkey_id[:16]}; {len(devices)} session(s) ended")
        log.info("passkey removed; %d session(s) it started ended", len(devices))
        return devices

    # Inside

    async def _remember(self, tx: Transaction, grant: SessionGrant, passkey_id: str) -> None:
        row = await tx.sessions.find(grant.session.id_hash)
        assert row is not None  # made in this transaction
        await tx.passkeys.remember_session(row.pk, passkey_id)

    async def _count_options(self, client: str, now: int) -> None:
        bucket = self._bucket(OPTIONS_BY_CLIENT, client)
        async with self._store.transaction() as tx:
            await tx.limits.serialize()
            wait = await rate.wait_seconds(tx.limits, bucket, OPTIONS_PER_CLIENT, OPTIONS_WINDOW_SECONDS, now)
            if wait:
                raise ClientRateLimited(retry_after=wait)
            await tx.limits.record(bucket, at=now)
            await tx.passkeys.forget_expired_challenges(now=now)

    async def _refused_audited(self, passkey: PasskeyRow, now: int, reason: str) -> PasskeyRefused:
        await self._store.audit.add(at=now, action="sign-in", message_id=None, actor=", ".join(passkey.addresses),
                                    outcome=PasskeyRefused.code, detail=f"passkey {passkey.id[:16]}: {reason}")
        return self._refused(reason)

    def _refused(self, reason: str) -> PasskeyRefused:
        log.info("passkey refused: %s", reason[:200])
        return PasskeyRefused()

    def _require_rp(self) -> str:
        if self._rp_id is None:
            raise PasskeysOff()
        return self._rp_id

    def _bucket(self, kind: str, client: str) -> str:
        return keyed_name(self._rate_key, kind, client[:256])

    def _now(self) -> int:
        return int(self._clock())


def _user_handle() -> bytes:
    return secrets.token_bytes(USER_HANDLE_BYTES)


def _id_bytes(passkey_id: str) -> bytes:
    return base64.urlsafe_b64decode(passkey_id + "=" * (-len(passkey_id) % 4))


def _challenge_of(credential: str) -> bytes:
    """The challenge a credential answers (from its clientDataJSON), to find and take it before checking."""
    if len(credential) > MAX_CREDENTIAL_JSON:
        raise PasskeyRefused()
    try:
        response = json.loads(credential)["response"]
        client_data = base64.urlsafe_b64decode(
            response["clientDataJSON"] + "=" * (-len(response["clientDataJSON"]) % 4)
        )
        challenge: bytes = parse_client_data_json(client_data).challenge
    except (ValueError, KeyError, TypeError, WebAuthnException):
        log.info("passkey refused: malformed credential")
        raise PasskeyRefused() from None
    return challenge


def _parse_assertion(credential: str) -> AuthenticationCredential:
    try:
        return parse_authentication_credential_json(credential)
    except (ValueError, KeyError, TypeError, WebAuthnException):
        log.info("passkey refused: malformed assertion")
        raise PasskeyRefused() from None


def _view(passkey: PasskeyRow, *, this_device: bool) -> PasskeyView:
    return PasskeyView(id=passkey.id, name=passkey.name, created_at=passkey.created_at,
                       last_used_at=passkey.last_used_at, this_device=this_device, backed_up=passkey.backed_up,
                       addresses=passkey.addresses)
