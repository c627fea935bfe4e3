//! The bookings' group-commit kinds (see `store::group::Batch`): a group's new bookings, its
//! booking moves and its webhook receipts, each written with a few multi-row statements.

use super::{outbox_payload, BookingStore, COLS};
use crate::model::{BookingRow, Step};
use store::group::{Batch, BoxFuture};
use store::outbox::Announcement;
use store::{tx_exec, tx_run, StoreError, Tx};

/// A new booking and its idempotency key: an item of the bookings' group commit. A group's new
/// bookings are written with three statements whatever their number: which keys exist, the new
/// keys, the new bookings. The answer is `false` for a key already recorded (by an earlier
/// transaction or an earlier item of the same group).
pub(super) struct Begin {
    pub(super) key: String,
    pub(super) request_hash: String,
    pub(super) b: BookingRow,
    pub(super) now: i64,
}

impl Batch for Begin {
    type Answer = bool;

    fn run<'a>(tx: &'a mut Tx, items: Vec<&'a Self>, _: &'a mut Vec<Announcement>) -> BoxFuture<'a, Result<Vec<bool>, StoreError>> {
        Box::pin(async move {
            let taken = vec!["(user_id = ? AND idem_key = ?)"; items.len()].join(" OR ");
            let sql = format!("SELECT user_id, idem_key FROM idempotency_keys WHERE {taken}");
            let taken: Vec<(String, String)> = tx_run!(&mut *tx, c => {
                let mut q = sqlx::query_as(&sql);
                for i in &items {
                    q = q.bind(&i.b.user_id).bind(&i.key);
                }
                q.fetch_all(c).await
            })?;
            let present: std::collections::HashSet<String> = taken.into_iter().map(|(u, k)| format!("{u}\n{k}")).collect();
            let pairs: Vec<String> = items.iter().map(|i| format!("{}\n{}", i.b.user_id, i.key)).collect();
            let fresh = store::fresh(pairs.iter().map(String::as_str), &present);
            let new: Vec<&Begin> = items.iter().zip(&fresh).filter(|(_, f)| **f).map(|(i, _)| *i).collect();
            if new.is_empty() {
                return Ok(fresh);
            }
            let sql = format!(
                "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, booking_id, created_at) VALUES {}",
                store::rows(new.len(), 5)
            );
            let keys = tx_exec!(&mut *tx, c => {
                let mut q = sqlx::query(&sql);
                for i in &new {
                    q = q.bind(&i.b.user_id).bind(&i.key).bind(&i.request_hash).bind(&i.b.booking_id).bind(i.now);
                }
                q.execute(c)
            })
            .map_err(StoreError::from);
            if !store::inserted(keys, items.len())? {
                return Ok(vec![false]);
            }
            let sql = format!("INSERT INTO bookings ({COLS}, updated_at) VALUES {}", store::rows(new.len(), 19));
            tx_exec!(&mut *tx, c => {
                let mut q = sqlx::query(&sql);
                for i in &new {
                    let b = &i.b;
                    q = q.bind(&b.booking_id).bind(&b.booking_reference).bind(&b.user_id).bind(&b.event_id).bind(&b.reservation_ids)
                        .bind(&b.seats).bind(b.total_amount).bind(&b.currency).bind(b.status.as_str()).bind(b.step.as_str())
                        .bind(&b.payment_id).bind(b.payment_status.as_str()).bind(&b.error).bind(&b.lease_owner).bind(b.lease_until)
                        .bind(b.created_at).bind(b.confirmed_at).bind(b.cancelled_at).bind(i.now);
                }
                q.execute(c)
            })?;
            Ok(fresh)
        })
    }
}

/// A webhook received: an item of the bookings' group commit, a group's receipts written with
/// two statements (which ids were seen, the new ones). `false` for an id seen before.
pub(super) struct Receipt {
    pub(super) id: String,
    pub(super) payment_id: String,
    pub(super) booking_id: Option<String>,
    pub(super) kind: String,
    pub(super) status: String,
    pub(super) now: i64,
}

impl Batch for Receipt {
    type Answer = bool;

    fn run<'a>(tx: &'a mut Tx, items: Vec<&'a Self>, _: &'a mut Vec<Announcement>) -> BoxFuture<'a, Result<Vec<bool>, StoreError>> {
        Box::pin(async move {
            let ids: Vec<&str> = items.iter().map(|w| w.id.as_str()).collect();
            let fresh = store::fresh(ids.iter().copied(), &store::present(tx, "payment_webhooks", "webhook_id", &ids).await?);
            let new: Vec<&Receipt> = items.iter().zip(&fresh).filter(|(_, f)| **f).map(|(w, _)| *w).collect();
            if new.is_empty() {
                return Ok(fresh);
            }
            let sql = format!(
                "INSERT INTO payment_webhooks (webhook_id, payment_id, booking_id, event_type, status, received_at) VALUES {}",
                store::rows(new.len(), 6)
            );
            let r = tx_exec!(&mut *tx, c => {
                let mut q = sqlx::query(&sql);
                for w in &new {
                    q = q.bind(&w.id).bind(&w.payment_id).bind(&w.booking_id).bind(&w.kind).bind(&w.status).bind(w.now);
                }
                q.execute(c)
            });
            Ok(if store::inserted(r.map_err(StoreError::from), items.len())? { fresh } else { vec![false] })
        })
    }
}

