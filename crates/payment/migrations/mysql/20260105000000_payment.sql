-- Payments of the simulated gateway. Only the last four digits of a card are kept: never the
-- number, never the cvv. `idempotency_key` makes a retried charge return the first one's result.
CREATE TABLE payments (
    payment_id VARCHAR(36) PRIMARY KEY,
    idempotency_key VARCHAR(255) NOT NULL,
    user_id VARCHAR(128) NOT NULL,
    booking_id VARCHAR(36),
    amount BIGINT NOT NULL,
    currency VARCHAR(3) NOT NULL,
    card_last4 VARCHAR(4) NOT NULL,
    status VARCHAR(16) NOT NULL,
    decline_code VARCHAR(64),
    transaction_id VARCHAR(64),
    created_at BIGINT NOT NULL,
    processed_at BIGINT,
    refunded_at BIGINT,
    updated_at BIGINT NOT NULL,
    UNIQUE KEY payments_key (idempotency_key),
    INDEX payments_pending (status, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- Webhooks to the booking service, written in the same transaction as the payment change and
-- retried with backoff until acknowledged.
CREATE TABLE webhook_deliveries (
    delivery_id VARCHAR(36) PRIMARY KEY,
    payment_id VARCHAR(36) NOT NULL,
    event_type VARCHAR(64) NOT NULL,
    payload MEDIUMTEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    delivered_at BIGINT,
    last_error VARCHAR(500),
    created_at BIGINT NOT NULL,
    INDEX webhook_due (delivered_at, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
