-- A seat's `status` is AVAILABLE, RESERVED, BOOKED or BLOCKED. A RESERVED seat whose `reserved_until`
-- has passed counts as AVAILABLE everywhere (lazy expiry); the cleanup job tidies it later.
-- `version` grows with every change: the guard's conditional updates compare it.
CREATE TABLE seats (
    seat_id VARCHAR(36) PRIMARY KEY,
    event_id VARCHAR(36) NOT NULL,
    seat_number VARCHAR(80) NOT NULL,
    section VARCHAR(50) NOT NULL,
    section_order BIGINT NOT NULL,
    row_no BIGINT NOT NULL,
    seat_index BIGINT NOT NULL,
    row_size BIGINT NOT NULL,
    seat_type VARCHAR(16) NOT NULL,
    price BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    hold_reservation_id VARCHAR(36),
    hold_user_id VARCHAR(36),
    reserved_until BIGINT,
    version BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    UNIQUE KEY seats_number (event_id, seat_number),
    INDEX seats_layout (event_id, section_order, row_no, seat_index)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE reservations (
    reservation_id VARCHAR(36) PRIMARY KEY,
    event_id VARCHAR(36) NOT NULL,
    seat_id VARCHAR(36) NOT NULL,
    seat_number VARCHAR(80) NOT NULL,
    section VARCHAR(50) NOT NULL,
    row_no BIGINT NOT NULL,
    price BIGINT NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    expires_at BIGINT NOT NULL,
    booking_id VARCHAR(36),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    INDEX reservations_user (user_id, event_id, status),
    INDEX reservations_expiry (status, expires_at),
    INDEX reservations_seat (seat_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
