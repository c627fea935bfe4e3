//! The waiting room (shared/API.md §12): for a sale that draws more fans than the seats should see
//! at once, fans join a queue per event and are let in to reserve at the event's `admitPerMinute`.
//! This crate owns the queues and their admission; it does not own events (it reads each event's
//! status, room switch and rate through [`common::clients::EventsApi`]) nor seats (the inventory
//! asks it, through [`common::clients::Admissions`], whether a buyer was let in).
//!
//! **Fairness.** Whoever joins before the sale opens is in the pre-queue, without a position. When
//! the event turns `ON_SALE` (seen by the ticker, or by the first join after it), the pre-queue is
//! shuffled uniformly at random ([`fair`]: `rand`'s shuffle, seeded from the OS) into the first
//! places, so arriving early is no advantage over arriving on time; later arrivals queue behind in
//! arrival order. Admission always takes the front of the line, so nobody is ever passed. One place
//! per account and event: joining again returns the same place, until an admitted place expires
//! (after `TICKETING_ADMISSION_WINDOW_SECS`), after which joining again goes to the back.
//!
//! **Rate.** A token bucket filled at `admitPerMinute` (the event's, or the admin's override) and
//! spent on each tick; a pause stops it at once. Waiting is cheap: a poll is a hash lookup (or one
//! Redis round trip), and `pollAfterMs` grows with the distance to the front.
//!
//! **Where the queue lives.** Embedded mode: in memory ([`memory`]), each join written through to
//! the database with group commit and answered only once durable, so a restart reloads every place.
//! With `TICKETING_REDIS_URL`: in Redis ([`redis`]), one Lua script per change, so any number of
//! queue and gateway processes serve the same queue and admit each fan once, in order.
//!
//! **The gate.** While an event's waiting room is enabled, the inventory refuses a reservation from a
//! buyer who is not admitted, or whose window has passed, with `403 NOT_ADMITTED` and `queueUrl`.
//! The check is on the hot path: a memory lookup here, one `ZSCORE` in Redis
//! ([`redis::RedisAdmissions`]), or an HTTP call whose yes is cached until the window ends.
//!
//! Layout: `http` (routes) -> `service` (rules, ticker, gate) -> `backend` ([`memory`] + `store`
//! (SQL), or [`redis`]); `model` (places, views, the budget), `fair` (the shuffle), `clock`.

pub mod backend;
pub mod clock;
pub mod fair;
mod http;
pub mod memory;
pub mod model;
pub mod redis;
mod service;
mod store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use http::{internal_router, openapi, router};
pub use service::{QueueConfig, QueueService, DEFAULT_RATE};

pub fn migrations() -> ::store::Migrations {
    ::store::migrations!()
}

#[cfg(test)]
mod tests;