/// A booking's move to its next state: an item of the bookings' group commit. Alone, one
/// conditional update; a group's moves are one read of their steps and leases and one update.
pub(super) struct Save {
    pub(super) b: BookingRow,
    pub(super) from: Step,
    pub(super) owner: String,
    pub(super) event: String,
    pub(super) now: i64,
}

impl Batch for Save {
    type Answer = bool;

    fn run<'a>(tx: &'a mut Tx, items: Vec<&'a Self>, said: &'a mut Vec<Announcement>) -> BoxFuture<'a, Result<Vec<bool>, StoreError>> {
        Box::pin(async move {
            let ids: Vec<&str> = items.iter().map(|s| s.b.booking_id.as_str()).collect();
            let saved = if items.len() == 1 || !store::distinct(&ids) {
                let mut saved = Vec::with_capacity(items.len());
                for s in &items {
                    saved.push(BookingStore::save_in(tx, &s.b, s.from, &s.owner, s.now).await?);
                }
                saved
            } else {
                Self::together(tx, &items, &ids).await?
            };
            for (s, _) in items.iter().zip(&saved).filter(|(_, ok)| **ok) {
                said.push(Announcement::new("booking", &s.b.booking_id, s.event.as_str(), outbox_payload(&s.b)));
            }
            Ok(saved)
        })
    }
}

impl Save {
    /// Several bookings' moves (distinct bookings): which are still where their mover left them
    /// (locked on MySQL), then one update of those.
    async fn together(tx: &mut Tx, items: &[&Save], ids: &[&str]) -> Result<Vec<bool>, StoreError> {
        let lock = if tx.is_mysql() { " FOR UPDATE" } else { "" };
        let sql =
            format!("SELECT booking_id, step, lease_owner FROM bookings WHERE booking_id IN ({}){lock}", store::placeholders(ids.len()));
        let current: Vec<(String, String, Option<String>)> = tx_run!(&mut *tx, c => {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?;
        let saved: Vec<bool> = items
            .iter()
            .map(|s| {
                current
                    .iter()
                    .any(|(id, step, owner)| *id == s.b.booking_id && step == s.from.as_str() && owner.as_deref() == Some(s.owner.as_str()))
            })
            .collect();
        let moving: Vec<&BookingRow> = items.iter().zip(&saved).filter(|(_, ok)| **ok).map(|(s, _)| &s.b).collect();
        if moving.is_empty() {
            return Ok(saved);
        }
        let case = |col: &str| format!("{col} = CASE booking_id {} END", vec!["WHEN ? THEN ?"; moving.len()].join(" "));
        let cols = [
            "event_id",
            "seats",
            "total_amount",
            "status",
            "step",
            "payment_id",
            "payment_status",
            "error",
            "lease_until",
            "confirmed_at",
            "cancelled_at",
        ];
        let sql = format!(
            "UPDATE bookings SET {}, updated_at = ? WHERE booking_id IN ({})",
            cols.map(case).join(", "),
            store::placeholders(moving.len())
        );
        macro_rules! each {
            ($q:ident, $f:expr) => {
                for b in &moving {
                    $q = $q.bind(&b.booking_id).bind($f(*b));
                }
            };
        }
        let n = tx_exec!(&mut *tx, c => {
            let mut q = sqlx::query(&sql);
            each!(q, |b: &BookingRow| b.event_id.clone());
            each!(q, |b: &BookingRow| b.seats.clone());
            each!(q, |b: &BookingRow| b.total_amount);
            each!(q, |b: &BookingRow| b.status.as_str());
            each!(q, |b: &BookingRow| b.step.as_str());
            each!(q, |b: &BookingRow| b.payment_id.clone());
            each!(q, |b: &BookingRow| b.payment_status.as_str());
            each!(q, |b: &BookingRow| b.error.clone());
            each!(q, |b: &BookingRow| b.lease_until);
            each!(q, |b: &BookingRow| b.confirmed_at);
            each!(q, |b: &BookingRow| b.cancelled_at);
            q = q.bind(items.iter().map(|s| s.now).max());
            for b in &moving {
                q = q.bind(&b.booking_id);
            }
            q.execute(c)
        })?;
        if n != moving.len() as u64 {
            return Err(StoreError::Changed);
        }
        Ok(saved)
    }
}
