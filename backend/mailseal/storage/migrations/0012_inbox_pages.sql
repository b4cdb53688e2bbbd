-- The inbox pages by arrival, newest first: each address's rows read backwards in one index (address,
-- added_at, then the rowid every SQLite index ends with), from a cursor, so a page costs the same at any size.
DROP INDEX inbox_by_address;
CREATE INDEX inbox_by_address ON inbox (address, added_at);

-- Counts kept per address, changed in the same transaction as the rows they count (never recounted):
-- messages = the address's inbox rows; unread = those with read_at NULL. A destroyed content key (revoked,
-- expired) sets read_at on the message's unread rows, so nobody is told to read what cannot be opened.
CREATE TABLE inbox_counts (
    address  TEXT PRIMARY KEY,
    messages INTEGER NOT NULL DEFAULT 0,
    unread   INTEGER NOT NULL DEFAULT 0
);

UPDATE inbox SET read_at = (SELECT COALESCE(seals.destroyed_at, seals.revoked_at, 0) FROM seals
                            WHERE seals.message_id = inbox.message_id)
 WHERE read_at IS NULL
   AND message_id IN (SELECT message_id FROM seals WHERE wrapped_key IS NULL);

INSERT INTO inbox_counts (address, messages, unread)
SELECT address, COUNT(*), SUM(CASE WHEN read_at IS NULL THEN 1 ELSE 0 END) FROM inbox GROUP BY address
