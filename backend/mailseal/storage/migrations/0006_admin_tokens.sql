-- Bearer tokens for the admin API (/api/admin/...), made by `mailseal admin token`. Only the SHA-256
-- of a token is stored; the token itself is printed once. A token is 256 random bits, so a plain hash
-- (no salt, no slow KDF) cannot be reversed by guessing.
CREATE TABLE admin_tokens (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
)
