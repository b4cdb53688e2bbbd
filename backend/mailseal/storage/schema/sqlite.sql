-- The current schema of the SQLite engine: what storage/migrations/0001…0013 build, in one place to read.
-- New installations and old ones both get it through the numbered migrations (the engine applies those
-- it has not recorded in `schema_version`); tests/test_storage_schema.py checks that applying every
-- migration to an empty file gives exactly this schema. Change both together: a new migration, and this
-- file as it reads after it. The PostgreSQL engine's schema is schema/postgresql.sql.
-- No plaintext of a sealed message is stored anywhere here.

-- The migrations applied, one row per migration number.
CREATE TABLE schema_version (version INTEGER PRIMARY KEY);

-- 0001: The key service's records and the stored envelopes. No plaintext: addresses and policy only.
CREATE TABLE seals (
    message_id   TEXT PRIMARY KEY,
    key_id       TEXT NOT NULL,
    wrapped_key  BLOB,                -- NULL once destroyed (revoked or expired)
    issuer       TEXT NOT NULL,
    sender       TEXT NOT NULL,
    recipients   TEXT NOT NULL,       -- JSON list of lower-case addresses
    template     TEXT NOT NULL,
    rights       TEXT NOT NULL,       -- JSON list
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    revoked_at   INTEGER,
    destroyed_at INTEGER,
    header_fingerprint   BLOB NOT NULL
);
-- The sender's view: the messages an address sent, newest first (0011).
CREATE INDEX seals_by_sender ON seals (sender, created_at);

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    action     TEXT NOT NULL,         -- seal | open | refuse | revoke | expire | list | sign-in (by code or passkey)
    message_id TEXT,
    actor      TEXT NOT NULL,         -- who asked: an address, "admin", "system"
    outcome    TEXT NOT NULL,         -- ok | an error code
    detail     TEXT NOT NULL DEFAULT '',
    address    TEXT,                  -- 0011: the party address the row is about; NULL: about no party
    device_id  TEXT                   -- 0011: the device that asked (devices.id; the device may be gone)
);
CREATE INDEX audit_by_message ON audit (message_id, id);
-- The access log reads a message's rows of given addresses (0011).
CREATE INDEX audit_by_message_address ON audit (message_id, address, id);

CREATE TABLE envelopes (
    message_id  TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    stored_at   INTEGER NOT NULL,
    thread_id   TEXT NOT NULL,
    in_reply_to TEXT
);
-- Threads are read by thread id, oldest first (0007).
CREATE INDEX envelopes_by_thread ON envelopes (thread_id, stored_at);

CREATE TABLE inbox (
    address    TEXT NOT NULL,
    message_id TEXT NOT NULL REFERENCES envelopes (message_id),
    added_at   INTEGER NOT NULL,
    via        TEXT NOT NULL,         -- seal | share | forward | reply
    read_at    INTEGER,
    PRIMARY KEY (address, message_id)
);
-- 0012: pages read each address's rows backwards from a cursor (added_at, then the implicit rowid).
CREATE INDEX inbox_by_address ON inbox (address, added_at);

-- 0012: counts kept per address in the transaction that changes the rows (messages; unread = read_at NULL).
-- A destroyed content key sets read_at on the message's unread rows.
CREATE TABLE inbox_counts (
    address  TEXT PRIMARY KEY,
    messages INTEGER NOT NULL DEFAULT 0,
    unread   INTEGER NOT NULL DEFAULT 0
);

-- 0002: The identity room: pending passcodes, rate-limit events, devices and sessions.
-- No raw passcode, session id, or client address is stored: only HMACs and SHA-256 hashes.

