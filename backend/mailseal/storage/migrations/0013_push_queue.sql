-- The push queue (push room): one row per (device, message, kind) still to be notified, written where the
-- message is recorded and sent by a `worker` process. Ids only: no endpoint, key, address or text. Times
-- in milliseconds, since a phone waits for these and a retry may be due within the second. Claiming a row
-- pushes next_attempt_ms forward by a lease, so a worker killed mid-send leaves it to another.
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
CREATE INDEX push_queue_due ON push_queue (next_attempt_ms, id)
