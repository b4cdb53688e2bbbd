-- The access log (issue 18): each audit row names the party address it is about (the address a message was
-- opened, listed, replied to or refused as; NULL for a row about no party: a seal, a revocation, an expiry, or
-- someone who is not a party) and the device that asked, so that a person reads the rows of their own
-- addresses and nobody else's. Opens recorded before this migration carry their address in `detail`.
ALTER TABLE audit ADD COLUMN address TEXT;
ALTER TABLE audit ADD COLUMN device_id TEXT;
UPDATE audit SET address = substr(detail, 4) WHERE detail LIKE 'as=%' AND action <> 'refuse';
CREATE INDEX audit_by_message_address ON audit (message_id, address, id);
-- The sender's view: the messages an address sent, newest first.
CREATE INDEX seals_by_sender ON seals (sender, created_at);