-- Pending passcodes (0008: several per address, each with its own row and reference).
-- address_key = HMAC(k_address, address), mac = HMAC(k_passcode, address|reference|code), version =
-- the code's shape (1: 8 digits; 2: 16 digits, mailed while the address is guarded). requester is no
-- longer written (it was the client that asked, when only that client could try a guarded code).
-- Tries are counted per (code, client) in rate_events.
CREATE TABLE passcodes (
    id          INTEGER PRIMARY KEY,
    address_key TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    reference   TEXT NOT NULL,
    mac         BLOB NOT NULL UNIQUE,
    requester   TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX passcodes_by_address ON passcodes (address_key, expires_at);

-- Sliding-window log: one row per counted event. bucket = HMAC(k_rate, kind|value), never raw.
CREATE TABLE rate_events (
    bucket TEXT NOT NULL,
    at     INTEGER NOT NULL
);
CREATE INDEX rate_events_by_bucket ON rate_events (bucket, at);
CREATE INDEX rate_events_by_time ON rate_events (at);

-- A device is one browser or installed app that signed in. Other rooms reference devices.id
-- (ON DELETE CASCADE): signing a device out deletes the device row.
CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);

-- One session per device. id_hash = SHA-256 of the session id (rotated at every sign-in).
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    id_hash      TEXT NOT NULL UNIQUE,
    device_id    TEXT NOT NULL UNIQUE REFERENCES devices (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- The verified addresses a session holds (work and personal), lower-case, IDNA A-label domains.
CREATE TABLE session_addresses (
    session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    address     TEXT NOT NULL,
    verified_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, address)
);
CREATE INDEX session_addresses_by_address ON session_addresses (address);

-- 0003: The push room: one Web Push subscription per device (a device that subscribes again replaces its row).
-- device_id is the identity room's devices.id. No FOREIGN KEY: that table belongs to another migration;
-- the identity room calls PushService.forget_device when it deletes a device.
-- p256dh (65-octet P-256 point) and auth (16 octets) are the browser's RFC 8291 keys; they let us
-- encrypt to that browser, nothing more.
CREATE TABLE push_subscriptions (
    id              INTEGER PRIMARY KEY,
    device_id       TEXT NOT NULL,
    endpoint        TEXT NOT NULL UNIQUE,
    p256dh          BLOB NOT NULL,
    auth            BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    last_success_at INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0,
    show_sender     INTEGER NOT NULL DEFAULT 0 CHECK (show_sender IN (0, 1))
);
CREATE UNIQUE INDEX push_subscriptions_by_device ON push_subscriptions (device_id);

-- 0004: The outbound SMTP queue (mail room). A row is deleted only after the server's 250, so a crash
-- mid-send sends again (at least once). Claiming a row pushes next_attempt_at forward by a lease.
CREATE TABLE mail_queue (
    id              INTEGER PRIMARY KEY,
    mail_from       TEXT NOT NULL,
    recipients      TEXT NOT NULL,     -- JSON list of the recipients still to deliver
    message         BLOB NOT NULL,
    queued_at       INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at, id);

-- Mail the queue gave up on: the envelope and the reason, never the message.
CREATE TABLE mail_failures (
    id          INTEGER PRIMARY KEY,
    queue_id    INTEGER NOT NULL,
    mail_from   TEXT NOT NULL,
    recipients  TEXT NOT NULL,         -- JSON list of the recipients that failed
    message_id  TEXT NOT NULL DEFAULT '',
    queued_at   INTEGER NOT NULL,
    failed_at   INTEGER NOT NULL,
    attempts    INTEGER NOT NULL,
    reason      TEXT NOT NULL
);
CREATE INDEX mail_failures_by_time ON mail_failures (failed_at DESC);

-- 0005: Personal forward addresses (messages room): <token>@<inbound domain>. A person's verified addresses
-- share one token; mail forwarded to it is added to the inbox of those addresses. The token is an
-- address people type into their mail app, so it is stored as it is (it opens nothing by itself:
-- only envelopes sealed here for these addresses can be added through it).
CREATE TABLE forward_addresses (
    token      TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
);

