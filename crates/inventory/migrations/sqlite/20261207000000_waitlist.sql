-- The waitlist of sold-out events (shared/API.md §14). `seq` is the order of joining. `live_key`
-- (event:user) is set while the entry is WAITING or OFFERED and cleared when it ends, so an account
-- has at most one live entry per event (a unique key, whatever the concurrency).
CREATE TABLE waitlist (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id TEXT NOT NULL UNIQUE,
    event_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    section TEXT,
    buyer_limit INTEGER,
    status TEXT NOT NULL,
    live_key TEXT UNIQUE,
    offer_reservation_ids TEXT,
    offer_expires_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX waitlist_event ON waitlist (event_id, status, seq);
CREATE INDEX waitlist_user ON waitlist (user_id, created_at);
-- The entry a hold was offered to (NULL for every ordinary hold).
ALTER TABLE reservations ADD COLUMN waitlist_entry_id TEXT;
