-- Tickets and check-in. A ticket is a seat of a booking; it has a row here only once admitted.
-- The primary key is the "exactly once": a second admission of a ticket is refused by it.
CREATE TABLE ticket_scans (
    ticket_id TEXT PRIMARY KEY,
    booking_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    seat_number TEXT NOT NULL,
    used_at INTEGER NOT NULL,
    gate TEXT NOT NULL
);
CREATE INDEX ticket_scans_booking ON ticket_scans (booking_id);
CREATE INDEX ticket_scans_event ON ticket_scans (event_id);
-- Who may scan at one event's doors besides admins.
CREATE TABLE event_scanners (
    event_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX event_scanners_user ON event_scanners (user_id);
-- The Ed25519 seed that signs ticket codes, created by the first process that needs it.
CREATE TABLE ticket_keys (
    key_id TEXT PRIMARY KEY,
    seed TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
