"""The one exception tree of Mailseal.

Every failure a user or a client can meet is a `MailsealError` with a stable `code` (used in RFC 9457
problem details, in CLI messages and in tests) and an HTTP `status`. The `detail` never contains
plaintext, a passcode or a key.

    MailsealError
    ├── InputError (400)               malformed or oversized input
    │   ├── TooLarge (413)
    │   ├── NoEnvelope                 an upload or a mail carries no sealed message
    │   │   ├── ForeignMail (422)      protected by someone else: Microsoft 365, S/MIME, OpenPGP
    │   │   └── NotEmail (415)         an Outlook .msg, a .zip, random bytes: not an e-mail message
    │   ├── MalformedMail
    │   ├── CannotWrite                an output file of the CLI cannot be written
    │   ├── BadInboxCursor             an inbox cursor this server did not give, or changed
    │   └── BadInboxLimit              an inbox page size out of range
    ├── DamagedEnvelope (400)          any authentication failure: one opaque error
    ├── UnknownKey (404)               not sealed here, or its key is gone
    ├── NotFound (404)
    │   └── NotYours                   the access log of a message that is not the asker's (or no message)
    ├── AuthError (401)
    │   ├── NotSignedIn
    │   ├── InvalidCode / CodeExpired / TooManyTries (429)
    │   ├── PasskeyRefused             a passkey sign-in or registration that did not verify
    │   └── FederatedSignInRefused     an identity provider's answer did not prove a verified address
    ├── RateLimited (429)
    ├── Forbidden (403)
    │   ├── PasscodeNotAllowed         the organisation turned the passcode off for the address's domain
    │   ├── PasskeysOff                passkeys are turned off, or cannot work at this public_url
    │   ├── PolicyRefused              the policy decision said no
    │   │   ├── NotARecipient (403)
    │   │   ├── MessageExpired (410)
    │   │   └── MessageRevoked (410)
    │   └── NotTheSender               only a message's sender may revoke it from the app
    ├── Conflict (409)
    │   └── PushSubscriptionTaken      a push endpoint held by another device, without its keys
    ├── ServerBusy (503)               the pool of heavy work is full; `retry_after` says when to come back
    │   └── AuditNotRecorded (503)     an open's audit row could not be committed: no key is handed out
    ├── JobFailed (500)                heavy work stopped in its worker
    │   ├── JobTimedOut (503)          it ran past the time limit
    │   └── JobTooLarge (413)          it needed more memory than a worker may take
    ├── ConfigError                    a setting is wrong (CLI only)
    │   ├── SettingError               names the setting, its source and what is allowed
    │   ├── WrongPassphrase            the passphrase-protected key ring does not open
    │   ├── KeyStoreError              the key store (a PKCS#11 token) cannot be used
    │   └── MigrationRefused           `mailseal migrate` will not copy (a busy source, a foreign target)
    └── MigrationIncomplete            `mailseal migrate` copied, but a count or a hash did not match
"""

from __future__ import annotations

from typing import ClassVar


class MailsealError(Exception):
    """Base of every error Mailseal raises on purpose."""

    code: ClassVar[str] = "internal"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Something went wrong"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.title
        super().__init__(self.detail)


class InputError(MailsealError):
    code = "input.invalid"
    status = 400
    title = "The input is not valid"


class TooLarge(InputError):
    code = "input.too-large"
    status = 413
    title = "The input is too large"


class NoEnvelope(InputError):
    code = "input.no-envelope"
    title = "No protected message was found in this file"


class MalformedMail(InputError):
    code = "input.malformed-mail"
    title = "The mail could not be read"


class CannotWrite(InputError):
    code = "output.cannot-write"
    title = "The output cannot be written"


class BadInboxCursor(InputError):
    """A `cursor` that is not one this server gave (tampered, truncated, from another installation)."""

    code = "inbox.bad-cursor"
    title = "This inbox cursor is not valid: start again from the first page"


class BadInboxLimit(InputError):
    code = "inbox.bad-limit"
    title = "The page size is out of range"


class DamagedEnvelope(MailsealError):
    """Every authentication failure of an envelope: tampered, truncated, re-ordered, wrong key."""

    code = "envelope.damaged"
    status = 400
    title = "The protected message is damaged or was changed"


class UnknownKey(MailsealError):
    code = "envelope.unknown-key"
    status = 404
    title = "This message was not sealed here, or its key no longer exists"


class NotFound(MailsealError):
    code = "not-found"
    status = 404
    title = "Not found"


