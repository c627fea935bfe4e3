//! The events service: the catalogue of events and their status machine (shared/API.md §4).
//!
//! Owns the `events` database. Every change writes an outbox row in its transaction (the search
//! indexer and the notifier follow it). The status moves by admin request through [`model::Status`]'s
//! transition table, and by itself: `UPCOMING -> ON_SALE` at `saleStartTime` (once the event has
//! seats), `-> COMPLETED` after the event date, and `ON_SALE <-> SOLD_OUT` as availability changes.
//! Seat counts are not ours: a follower reads the inventory's outbox through
//! [`common::clients::InventoryApi`] and copies each touched event's counts here.
//!
//! Layout: `http` (routes) -> `service` (rules, background jobs) -> `store` (SQL); `model` holds the
//! event, its input parsing and the status machine.

mod feed;
mod http;
pub mod model;
mod service;
mod store;

pub use feed::feed_router;
pub use http::{internal_router, openapi, router};
pub use model::{EventInput, Status};
pub use service::EventsService;
pub use store::audit_limits;

pub fn migrations() -> ::store::Migrations {
    ::store::migrations!()
}