-- Each verified address belongs to at most one forward address.
CREATE TABLE forward_owners (
    address  TEXT PRIMARY KEY,
    token    TEXT NOT NULL REFERENCES forward_addresses (token) ON DELETE CASCADE,
    added_at INTEGER NOT NULL
);
CREATE INDEX forward_owners_by_token ON forward_owners (token);

-- 0006: Bearer tokens for the admin API (/api/admin/...), made by `mailseal admin token`. Only the SHA-256
-- of a token is stored; the token itself is printed once. A token is 256 random bits, so a plain hash
-- (no salt, no slow KDF) cannot be reversed by guessing.
CREATE TABLE admin_tokens (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);

-- 0009: Passkeys (WebAuthn credentials, issue 15). A passkey is bound at registration to the verified
-- addresses of the session that made it, and can sign in to those addresses only. No attestation is
-- kept: the public key (COSE), the sign counter and the backup flags are all the spec asks of us.
CREATE TABLE passkeys (
    id              TEXT PRIMARY KEY,      -- the credential id, base64url
    user_handle     BLOB NOT NULL,         -- the random user.id given to the authenticator
    public_key      BLOB NOT NULL,         -- COSE_Key
    sign_count      INTEGER NOT NULL,
    backup_eligible INTEGER NOT NULL CHECK (backup_eligible IN (0, 1)),
    backed_up       INTEGER NOT NULL CHECK (backed_up IN (0, 1)),
    name            TEXT NOT NULL,
    device_id       TEXT NOT NULL,         -- the device that registered it (no FOREIGN KEY: it outlives sign-outs)
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER
);

-- The addresses a passkey signs in to: those verified on its session when it was registered.
CREATE TABLE passkey_addresses (
    passkey_id TEXT NOT NULL REFERENCES passkeys (id) ON DELETE CASCADE,
    address    TEXT NOT NULL,
    PRIMARY KEY (passkey_id, address)
);
CREATE INDEX passkey_addresses_by_address ON passkey_addresses (address);

-- The sessions a passkey started: removing the passkey ends them.
CREATE TABLE passkey_sessions (
    session_id INTEGER PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    passkey_id TEXT NOT NULL
);
CREATE INDEX passkey_sessions_by_passkey ON passkey_sessions (passkey_id);

-- WebAuthn challenges, single use (deleted when taken) and short-lived. challenge_hash = SHA-256 of the
-- challenge; session_hash ties a registration's challenge to the session that asked ('' for sign-in).
CREATE TABLE webauthn_challenges (
    challenge_hash TEXT PRIMARY KEY,
    purpose        TEXT NOT NULL,          -- register | sign-in
    session_hash   TEXT NOT NULL DEFAULT '',
    user_handle    BLOB NOT NULL,
    expires_at     INTEGER NOT NULL
);
CREATE INDEX webauthn_challenges_by_expiry ON webauthn_challenges (expires_at);
-- 0010: Federated sign-ins under way (OpenID Connect), for at most ten minutes, deleted when used.
-- state_hash and binding_hash are SHA-256 of the state and of the browser's sign-in cookie; no provider
-- token is ever stored.
CREATE TABLE sign_in_flows (
    state_hash    TEXT PRIMARY KEY,
    binding_hash  TEXT NOT NULL,
    provider      TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    return_to     TEXT NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX sign_in_flows_by_expiry ON sign_in_flows (expires_at);

-- 0013: The push queue (push room): one row per (device, message, kind) still to be notified, written where
-- the message is recorded and sent by a `worker` process. Ids only: no endpoint, key, address or text.
-- Times in milliseconds. Claiming a row pushes next_attempt_ms forward by a lease.
CREATE TABLE push_queue (
    id              INTEGER PRIMARY KEY,
    device_id       TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('message', 'reply')),
    queued_ms       INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    UNIQUE (device_id, message_id, kind)
);
CREATE INDEX push_queue_due ON push_queue (next_attempt_ms, id);