class NotYours(NotFound):
    """The same answer for a message of someone else and for no message at all: it tells nothing."""

    code = "access-log.not-yours"
    title = "No message of yours has that id"


class AuthError(MailsealError):
    code = "auth.failed"
    status = 401
    title = "Sign-in failed"


class NotSignedIn(AuthError):
    code = "auth.required"
    title = "Please sign in"


class InvalidCode(AuthError):
    code = "auth.invalid-code"
    title = "That code is not right"


class CodeExpired(AuthError):
    code = "auth.code-expired"
    title = "That code has expired; ask for a new one"


class TooManyTries(AuthError):
    code = "auth.too-many-tries"
    status = 429
    title = "Too many tries; ask for a new code"


class RateLimited(MailsealError):
    code = "rate-limited"
    status = 429
    title = "Too many requests; try again later"


class Forbidden(MailsealError):
    code = "forbidden"
    status = 403
    title = "Not allowed"


class PolicyRefused(Forbidden):
    code = "policy.refused"
    title = "The message's policy does not allow this"


class NotARecipient(PolicyRefused):
    code = "policy.not-recipient"
    title = "This message was not sent to any of your verified addresses"


class MessageExpired(PolicyRefused):
    code = "policy.expired"
    status = 410
    title = "This message has expired"


class MessageRevoked(PolicyRefused):
    code = "policy.revoked"
    status = 410
    title = "This message was revoked by the sender"


class NotTheSender(Forbidden):
    """The same answer whether the message exists or not."""

    code = "message.not-the-sender"
    title = "Only the sender of a message can do this"


class Conflict(MailsealError):
    code = "conflict"
    status = 409
    title = "Conflict"


class ServerBusy(MailsealError):
    """Every worker of the job pool is busy and its waiting line is full; `retry_after` is in seconds."""

    code = "server.busy"
    status = 503
    title = "The server is busy; try again shortly"

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class AuditNotRecorded(ServerBusy):
    """The commit that would have made an open's audit row durable failed, so the key is not handed out."""

    code = "audit.not-recorded"
    title = "The server could not record this open; try again shortly"

    def __init__(self, detail: str | None = None, *, retry_after: int = 2) -> None:
        super().__init__(detail, retry_after=retry_after)


class JobFailed(MailsealError):
    """Heavy work (parsing an upload, rendering a message) stopped in its worker process."""

    code = "server.job-failed"
    status = 500
    title = "The server could not finish this; try again"


class JobTimedOut(JobFailed):
    """The job ran past the pool's time limit; its worker was stopped and replaced."""

    code = "server.job-timeout"
    status = 503
    title = "This took too long to process and was stopped"


class JobTooLarge(JobFailed):
    """The job needed more memory than a worker may take."""

    code = "server.job-too-large"
    status = 413
    title = "This needs more memory to process than the server allows"


class ConfigError(MailsealError):
    code = "config.invalid"
    title = "A setting is not valid"


class SettingError(ConfigError):
    """One setting is wrong. `source` (a file and line, an environment variable, a flag) is filled in by
    whoever knows where the value came from (`config.load_settings`, the CLI for later checks)."""

    def __init__(self, setting: str, problem: str, *, source: str | None = None) -> None:
        self.setting = setting
        self.problem = problem
        self.source = source
        where = f" ({source})" if source else ""
        super().__init__(f"{setting}{where}: {problem}")

    def with_source(self, source: str) -> SettingError:
        return SettingError(self.setting, self.problem, source=source)


class MigrationRefused(ConfigError):
    """`mailseal migrate` will not start: the source is being written, or the target holds other data."""

    code = "migrate.refused"
    title = "The migration cannot start"


class MigrationIncomplete(MailsealError):
    """`mailseal migrate` ran, but a row count, a row or a blob's SHA-256 differs between source and target."""

    code = "migrate.incomplete"
    title = "The migration did not verify"


