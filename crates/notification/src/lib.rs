//! The notification service: tells buyers by email what happened to their bookings (shared/API.md
//! §9). It owns the `notification` database (notifications, the reminder schedule, its cursors in
//! other services' outboxes) and nothing else: bookings, events and accounts are read through
//! [`common::clients::BookingsFeed`], [`common::clients::EventsFeed`] and
//! [`common::clients::UserDirectory`], in process or over HTTP.
//!
//! # From outbox row to mail, once
//!
//! Two followers read the booking and events outboxes after durable cursors
//! ([`store::outbox::Cursor`], with its gap handling). Each row they handle makes at most one
//! notification per recipient: the row's id and the recipient form a unique `dedup_key`, so a row
//! read again (after a crash before the cursor was saved) changes nothing. Notifications are
//! rendered when made (minijinja templates, text and HTML parts) and stored `PENDING`.
//! `BookingConfirmed` also schedules the booking's reminder one day before the event; the scheduler
//! fires a due reminder by a conditional update (`SCHEDULED` -> `FIRED`) in the same transaction as
//! its notification, so it fires once however many processes run it. Its clock is injectable
//! ([`clock::Clock`]) so tests need no day-long sleeps.
//!
//! The dispatcher claims a due `PENDING` row with a conditional update that sets a lease, sends it
//! (SMTP or the `.eml` spool, [`mail::Mailer`]) and marks it `SENT` if it still holds the lease. A
//! failed attempt is retried with exponential backoff, then the row is `FAILED` with the reason. Two
//! dispatchers never send one row at the same time; a dispatcher that dies mid-send lets its lease
//! run out and another sends the row again: at most one duplicate per crash.
//!
//! Layout: `http` (routes) -> `service` (rules, followers, scheduler, dispatcher) -> `store` (SQL);
//! `templates` (rendering), `mail` (transports), `clock`.

pub mod clock;
mod http;
pub mod mail;
mod service;
mod store;
pub mod templates;

pub use http::{openapi, router};
pub use service::{NotificationConfig, NotificationService, NotificationView, Sources};

pub fn migrations() -> ::store::Migrations {
    ::store::migrations!()
}

#[cfg(test)]
mod tests;
