-- Personal forward addresses (messages room): <token>@<inbound domain>. A person's verified addresses
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
CREATE INDEX forward_owners_by_token ON forward_owners (token)
