//! SQL of the booking service: bookings (with their saga state and lease), idempotency keys and
//! received webhooks.

use crate::model::{BookingRow, Step};

use store::group::Group;
use store::{exec, run, tx_exec, Db, StoreError, Tx};

mod batches;
use batches::{Begin, Receipt, Save};

const COLS: &str = "booking_id, booking_reference, user_id, event_id, reservation_ids, seats, total_amount, currency, status, step, \
    payment_id, payment_status, error, lease_owner, lease_until, created_at, confirmed_at, cancelled_at";

/// How long an idempotency key is remembered.
pub const KEY_TTL_MS: i64 = 24 * 3600 * 1000;

#[allow(clippy::large_enum_variant)] // one per confirmation, returned at once
pub enum Begun {
    /// A new booking, leased to the caller.
    Created,
    /// The key was already used: its request hash and booking.
    Existing { request_hash: String, booking: Option<BookingRow> },
}

#[derive(Clone)]
pub struct BookingStore {
    pub db: Db,
    /// The saga's writes (a new booking, each step) go through one group commit per process.
    group: Group,
}

impl BookingStore {
    pub fn new(db: Db) -> Self {
        let group = Group::start(db.clone(), "bookings");
        BookingStore { db, group }
    }

    pub async fn get(&self, id: &str) -> Result<Option<BookingRow>, StoreError> {
        // The write pool: a saga reads what it (or a competitor) just wrote.
        Ok(run!(self.db.write(), p => sqlx::query_as(&format!("SELECT {COLS} FROM bookings WHERE booking_id = ?"))
            .bind(id).fetch_optional(p).await)?)
    }

    pub async fn of_user(&self, user_id: &str) -> Result<Vec<BookingRow>, StoreError> {
        Ok(run!(self.db.read(), p => sqlx::query_as(&format!(
            "SELECT {COLS} FROM bookings WHERE user_id = ? ORDER BY created_at DESC, booking_id DESC LIMIT 500"))
            .bind(user_id).fetch_all(p).await)?)
    }

    pub async fn confirmed_of_event(&self, event_id: &str) -> Result<Vec<BookingRow>, StoreError> {
        Ok(run!(self.db.read(), p => sqlx::query_as(&format!(
            "SELECT {COLS} FROM bookings WHERE event_id = ? AND status = 'CONFIRMED' ORDER BY created_at"))
            .bind(event_id).fetch_all(p).await)?)
    }

    /// Bookings of the event confirmed at `since`: still CONFIRMED, or cancelled at or after it.
    pub async fn holders_of_event(&self, event_id: &str, since: i64) -> Result<Vec<BookingRow>, StoreError> {
        Ok(run!(self.db.write(), p => sqlx::query_as(&format!(
            "SELECT {COLS} FROM bookings WHERE event_id = ? AND (status = 'CONFIRMED' OR (status = 'CANCELLED' AND confirmed_at IS NOT NULL AND cancelled_at >= ?)) ORDER BY created_at"))
            .bind(event_id).bind(since).fetch_all(p).await)?)
    }

    async fn key_row(&self, user_id: &str, key: &str) -> Result<Option<(String, String, i64)>, StoreError> {
        Ok(run!(self.db.write(), p => sqlx::query_as(
            "SELECT request_hash, booking_id, created_at FROM idempotency_keys WHERE user_id = ? AND idem_key = ?")
            .bind(user_id).bind(key).fetch_optional(p).await)?)
    }

    /// Record the key and the new booking in one transaction, or report the booking the key
    /// already names. The primary key on (user, key) decides between concurrent requests; a new
    /// key is the common case, so the insert comes first and the key is read only when it fails.
    pub async fn begin(&self, key: &str, request_hash: &str, b: &BookingRow, now: i64) -> Result<Begun, StoreError> {
        for _ in 0..3 {
            if self.try_begin(key, request_hash, b, now).await? {
                return Ok(Begun::Created);
            }
            let Some((hash, booking_id, created_at)) = self.key_row(&b.user_id, key).await? else {
                continue; // forgotten meanwhile (its first attempt never got anywhere): try again
            };
            if created_at > now - KEY_TTL_MS {
                return Ok(Begun::Existing { request_hash: hash, booking: self.get(&booking_id).await? });
            }
            // Older than 24 hours: the key is free again.
            exec!(self.db.write(), p => sqlx::query("DELETE FROM idempotency_keys WHERE user_id = ? AND idem_key = ? AND created_at = ?")
                .bind(&b.user_id).bind(key).bind(created_at).execute(p))?;
        }
        Err(StoreError::Config("idempotency key contention".into()))
    }

