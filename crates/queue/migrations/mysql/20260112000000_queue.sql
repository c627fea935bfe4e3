-- The waiting rooms when the queue runs in memory on a MySQL store (no Redis): see the SQLite file.
CREATE TABLE queue_rooms (
    event_id VARCHAR(64) PRIMARY KEY,
    opened TINYINT NOT NULL,
    paused TINYINT NOT NULL,
    rate_override BIGINT,
    next_pos BIGINT NOT NULL,
    admitted_upto BIGINT NOT NULL,
    admitted_total BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE queue_places (
    event_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(128) NOT NULL,
    position BIGINT NOT NULL,
    joined_at BIGINT NOT NULL,
    admitted_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, user_id),
    KEY queue_places_by_position (event_id, position)
);