class RulesError(ConfigError):
    """The mail flow rules file is not valid; the detail names the file, the line and the reason."""

    code = "rules.invalid"
    title = "The mail flow rules are not valid"

    def __init__(self, detail: str | None = None, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(detail)
        self.line = line
        self.column = column


class InvalidAddress(InputError):
    code = "input.invalid-address"
    title = "That is not a valid e-mail address"


class ClientRateLimited(RateLimited):
    """Too many requests from one client; `retry_after` (seconds) is for the Retry-After header."""

    code = "rate-limited.client"

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class LongCodeNeeded(AuthError):
    """Too many guesses failed at this address lately, so its 8-digit codes are not checked; the codes
    mailed for it now have 16 digits. Whoever reads the mailbox asks for a new code and signs in with it."""

    code = "auth.long-code-needed"
    title = "This address needs a 16-digit code for now; ask for a new code"


class PushSubscriptionInvalid(InputError):
    """A PushSubscription from a browser has the wrong shape, sizes or keys."""

    code = "push.invalid-subscription"
    title = "That push subscription is not valid"


class PushEndpointRefused(InputError):
    """A push endpoint is not a known push service on a public address; nothing was sent to it."""

    code = "push.endpoint-refused"
    title = "That push endpoint is not allowed"


class PushSubscriptionTaken(Conflict):
    """The push endpoint is subscribed for another device, and this request does not carry the keys
    that subscription was made with: only the browser that owns it may move it."""

    code = "push.subscription-taken"
    title = "That push endpoint belongs to another device"


class AdminTokenRequired(AuthError):
    """The admin API needs `Authorization: Bearer <token>` with a token from `mailseal admin token`."""

    code = "auth.admin-token"
    title = "An admin token is required (Authorization: Bearer ...)"


class RightNotGranted(PolicyRefused):
    """The identity may open the message, but its template withholds this right (reply-all, forward, ...)."""

    code = "policy.right-not-granted"
    title = "The sender's protection does not allow this for this message"


class WrongPassphrase(ConfigError):
    """The passphrase-protected key ring does not open: a wrong passphrase, or a changed file."""

    code = "keys.wrong-passphrase"
    title = "The key ring does not open with this passphrase"


class KeyStoreError(ConfigError):
    """The key store cannot be used: a token that is missing, refuses the PIN or lacks a mechanism."""

    code = "keys.store"
    title = "The key store cannot be used"


class ForeignMail(NoEnvelope):
    """Mail that someone else protected (docs/display.md): Mailseal holds no key for it. `detail` is one
    of our own sentences (never mail content); `open_url`, for Microsoft 365, is the portal link the mail
    carries, only when it is an https link to Microsoft's own hosts."""

    code = "envelope.foreign"
    status = 422
    title = "This message was protected by another system"

    def __init__(self, detail: str | None = None, *, open_url: str = "") -> None:
        super().__init__(detail)
        self.open_url = open_url


class ForeignMicrosoft(ForeignMail):
    code = "envelope.foreign-microsoft"
    title = "This message was protected with Microsoft 365"


class ForeignSmime(ForeignMail):
    code = "envelope.foreign-smime"
    title = "This message is encrypted with S/MIME"


class ForeignPgp(ForeignMail):
    code = "envelope.foreign-pgp"
    title = "This message is encrypted with OpenPGP"


class NotEmail(NoEnvelope):
    """A file that is no e-mail message at all; `detail` says what it is, in one of our own sentences."""

    code = "input.not-email"
    status = 415
    title = "This file is not an e-mail message"


class BackupRefused(MailsealError):
    """A backup or restore that cannot be done safely here: a non-empty target, a remote store, no decision
    about revocations made since the backup."""

    code = "backup.refused"
    title = "The backup or restore was refused"


class BackupDamaged(MailsealError):
    """A backup whose files do not match its manifest (changed, missing, or added): nothing was restored."""

    code = "backup.damaged"
    title = "The backup does not match its manifest"


class PasscodeNotAllowed(Forbidden):
    code = "auth.passcode-off"
    title = "Sign-in by passcode is turned off for this address's domain; use one of the other ways shown"


class FederatedSignInRefused(AuthError):
    """Any failure of a federated sign-in. `code` says which check failed (the detail names no token)."""

    code = "oidc.refused"
    title = "The sign-in with that account did not work; try again, or use a passcode"

    def __init__(self, reason: str, detail: str | None = None) -> None:
        self.reason = reason
        super().__init__(detail)
class PasskeyRefused(AuthError):
    """A passkey that did not verify: unknown or removed, another site's, without user verification, a
    spent or stale challenge, a counter that went back. One error for all, so nothing about the passkey
    leaks; the reason goes to the log and, for a known passkey, to the audit trail."""

    code = "auth.passkey-refused"
    title = "This passkey was not accepted; sign in with a code"


class PasskeysOff(Forbidden):
    """Passkeys are turned off (the `passkeys` setting), or `public_url` is an IP address, which WebAuthn
    cannot use as a relying party id."""

    code = "auth.passkeys-off"
    title = "Passkeys are not available here"
