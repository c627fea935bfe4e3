-- Payments of the simulated gateway. Only the last four digits of a card are kept: never the
-- number, never the cvv. `idempotency_key` makes a retried charge return the first one's result.
CREATE TABLE payments (
    payment_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    booking_id TEXT,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    card_last4 TEXT NOT NULL,
    status TEXT NOT NULL,
    decline_code TEXT,
    transaction_id TEXT,
    created_at INTEGER NOT NULL,
    processed_at INTEGER,
    refunded_at INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE INDEX payments_pending ON payments (status, created_at);
-- Webhooks to the booking service, written in the same transaction as the payment change and
-- retried with backoff until acknowledged.
CREATE TABLE webhook_deliveries (
    delivery_id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    delivered_at INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX webhook_due ON webhook_deliveries (delivered_at, next_attempt_at);
