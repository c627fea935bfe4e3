//! Tickets and check-in as clients see them (shared/API.md §13), and the offline gates' shapes.

use serde::{Deserialize, Serialize};

common::text_enum! {
    /// A ticket's state (shared/API.md §13).
    pub enum TicketStatus {
        Valid = "VALID",
        /// Admitted once; `usedAt` and `gate` say when and where.
        Used = "USED",
        /// Its booking was cancelled or refunded.
        Revoked = "REVOKED",
    }
}

common::text_enum! {
    /// What a scan found.
    pub enum ScanResult {
        /// This scan let the holder in.
        Admitted = "ADMITTED",
        /// An earlier scan did: its `usedAt` and `gate` come with the answer.
        AlreadyUsed = "ALREADY_USED",
        Revoked = "REVOKED",
        /// A genuine ticket of another event.
        WrongEvent = "WRONG_EVENT",
        /// Not a code the platform signed (forged, altered, truncated).
        Invalid = "INVALID",
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketView {
    pub ticket_id: String,
    pub booking_id: String,
    pub event_id: String,
    pub seat_number: String,
    pub section: String,
    pub row_number: i64,
    /// The signed token the QR code carries.
    pub code: String,
    pub status: TicketStatus,
    pub used_at: Option<String>,
    pub gate: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TicketList {
    pub tickets: Vec<TicketView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyView {
    /// Always `Ed25519`.
    pub algorithm: &'static str,
    /// The 32-byte public key, base64.
    pub public_key: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanInput {
    /// The code read from the ticket.
    pub code: String,
    /// The gate that scanned it (1 to 80 characters).
    pub gate: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScanView {
    pub result: ScanResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seat_number: Option<String>,
    /// When the ticket was admitted (this scan's time for `ADMITTED`, the first one's otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckinCounts {
    pub event_id: String,
    /// Tickets of the event's confirmed bookings.
    pub expected: i64,
    pub admitted: i64,
}

/// What an offline gate downloads: every valid or used ticket of the event. A code that verifies
/// but whose ticket is not in the list was revoked after the download (or is of another event).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfflineList {
    pub event_id: String,
    pub algorithm: &'static str,
    pub public_key: String,
    pub generated_at: String,
    pub tickets: Vec<OfflineTicket>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfflineTicket {
    pub ticket_id: String,
    pub seat_number: String,
    pub status: TicketStatus,
    pub used_at: Option<String>,
    pub gate: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchInput {
    /// The gate that made these scans.
    pub gate: String,
    /// 1 to 1000 scans, each with when it was made (RFC 3339).
    pub scans: Vec<OfflineScan>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OfflineScan {
    pub code: String,
    pub scanned_at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchResults {
    /// One per uploaded scan, in the order they were sent.
    pub results: Vec<BatchResult>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchResult {
    pub code: String,
    #[serde(flatten)]
    pub scan: ScanView,
    /// The gate let someone in whom another scan had admitted first: the organizer should know.
    pub conflict: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScannerEvents {
    /// The events whose doors the caller may scan at (an admin may scan at every event).
    pub event_ids: Vec<String>,
}
