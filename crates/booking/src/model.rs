//! Bookings: the row (with its saga state), the wire shape, and the confirm request.

use common::card::Card;
use common::money::Money;
pub use common::states::PaymentStatus;
use common::time::{opt_rfc3339, to_rfc3339};
use serde::{Deserialize, Serialize};

common::text_enum! {
    /// What a booking is, as clients see it (shared/API.md §6).
    pub enum BookingStatus {
        /// The saga is running.
        Pending = "PENDING",
        Confirmed = "CONFIRMED",
        Cancelled = "CANCELLED",
        /// Nothing was charged, or the charge was refunded; `error` holds the answer.
        Failed = "FAILED",
    }
}

common::text_enum! {
    /// Where a booking's saga stands. Every step is written before the action it announces, so a
    /// process that takes the booking over knows what may have happened (see the crate docs for
    /// the table of moves, and [`Step::may_follow`]).
    pub enum Step {
        /// The saga runs: the seats may have been booked for it and a charge may be in flight.
        /// Whoever takes it over settles the charge by its idempotency key first.
        New = "NEW",
        /// Written by earlier versions only (pinned holds, a charge in flight, a charge made);
        /// still recovered, like `NEW`.
        Pinned = "PINNED",
        Charging = "CHARGING",
        Charged = "CHARGED",
        /// The seats could not be confirmed: the charge is being refunded.
        Refunding = "REFUNDING",
        /// A confirmed booking is being cancelled: refund, then free the seats.
        Cancelling = "CANCELLING",
        /// Nothing left to do.
        Done = "DONE",
    }
}

impl Step {
    /// The saga's moves, in one place: `to` may be written over `self`. Every write of a step is
    /// conditional on the step it replaces ([`crate::store::BookingStore::save`]), and the service
    /// asks here first, so a move not in this table is a bug caught before it reaches the database.
    pub fn may_follow(self, to: Step) -> bool {
        use Step::*;
        matches!(
            (self, to),
            (New | Pinned | Charging | Charged, Done | Refunding)
                | (Refunding, Done)
                | (Done, Cancelling)
                | (Cancelling, Cancelling | Done)
        )
    }
}

/// A seat of a booking (as stored in `bookings.seats` and shown to clients).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookingSeat {
    pub seat_id: String,
    pub seat_number: String,
    pub section: String,
    pub row_number: i64,
    pub price: Money,
    pub reservation_id: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BookingRow {
    pub booking_id: String,
    pub booking_reference: String,
    pub user_id: String,
    pub event_id: Option<String>,
    pub reservation_ids: String,
    pub seats: String,
    pub total_amount: i64,
    pub currency: String,
    #[sqlx(try_from = "String")]
    pub status: BookingStatus,
    #[sqlx(try_from = "String")]
    pub step: Step,
    pub payment_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub payment_status: PaymentStatus,
    pub error: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until: i64,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
    pub cancelled_at: Option<i64>,
}

impl BookingRow {
    pub fn reservation_ids(&self) -> Vec<String> {
        serde_json::from_str(&self.reservation_ids).unwrap_or_default()
    }
    pub fn seats(&self) -> Vec<BookingSeat> {
        serde_json::from_str(&self.seats).unwrap_or_default()
    }
    /// The error a failed booking answered with (replayed to a retry with the same key).
    pub fn error_body(&self) -> Option<(u16, serde_json::Value)> {
        let v: serde_json::Value = serde_json::from_str(self.error.as_deref()?).ok()?;
        let status = v.get("status")?.as_u64()? as u16;
        Some((status, v.get("body")?.clone()))
    }
}

/// A booking as clients see it (shared/API.md §6).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookingView {
    pub booking_id: String,
    pub booking_reference: String,
    pub event_id: Option<String>,
    pub user_id: String,
    pub seats: Vec<BookingSeat>,
    pub total_amount: Money,
    pub currency: String,
    pub status: BookingStatus,
    pub payment_id: Option<String>,
    pub payment_status: PaymentStatus,
    pub created_at: String,
    pub confirmed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

impl From<&BookingRow> for BookingView {
    fn from(b: &BookingRow) -> Self {
        let failure_reason = if b.status == BookingStatus::Failed {
            b.error_body().and_then(|(_, body)| body.get("message").and_then(|m| m.as_str()).map(str::to_string))
        } else {
            None
        };
        BookingView {
            booking_id: b.booking_id.clone(),
            booking_reference: b.booking_reference.clone(),
            event_id: b.event_id.clone(),
            user_id: b.user_id.clone(),
            seats: b.seats(),
            total_amount: Money(b.total_amount),
            currency: b.currency.clone(),
            status: b.status,
            payment_id: b.payment_id.clone(),
            payment_status: b.payment_status,
            created_at: to_rfc3339(b.created_at),
            confirmed_at: opt_rfc3339(b.confirmed_at),
            cancelled_at: opt_rfc3339(b.cancelled_at),
            failure_reason,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BookingList {
    pub bookings: Vec<BookingView>,
}

/// `POST /api/bookings/confirm`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmInput {
    pub reservation_ids: Vec<String>,
    pub payment_method: Card,
    /// Instead of the `Idempotency-Key` header.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// A payment webhook's body, as far as the booking service reads it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookIn {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub payment_id: String,
    #[serde(default)]
    pub booking_id: Option<String>,
    pub status: String,
}

const REFERENCE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// 8 characters without 0/O or 1/I, easy to read over the phone (32^8 ~ 10^12 values).
pub fn new_reference() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..8).map(|_| REFERENCE_ALPHABET[rng.gen_range(0..REFERENCE_ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn references_are_unambiguous() {
        for _ in 0..100 {
            let r = super::new_reference();
            assert_eq!(r.len(), 8);
            assert!(!r.contains(['0', 'O', '1', 'I']));
        }
    }
}