    /// The key and the booking in one transaction (with other buyers' new bookings: [`Begin`]);
    /// `false` if the key exists. (Nothing follows a booking that has only begun: its outbox row
    /// comes with its outcome.)
    async fn try_begin(&self, key: &str, request_hash: &str, b: &BookingRow, now: i64) -> Result<bool, StoreError> {
        self.group.run_batch(Begin { key: key.to_string(), request_hash: request_hash.to_string(), b: b.clone(), now }).await
    }

    /// Forget a booking that never got anywhere (a dependency was down before anything happened),
    /// so that a retry with the same key starts afresh.
    pub async fn forget(&self, b: &BookingRow, owner: &str) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        let n = tx_exec!(&mut tx, c => sqlx::query("DELETE FROM bookings WHERE booking_id = ? AND lease_owner = ? AND step IN ('NEW', 'PINNED')")
            .bind(&b.booking_id).bind(owner).execute(c))?;
        if n == 1 {
            tx_exec!(&mut tx, c => sqlx::query("DELETE FROM idempotency_keys WHERE booking_id = ?").bind(&b.booking_id).execute(c))?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Write the booking's new state, if it is still at `from_step` and leased to `owner`, with an
    /// outbox row (with the other moves of its group: [`Save`]). `false` when another process has
    /// taken it over (the caller must stop).
    pub async fn save(&self, b: &BookingRow, from_step: Step, owner: &str, event: &str, now: i64) -> Result<bool, StoreError> {
        self.group.run_batch(Save { b: b.clone(), from: from_step, owner: owner.to_string(), event: event.to_string(), now }).await
    }

    /// [`Self::save`]'s update, conditional on the step and the lease; `true` if it was written.
    async fn save_in(tx: &mut Tx, b: &BookingRow, from_step: Step, owner: &str, now: i64) -> Result<bool, StoreError> {
        let n = tx_exec!(&mut *tx, c => sqlx::query(
            "UPDATE bookings SET event_id = ?, seats = ?, total_amount = ?, status = ?, step = ?, payment_id = ?, payment_status = ?, \
             error = ?, lease_until = ?, confirmed_at = ?, cancelled_at = ?, updated_at = ? \
             WHERE booking_id = ? AND step = ? AND lease_owner = ?")
            .bind(&b.event_id).bind(&b.seats).bind(b.total_amount).bind(b.status.as_str()).bind(b.step.as_str()).bind(&b.payment_id)
            .bind(b.payment_status.as_str()).bind(&b.error).bind(b.lease_until).bind(b.confirmed_at).bind(b.cancelled_at).bind(now)
            .bind(&b.booking_id).bind(from_step.as_str()).bind(owner)
            .execute(c))?;
        Ok(n == 1)
    }

    /// Take over a booking whose lease has run out (its process died or gave up).
    pub async fn claim_stale(&self, id: &str, owner: &str, until: i64, now: i64) -> Result<bool, StoreError> {
        let n = exec!(self.db.write(), p => sqlx::query(
            "UPDATE bookings SET lease_owner = ?, lease_until = ? WHERE booking_id = ? AND step <> 'DONE' AND lease_until < ?")
            .bind(owner).bind(until).bind(id).bind(now).execute(p))?;
        Ok(n == 1)
    }

    /// Renew this process's leases of the bookings it is driving (the heartbeat); how many it kept.
    pub async fn renew(&self, ids: &[String], owner: &str, until: i64) -> Result<u64, StoreError> {
        let mut n = 0;
        for chunk in ids.chunks(500) {
            let sql = format!(
                "UPDATE bookings SET lease_until = ? WHERE lease_owner = ? AND step <> 'DONE' AND booking_id IN ({})",
                store::placeholders(chunk.len())
            );
            n += exec!(self.db.write(), p => {
                let mut q = sqlx::query(&sql).bind(until).bind(owner);
                for id in chunk {
                    q = q.bind(id);
                }
                q.execute(p)
            })?;
        }
        Ok(n)
    }

    /// Let a booking go for a while (its outcome is not known yet): any process may take it later.
    pub async fn unlease(&self, id: &str, owner: &str, until: i64) -> Result<(), StoreError> {
        exec!(self.db.write(), p => sqlx::query("UPDATE bookings SET lease_until = ? WHERE booking_id = ? AND lease_owner = ?")
            .bind(until).bind(id).bind(owner).execute(p))?;
        Ok(())
    }

    /// Start cancelling a confirmed booking: only one caller wins.
    pub async fn claim_cancel(&self, id: &str, owner: &str, until: i64, now: i64) -> Result<bool, StoreError> {
        let n = exec!(self.db.write(), p => sqlx::query(
            "UPDATE bookings SET step = 'CANCELLING', lease_owner = ?, lease_until = ?, updated_at = ? \
             WHERE booking_id = ? AND status = 'CONFIRMED' AND step = 'DONE'")
            .bind(owner).bind(until).bind(now).bind(id).execute(p))?;
        Ok(n == 1)
    }

    /// Bookings in an intermediate step whose lease has run out.
    pub async fn stale(&self, now: i64, limit: i64) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = run!(self.db.write(), p => sqlx::query_as(
            "SELECT booking_id FROM bookings WHERE step <> 'DONE' AND lease_until < ? ORDER BY lease_until LIMIT ?")
            .bind(now).bind(limit).fetch_all(p).await)?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Record a webhook (with the other receipts of its group: [`Receipt`]); `false` if this
    /// webhook id was seen before.
    pub async fn record_webhook(
        &self,
        id: &str,
        payment_id: &str,
        booking_id: Option<&str>,
        kind: &str,
        status: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let [id, payment_id, kind, status] = [id, payment_id, kind, status].map(str::to_string);
        self.group.run_batch(Receipt { id, payment_id, booking_id: booking_id.map(str::to_string), kind, status, now }).await
    }

    pub async fn webhook_count(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = run!(self.db.read(), p => sqlx::query_as("SELECT COUNT(*) FROM payment_webhooks").fetch_one(p).await)?;
        Ok(n)
    }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Outbox<'a> {
    booking_id: &'a str,
    booking_reference: &'a str,
    user_id: &'a str,
    event_id: Option<&'a str>,
    status: &'a str,
    step: &'a str,
    payment_id: Option<&'a str>,
    payment_status: &'a str,
    /// Cents: outbox payloads travel as `serde_json::Value`, which would not keep decimals exact.
    total_amount_cents: i64,
    currency: &'a str,
    seat_numbers: Vec<String>,
}

fn outbox_payload(b: &BookingRow) -> serde_json::Value {
    let o = Outbox {
        booking_id: &b.booking_id,
        booking_reference: &b.booking_reference,
        user_id: &b.user_id,
        event_id: b.event_id.as_deref(),
        status: b.status.as_str(),
        step: b.step.as_str(),
        payment_id: b.payment_id.as_deref(),
        payment_status: b.payment_status.as_str(),
        total_amount_cents: b.total_amount,
        currency: &b.currency,
        seat_numbers: b.seats().into_iter().map(|s| s.seat_number).collect(),
    };
    serde_json::to_value(&o).unwrap_or_default()
}

/// Every booking that holds seats, money or a running saga, for the invariant audit (`ticketing
/// audit`): not `DONE`, or `CONFIRMED`, or with a payment.
pub async fn audit_rows(db: &Db) -> Result<Vec<BookingRow>, StoreError> {
    Ok(run!(db.read(), p => sqlx::query_as(&format!(
        "SELECT {COLS} FROM bookings WHERE step <> 'DONE' OR status = 'CONFIRMED' OR payment_id IS NOT NULL"))
        .fetch_all(p).await)?)
}
