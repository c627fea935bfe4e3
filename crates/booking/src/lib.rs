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
//! 1. **book** the seats: the inventory checks the holds are the caller's, `ACTIVE` and not
//!    expired, and turns them into seats `BOOKED` for this booking, in one transaction. From here
//!    nobody else can take them and they cannot run out during the payment; a second booking of
//!    the same holds (another idempotency key) is refused here, before any money moves. A refusal
//!    ends the booking `FAILED` with `403`/`409`.
//! 2. **charge**, idempotent on a key derived from the booking id, so a retry after a timeout cannot
//!    charge twice. An unknown outcome is *settled* by asking the payment service, which fences the
//!    key if no charge was made. A decline frees the booked seats: `402`.
//! 3. **done**: `DONE`/`CONFIRMED` with the seats, the total and the payment, or `DONE`/`FAILED`.
//!    `CONFIRMED` carries an 8-character `bookingReference`. A charged fan always has the seats:
//!    they were booked before the charge.
//!
//! The moves ([`model::Step::may_follow`] is the one place they are written):
//!
//! | from | to | when |
//! |---|---|---|
//! | `NEW` | `DONE` (`CONFIRMED`) | the seats booked and the charge made |
//! | `NEW` | `DONE` (`FAILED`) | the holds refused, the charge declined (seats freed), or recovery found no charge (nothing charged, seats and holds given back) |
//! | `NEW` | `REFUNDING` | recovery found a charge but the seats could not be booked for it (never expected: they are booked first) |
//! | `REFUNDING` | `DONE` (`FAILED`) | refunded in full, seats given back |
//! | `DONE` (`CONFIRMED`) | `CANCELLING` | a cancel claimed it (one caller wins) |
//! | `CANCELLING` | `DONE` (`CANCELLED`) | refunded, seats freed |
//!
//! (`PINNED`, `CHARGING` and `CHARGED` were written by earlier versions between these steps; a
//! booking left at one is recovered like `NEW`.)
//!
//! A process renews the leases of the sagas it runs (a heartbeat, three times a lease), so a live
//! saga is never taken over however long its charge takes, and a dead process's sagas are free
//! after one lease (6 s by default). The recovery sweep (at start and every couple of seconds, on
//! every booking process) takes such a booking over with a conditional update and drives it
//! forward or compensates it. It first settles the charge by its key (which fences the key if no
//! charge was made; a charge the dead process left `PENDING` is decided `FAILED` after the gateway's
//! longest latency + 5 s: no money moved): charged, the booking is confirmed (its seats were booked
//! first); not, its seats and holds are given back (there is no card any more to try again). Every
//! write is conditional on the step and the lease owner, so two processes never work on one booking.
//!
//! Cancelling (owner, admin, or a cancelled event found in the events outbox) claims the booking with
//! a conditional update, refunds in full and frees the seats: concurrent cancels refund once.
//! Every state change writes an outbox row in its transaction.
//!
//! With Redis configured, replays of finished confirmations are answered from a Redis fast path
//! (`replay`); the database record stays the truth and decides every race.
//!
//! # Tickets
//!
//! Each seat of a confirmed booking is a ticket with a signed code, admitted at the door exactly
//! once; a cancelled booking's tickets are revoked with it (see [`tickets`]).
//!
//! Layout: `http` (routes) -> `service` (helpers, reads, webhooks, jobs; `service/saga` the saga and its
//! recovery, `service/cancel` cancelling) -> `store` (SQL; `store/batches` the group-commit
//! kinds); `model` (rows, wire shapes); `tickets` (tickets and check-in, with their own routes
//! and SQL).

mod http;
pub mod model;
mod replay;
mod service;
mod store;
pub mod tickets;

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
