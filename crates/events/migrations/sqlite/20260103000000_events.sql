CREATE TABLE events (
    event_id TEXT PRIMARY KEY,
    event_name TEXT NOT NULL,
    description TEXT,
    category TEXT NOT NULL,
    venue_name TEXT NOT NULL,
    city TEXT NOT NULL,
    event_date INTEGER NOT NULL,
    sale_start INTEGER NOT NULL,
    sale_end INTEGER,
    tags TEXT NOT NULL,
    image_url TEXT,
    status TEXT NOT NULL,
    total_seats INTEGER NOT NULL DEFAULT 0,
    available_seats INTEGER NOT NULL DEFAULT 0,
    booked_seats INTEGER NOT NULL DEFAULT 0,
    min_price INTEGER,
    max_price INTEGER,
    max_tickets_per_user INTEGER,
    waiting_room_enabled INTEGER NOT NULL DEFAULT 0,
    admit_per_minute INTEGER NOT NULL DEFAULT 1000,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX events_date ON events (event_date);
CREATE INDEX events_status ON events (status, sale_start);
