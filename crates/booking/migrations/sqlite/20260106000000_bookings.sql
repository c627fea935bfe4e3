-- Bookings and the saga state that lets any booking process finish or compensate one.
-- `step` is the saga's position (NEW, PINNED, CHARGING, CHARGED, REFUNDING, CANCELLING, DONE);
-- `lease_owner`/`lease_until` say which process works on it and until when.
CREATE TABLE bookings (
    booking_id TEXT PRIMARY KEY,
    booking_reference TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    event_id TEXT,
    reservation_ids TEXT NOT NULL,
    seats TEXT NOT NULL,
    total_amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    step TEXT NOT NULL,
    payment_id TEXT,
    payment_status TEXT NOT NULL,
    error TEXT,
    lease_owner TEXT,
    lease_until INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    confirmed_at INTEGER,
    cancelled_at INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE INDEX bookings_user ON bookings (user_id, created_at);
CREATE INDEX bookings_event ON bookings (event_id, status);
CREATE INDEX bookings_step ON bookings (step, lease_until);
-- Idempotency keys, scoped to the user, kept 24 hours.
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    booking_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
-- Payment webhooks received (a repeat is recognised by its id and changes nothing).
CREATE TABLE payment_webhooks (
    webhook_id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL,
    booking_id TEXT,
    event_type TEXT NOT NULL,
    status TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
