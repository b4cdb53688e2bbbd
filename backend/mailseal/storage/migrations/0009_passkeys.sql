-- Passkeys (WebAuthn credentials, issue 15). A passkey is bound at registration to the verified
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
CREATE INDEX webauthn_challenges_by_expiry ON webauthn_challenges (expires_at)
