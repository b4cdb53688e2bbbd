-- The key service's records and the stored envelopes. No plaintext: addresses and policy only.
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

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    action     TEXT NOT NULL,         -- seal | open | refuse | revoke | expire | list
    message_id TEXT,
    actor      TEXT NOT NULL,         -- who asked: an address, "admin", "system"
    outcome    TEXT NOT NULL,         -- ok | an error code
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_message ON audit (message_id, id);

CREATE TABLE envelopes (
    message_id  TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    stored_at   INTEGER NOT NULL,
    thread_id   TEXT NOT NULL,
    in_reply_to TEXT
);

CREATE TABLE inbox (
    address    TEXT NOT NULL,
    message_id TEXT NOT NULL REFERENCES envelopes (message_id),
    added_at   INTEGER NOT NULL,
    via        TEXT NOT NULL,         -- seal | share | forward | reply
    read_at    INTEGER,
    PRIMARY KEY (address, message_id)
);
CREATE INDEX inbox_by_address ON inbox (address, added_at DESC)
