-- The outbound SMTP queue (mail room). A row is deleted only after the server's 250, so a crash
-- mid-send sends again (at least once). Claiming a row pushes next_attempt_at forward by a lease.
CREATE TABLE mail_queue (
    id              INTEGER PRIMARY KEY,
    mail_from       TEXT NOT NULL,
    recipients      TEXT NOT NULL,     -- JSON list of the recipients still to deliver
    message         BLOB NOT NULL,
    queued_at       INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at, id);

-- Mail the queue gave up on: the envelope and the reason, never the message.
CREATE TABLE mail_failures (
    id          INTEGER PRIMARY KEY,
    queue_id    INTEGER NOT NULL,
    mail_from   TEXT NOT NULL,
    recipients  TEXT NOT NULL,         -- JSON list of the recipients that failed
    message_id  TEXT NOT NULL DEFAULT '',
    queued_at   INTEGER NOT NULL,
    failed_at   INTEGER NOT NULL,
    attempts    INTEGER NOT NULL,
    reason      TEXT NOT NULL
);
CREATE INDEX mail_failures_by_time ON mail_failures (failed_at DESC)
