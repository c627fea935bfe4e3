//! The booking service: turns a buyer's holds into a paid booking, and undoes it (shared/API.md §6).
//! It owns the `bookings` database (bookings with their saga state, idempotency keys, received
//! payment webhooks); seats belong to the inventory and money to the payment service, which it
//! reaches only through [`common::clients::InventoryHolds`] and [`common::clients::PaymentsApi`].
//!
//! # The saga, and why it never charges without seats
//!
//! `POST /api/bookings/confirm` first records the idempotency key (scoped to the user; the primary
//! key on (user, key) lets exactly one of many concurrent requests through) together with a booking
//! at step `NEW`, leased to this process. The rest runs in a task of its own, so a client that
//! goes away mid-payment does not stop it (a retry with the same key gets the outcome). Each step
//! is written to the database *before* its action, three writes of the booking in all:
//!
//! 1. **pin** the holds: the inventory checks they are the caller's, `ACTIVE`, not expired and not
//!    being paid for by another booking, extends them past anything the saga may still do (lease +
//!    two payment timeouts) and marks them as this booking's. A refused hold ends the booking
//!    `FAILED` with `403`/`409` before any money moves; so does a second key for the same holds.
//! 2. **charge** (step `CHARGING`, written with the pinned seats and the total), idempotent on a key
//!    derived from the booking id, so a retry after a timeout cannot charge twice. An unknown
//!    outcome is *settled* by asking the payment service, which fences the key if no charge was
//!    made. A decline releases the holds: `402`.
//! 3. **confirm** the seats, then `DONE`/`CONFIRMED`. The pin guarantees the holds are still ours;
//!    if the inventory refuses anyway, the charge is refunded (step `REFUNDING`) and the booking is
//!    `FAILED` with the answer saying so. `CONFIRMED` carries an 8-character `bookingReference`.
//!
//! The moves ([`model::Step::may_follow`] is the one place they are written):
//!
//! | from | to | when |
//! |---|---|---|
//! | `NEW` | `CHARGING` | the holds are pinned; the charge is about to be asked for |
//! | `NEW` | `DONE` (`FAILED`) | the pin was refused, or recovery released the holds (nothing charged) |
//! | `CHARGING` | `DONE` (`CONFIRMED`) | charged and the seats confirmed |
//! | `CHARGING` | `DONE` (`FAILED`) | declined, or refused before money moved; the holds released |
//! | `CHARGING` | `REFUNDING` | charged but the seats could not be confirmed |
//! | `REFUNDING` | `DONE` (`FAILED`) | refunded in full, holds released |
//! | `DONE` (`CONFIRMED`) | `CANCELLING` | a cancel claimed it (one caller wins) |
//! | `CANCELLING` | `DONE` (`CANCELLED`) | refunded, seats freed |
//!
//! (`PINNED` and `CHARGED` were written by earlier versions between these steps; a booking left
//! at one is still recovered, as `NEW` and as `CHARGING` after the settle respectively.)
//!
//! A process renews the leases of the sagas it runs (a heartbeat, three times a lease), so a live
//! saga is never taken over however long its charge takes, and a dead process's sagas are free
//! after one lease (6 s by default). The recovery sweep (at start and every couple of seconds, on
//! every booking process) takes such a booking over with a conditional update and drives it
//! forward or compensates it: before the charge there is no card any more, so the holds are
//! released; at `CHARGING` the payment is settled by its key (a charge the dead process left
//! `PENDING` is decided `FAILED` after the gateway's longest latency: no money moved) and the
//! seats confirmed or the holds released. Every write is conditional on the step and the lease
//! owner, so two processes never work on one booking.
//!
//! Cancelling (owner, admin, or a cancelled event found in the events outbox) claims the booking with
//! a conditional update, refunds in full and frees the seats: concurrent cancels refund once.
//! Every state change writes an outbox row in its transaction.
//!
//! With Redis configured, replays of finished confirmations are answered from a Redis fast path
//! (`replay`); the database record stays the truth and decides every race.
//!
//! Layout: `http` (routes) -> `service` (saga, recovery, jobs) -> `store` (SQL); `model` (rows,
//! wire shapes).

mod http;
mod replay;
pub mod model;
mod service;
mod store;

pub use http::{internal_router, openapi, router};
pub use service::{BookingConfig, BookingService};
pub use store::audit_rows;

#[async_trait::async_trait]
impl common::clients::BookingsFeed for BookingService {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<common::clients::OutboxRecord>, common::ApiError> {
        BookingService::outbox_after(self, after, limit).await
    }
    async fn holders(&self, event_id: &str, since_ms: i64) -> Result<Vec<common::clients::BookingHolder>, common::ApiError> {
        BookingService::holders(self, event_id, since_ms).await
    }
}

pub fn migrations() -> ::store::Migrations {
    ::store::migrations!()
}
