-- The waitlist of sold-out events (shared/API.md §14). `seq` is the order of joining. `live_key`
-- (event:user) is set while the entry is WAITING or OFFERED and cleared when it ends, so an account
-- has at most one live entry per event (a unique key, whatever the concurrency).
CREATE TABLE waitlist (
    seq BIGINT AUTO_INCREMENT PRIMARY KEY,
    entry_id VARCHAR(36) NOT NULL,
    event_id VARCHAR(36) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    quantity BIGINT NOT NULL,
    section VARCHAR(50),
    buyer_limit BIGINT,
    status VARCHAR(16) NOT NULL,
    live_key VARCHAR(110),
    offer_reservation_ids TEXT,
    offer_expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE KEY waitlist_entry (entry_id),
    UNIQUE KEY waitlist_live (live_key),
    INDEX waitlist_event (event_id, status, seq),
    INDEX waitlist_user (user_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- The entry a hold was offered to (NULL for every ordinary hold).
ALTER TABLE reservations ADD COLUMN waitlist_entry_id VARCHAR(36) NULL;
