-- Tickets and check-in. A ticket is a seat of a booking; it has a row here only once admitted.
-- The primary key is the "exactly once": a second admission of a ticket is refused by it.
CREATE TABLE ticket_scans (
    ticket_id VARCHAR(64) PRIMARY KEY,
    booking_id VARCHAR(36) NOT NULL,
    event_id VARCHAR(64) NOT NULL,
    seat_number VARCHAR(80) NOT NULL,
    used_at BIGINT NOT NULL,
    gate VARCHAR(80) NOT NULL,
    INDEX ticket_scans_booking (booking_id),
    INDEX ticket_scans_event (event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- Who may scan at one event's doors besides admins.
CREATE TABLE event_scanners (
    event_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(128) NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, user_id),
    INDEX event_scanners_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- The Ed25519 seed that signs ticket codes, created by the first process that needs it.
CREATE TABLE ticket_keys (
    key_id VARCHAR(16) PRIMARY KEY,
    seed VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
