-- Federated sign-ins under way (OpenID Connect): what the callback needs, kept server side for at most
-- ten minutes and deleted when it is used. state_hash = SHA-256 of the state sent to the provider;
-- binding_hash = SHA-256 of the value in the browser's short-lived sign-in cookie (the callback must come
-- from the browser that started). The nonce and the PKCE verifier are random per sign-in; no provider
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
CREATE INDEX sign_in_flows_by_expiry ON sign_in_flows (expires_at)
