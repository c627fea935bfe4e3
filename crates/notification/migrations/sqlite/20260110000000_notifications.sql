-- One row per notification: a (source, recipient) pair named by `dedup_key`, so a re-read outbox
-- row never makes a second one. The content is rendered when the row is made; the dispatcher only
-- sends. A sender claims a PENDING row by a conditional update that sets `lease_owner` and
-- `lease_until`; a sender that dies mid-send lets its lease run out and another takes the row over.
CREATE TABLE notifications (
    notification_id TEXT PRIMARY KEY,
    dedup_key TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    type TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
-- Reminders one day before the event, one per confirmed booking. `status` is SCHEDULED until the
-- scheduler fires it (FIRED, by a conditional update: once) or the booking/event is cancelled.
CREATE TABLE reminders (
    booking_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    booking_reference TEXT NOT NULL,
    seats TEXT NOT NULL,
    event_date INTEGER NOT NULL,
    remind_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX reminders_due ON reminders (status, remind_at);
CREATE INDEX reminders_event ON reminders (event_id, status);
