-- A seat's `status` is AVAILABLE, RESERVED, BOOKED or BLOCKED. A RESERVED seat whose `reserved_until`
-- has passed counts as AVAILABLE everywhere (lazy expiry); the cleanup job tidies it later.
-- `version` grows with every change: the guard's conditional updates compare it.
CREATE TABLE seats (
    seat_id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    seat_number TEXT NOT NULL,
    section TEXT NOT NULL,
    section_order INTEGER NOT NULL,
    row_no INTEGER NOT NULL,
    seat_index INTEGER NOT NULL,
    row_size INTEGER NOT NULL,
    seat_type TEXT NOT NULL,
    price INTEGER NOT NULL,
    status TEXT NOT NULL,
    hold_reservation_id TEXT,
    hold_user_id TEXT,
    reserved_until INTEGER,
    version INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    UNIQUE (event_id, seat_number)
);
CREATE INDEX seats_layout ON seats (event_id, section_order, row_no, seat_index);
CREATE TABLE reservations (
    reservation_id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    seat_id TEXT NOT NULL,
    seat_number TEXT NOT NULL,
    section TEXT NOT NULL,
    row_no INTEGER NOT NULL,
    price INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    booking_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX reservations_user ON reservations (user_id, event_id, status);
CREATE INDEX reservations_expiry ON reservations (status, expires_at);
CREATE INDEX reservations_seat ON reservations (seat_id);
