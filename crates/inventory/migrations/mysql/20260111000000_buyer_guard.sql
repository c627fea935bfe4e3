-- One row per (event, buyer) with a per-buyer limit. A reservation bumps it first in its
-- transaction, so concurrent reservations of one buyer for one event queue on this row and each
-- counts what the one before it committed (the database guards the limit even if a lock is lost).
CREATE TABLE buyer_guard (
    event_id VARCHAR(36) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
