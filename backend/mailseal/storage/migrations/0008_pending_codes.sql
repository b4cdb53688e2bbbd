-- Several pending passcodes per address, each with its own row and reference (0002 kept one per
-- address, and a new request replaced it: anyone could cancel someone else's sign-in).
-- requester = HMAC(k_rate, client) of the client that asked for the code: while an address is guarded
-- (too many failed guesses), only that client may still try it. Tries are counted per (code, client)
-- in rate_events, so the old per-row counter goes.
CREATE TABLE passcodes_v2 (
    id          INTEGER PRIMARY KEY,
    address_key TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    reference   TEXT NOT NULL,
    mac         BLOB NOT NULL UNIQUE,
    requester   TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
INSERT INTO passcodes_v2 (address_key, version, reference, mac, created_at, expires_at)
    SELECT address_key, version, reference, mac, created_at, expires_at FROM passcodes;
DROP TABLE passcodes;
ALTER TABLE passcodes_v2 RENAME TO passcodes;
CREATE INDEX passcodes_by_address ON passcodes (address_key, expires_at)
