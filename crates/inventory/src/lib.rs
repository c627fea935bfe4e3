//! The inventory: seat layouts, holds, and the guarantee that no seat is ever sold twice
//! (shared/API.md §5).
//!
//! # How a seat is kept from being sold twice
//!
//! The **database is the arbiter**. A seat changes state only through a conditional update that
//! names the state it expects: `... WHERE seat_id = ? AND version = ? AND (status = 'AVAILABLE' OR
//! (status = 'RESERVED' AND reserved_until <= now))`. All seats of a request are taken in one
//! transaction; if any update matches no row, the transaction rolls back and nothing is held. Two
//! requests can never both see their update match, on SQLite (one writer at a time) or on MySQL
//! (the update locks the row and re-checks the condition against the latest committed version).
//!
//! **Locks come first, to spare the database**, never to guarantee anything. Before its transaction
//! a request takes a lock per seat (sorted, all or none, bounded wait): the in-process table in
//! embedded mode, Redis `SET NX PX` with a random token and a compare-and-delete release when
//! `TICKETING_REDIS_URL` is set ([`store::locks`]). Competing buyers of a hot seat queue there
//! instead of colliding in the database. A lock can be lost (its TTL runs out during a stall, Redis
//! restarts or is flushed); then two requests may reach the database together, and the conditional
//! update lets exactly one win. If Redis is down a request gets `503` at once, not a hang.
//!
//! **Holds are group-committed** (`batch`): instead of a transaction per request, requests without
//! a per-buyer limit go to one writer task per process that decides everything waiting in one
//! transaction, in arrival order, each request all or none. On SQLite it needs no seat lock (the
//! database has one writer anyway, and the updates keep their conditions); on MySQL it locks its
//! group's seat rows (`FOR UPDATE`), and the seat locks above still come first, so buyers of a hot
//! seat in different processes queue in Redis. Requests under a per-buyer limit take the locks (the
//! buyer's too) and a transaction of their own.
//!
//! **Expiry is lazy and eager.** A hold past `reserved_until` is free to every reader and to the
//! guard at once (the guard supersedes it and marks its reservation `EXPIRED` in the same
//! transaction). The cleanup job ([`InventoryService::cleanup_once`]) tidies such rows with the same
//! conditional updates, so it races harmlessly with reserve and confirm, and with copies of itself on
//! other replicas. Confirm requires `reserved_until > now` in its own conditional update, so an
//! expired hold is never confirmed. The booking service confirms the holds (seats `BOOKED` for the
//! booking) *before* it charges and frees them if the charge is declined, so a hold cannot run out
//! during a payment and a charged fan always has the seats.
//!
//! Every change writes an outbox row (`aggregate_id` = the event) in its transaction; the events
//! service follows it to keep `availableSeats` and `ON_SALE <-> SOLD_OUT` current.
//!
//! **The seat board answers most questions from memory** (`board`): whether a named seat is taken
//! (a `409` without a query), which seats are best available, the availability summary and the seat
//! map. It only ever says *no* or proposes candidates; the guarded transaction above still decides
//! every hold, so a board that is behind costs a retry, never a seat sold twice.
//!
//! **A sold-out event's freed seats go to its waitlist first** (shared/API.md §14): the transaction
//! that frees a seat offers it, in order of joining, to the first waiting fan it can serve
//! (`store/waitlist.rs`), so no other buyer ever sees it free in between.
//!
//! Layout: `http` (routes) -> `service` (rules, locks, jobs) -> `store` (SQL: `store/holds` the guard,
//! `store/waitlist` the matcher); `board` (seats in
//! memory), `model` (rows, wire shapes, request parsing), `allocate` (best-available selection, a
//! pure function), `waitlist` (the waitlist's rules and shapes).

mod allocate;
mod batch;
mod board;
mod events_cache;
mod holds;
mod http;
pub mod model;
mod service;
pub mod store;
pub mod waitlist;

pub use allocate::{best_available, Slot};
pub use events_cache::CachedEvents;
pub use http::{internal_router, openapi, router};
pub use service::{InventoryConfig, InventoryService, Reserved};

pub fn migrations() -> ::store::Migrations {
    ::store::migrations!()
}
