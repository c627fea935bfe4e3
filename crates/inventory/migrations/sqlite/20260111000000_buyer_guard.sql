-- One row per (event, buyer) with a per-buyer limit. A reservation bumps it first in its
-- transaction, so concurrent reservations of one buyer for one event queue on this row and each
-- counts what the one before it committed (the database guards the limit even if a lock is lost).
CREATE TABLE buyer_guard (
    event_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, user_id)
);
