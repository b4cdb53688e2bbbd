-- The identity room: pending passcodes, rate-limit events, devices and sessions.
-- No raw passcode, session id, or client address is stored: only HMACs and SHA-256 hashes.

-- One pending passcode per address (a new request replaces the old one).
-- address_key = HMAC(k_address, address), mac = HMAC(k_passcode, address|reference|code).
CREATE TABLE passcodes (
    address_key TEXT PRIMARY KEY,
    version     INTEGER NOT NULL DEFAULT 1,
    reference   TEXT NOT NULL,
    mac         BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    tries       INTEGER NOT NULL DEFAULT 0
);

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
CREATE INDEX session_addresses_by_address ON session_addresses (address)
