//! The payment service: a simulated card gateway with its own database (`payment`), shared/API.md §7.
//!
//! It owns payments and their webhooks, nothing else; it knows no booking, seat or event, only the
//! ids the booking service hands it. A charge is idempotent on the key the caller sends (the booking
//! service uses one key per booking): the first call records a `PENDING` payment under the key
//! (a unique index), decides after the configured latency, and records `SUCCESS` or `FAILED`; every
//! later call with the key gets that same payment, waiting if it is still being decided. So a charge
//! retried after a timeout never charges twice. When the caller cannot tell whether a charge
//! happened, it *settles* the key: the existing payment, or a `FAILED` (`ABANDONED`) record that
//! fences the key so a late duplicate can no longer charge.
//!
//! Test cards: `4242424242424242` succeeds, `4000000000000002` is `CARD_DECLINED`,
//! `4000000000009995` `INSUFFICIENT_FUNDS`, other Luhn-valid numbers succeed with
//! `TICKETING_PAYMENT_SUCCESS_RATE`. The card number and cvv live only in memory during a charge:
//! the database keeps the last four digits, and [`common::card::Card`]'s `Debug` is redacted.
//!
//! Each change writes, in its transaction, a webhook delivery (the service's outbox: no other service
//! follows its changes any other way); the deliverer signs each webhook (HMAC-SHA256 over `timestamp.body`, [`common::webhook`]) and retries it with
//! exponential backoff until the booking service acknowledges it.
//!
//! Layout: `http` (routes) -> `service` (rules, jobs) -> `store` (SQL).

mod http;
mod service;
mod store;

pub use http::{internal_router, openapi, router};
pub use service::{PaymentConfig, PaymentService, CARD_DECLINED, CARD_NO_FUNDS, CARD_OK};
pub use store::{audit_rows, PaymentRow};

pub fn migrations() -> ::store::Migrations {
    ::store::migrations!()
}
