-- The waiting rooms of embedded mode: the queue lives in memory and every change is written here, so
-- a restart reloads every place. `position` is 0 in the pre-queue (before the sale opens) and counts
-- from 1 after; `admitted_at` is 0 until the fan is admitted.
CREATE TABLE queue_rooms (
    event_id TEXT PRIMARY KEY,
    opened INTEGER NOT NULL,
    paused INTEGER NOT NULL,
    rate_override INTEGER,
    next_pos INTEGER NOT NULL,
    admitted_upto INTEGER NOT NULL,
    admitted_total INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE queue_places (
    event_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    joined_at INTEGER NOT NULL,
    admitted_at INTEGER NOT NULL,
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX queue_places_by_position ON queue_places (event_id, position);
