-- One row per notification: a (source, recipient) pair named by `dedup_key`, so a re-read outbox
-- row never makes a second one. The content is rendered when the row is made; the dispatcher only
-- sends. A sender claims a PENDING row by a conditional update that sets `lease_owner` and
-- `lease_until`; a sender that dies mid-send lets its lease run out and another takes the row over.
CREATE TABLE notifications (
    notification_id VARCHAR(64) PRIMARY KEY,
    dedup_key VARCHAR(191) NOT NULL UNIQUE,
    user_id VARCHAR(64) NOT NULL,
    type VARCHAR(32) NOT NULL,
    channel VARCHAR(16) NOT NULL,
    recipient VARCHAR(320) NOT NULL,
    subject VARCHAR(500) NOT NULL,
    body_text MEDIUMTEXT NOT NULL,
    body_html MEDIUMTEXT NOT NULL,
    status VARCHAR(16) NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner VARCHAR(64),
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    updated_at BIGINT NOT NULL,
    INDEX notifications_user (user_id, created_at),
    INDEX notifications_due (status, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- Reminders one day before the event, one per confirmed booking. `status` is SCHEDULED until the
-- scheduler fires it (FIRED, by a conditional update: once) or the booking/event is cancelled.
CREATE TABLE reminders (
    booking_id VARCHAR(64) PRIMARY KEY,
    user_id VARCHAR(64) NOT NULL,
    event_id VARCHAR(64) NOT NULL,
    booking_reference VARCHAR(32) NOT NULL,
    seats TEXT NOT NULL,
    event_date BIGINT NOT NULL,
    remind_at BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    INDEX reminders_due (status, remind_at),
    INDEX reminders_event (event_id, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
