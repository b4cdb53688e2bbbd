-- The push room: one Web Push subscription per device (a device that subscribes again replaces its row).
-- device_id is the identity room's devices.id. No FOREIGN KEY: that table belongs to another migration;
-- the identity room calls PushService.forget_device when it deletes a device.
-- p256dh (65-octet P-256 point) and auth (16 octets) are the browser's RFC 8291 keys; they let us
-- encrypt to that browser, nothing more.
CREATE TABLE push_subscriptions (
    id              INTEGER PRIMARY KEY,
    device_id       TEXT NOT NULL,
    endpoint        TEXT NOT NULL UNIQUE,
    p256dh          BLOB NOT NULL,
    auth            BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    last_success_at INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0,
    show_sender     INTEGER NOT NULL DEFAULT 0 CHECK (show_sender IN (0, 1))
);
CREATE UNIQUE INDEX push_subscriptions_by_device ON push_subscriptions (device_id)
