-- Bookings and the saga state that lets any booking process finish or compensate one.
-- `step` is the saga's position (NEW, PINNED, CHARGING, CHARGED, REFUNDING, CANCELLING, DONE);
-- `lease_owner`/`lease_until` say which process works on it and until when.
CREATE TABLE bookings (
    booking_id VARCHAR(36) PRIMARY KEY,
    booking_reference VARCHAR(16) NOT NULL,
    user_id VARCHAR(128) NOT NULL,
    event_id VARCHAR(64),
    reservation_ids TEXT NOT NULL,
    seats MEDIUMTEXT NOT NULL,
    total_amount BIGINT NOT NULL,
    currency VARCHAR(3) NOT NULL,
    status VARCHAR(16) NOT NULL,
    step VARCHAR(16) NOT NULL,
    payment_id VARCHAR(36),
    payment_status VARCHAR(16) NOT NULL,
    error TEXT,
    lease_owner VARCHAR(64),
    lease_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    cancelled_at BIGINT,
    updated_at BIGINT NOT NULL,
    UNIQUE KEY bookings_reference (booking_reference),
    INDEX bookings_user (user_id, created_at),
    INDEX bookings_event (event_id, status),
    INDEX bookings_step (step, lease_until)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- Idempotency keys, scoped to the user, kept 24 hours.
CREATE TABLE idempotency_keys (
    user_id VARCHAR(128) NOT NULL,
    idem_key VARCHAR(255) NOT NULL,
    request_hash VARCHAR(64) NOT NULL,
    booking_id VARCHAR(36) NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, idem_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- Payment webhooks received (a repeat is recognised by its id and changes nothing).
CREATE TABLE payment_webhooks (
    webhook_id VARCHAR(64) PRIMARY KEY,
    payment_id VARCHAR(36) NOT NULL,
    booking_id VARCHAR(36),
    event_type VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    received_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
