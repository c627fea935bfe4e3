//! SQL of the payment service: payments and their webhook deliveries.

use common::money::Money;
use common::states::PaymentStatus;
use common::time::opt_rfc3339;
use store::group::{Batch, BoxFuture, Group};
use store::outbox::Announcement;
use store::{exec, run, tx_exec, tx_run, Db, StoreError, Tx};

pub const COLS: &str = "payment_id, idempotency_key, user_id, booking_id, amount, currency, card_last4, status, decline_code, \
    transaction_id, created_at, processed_at, refunded_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentRow {
    pub payment_id: String,
    pub idempotency_key: String,
    pub user_id: String,
    pub booking_id: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub card_last4: String,
    #[sqlx(try_from = "String")]
    pub status: PaymentStatus,
    pub decline_code: Option<String>,
    pub transaction_id: Option<String>,
    pub created_at: i64,
    pub processed_at: Option<i64>,
    pub refunded_at: Option<i64>,
}

impl PaymentRow {
    pub fn view(&self) -> common::clients::Payment {
        common::clients::Payment {
            payment_id: self.payment_id.clone(),
            status: self.status,
            amount: Money(self.amount),
            currency: self.currency.clone(),
            card_last4: self.card_last4.clone(),
            decline_code: self.decline_code.clone(),
            transaction_id: self.transaction_id.clone(),
            processed_at: opt_rfc3339(self.processed_at),
            user_id: self.user_id.clone(),
            booking_id: self.booking_id.clone(),
            refunded_at: opt_rfc3339(self.refunded_at),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub delivery_id: String,
    pub payload: String,
    pub attempts: i64,
}

/// A payment's move from one status to another, with what is written with it.
pub struct Transition {
    pub id: String,
    pub from: PaymentStatus,
    pub to: PaymentStatus,
    pub decline_code: Option<String>,
    pub transaction_id: Option<String>,
    pub now: i64,
    pub hook: Option<Webhook>,
}

/// A webhook to write with a payment change.
pub struct Webhook {
    pub delivery_id: String,
    pub event_type: &'static str,
    pub payload: String,
}

/// The webhook name of a move to `status`.
pub fn event_type(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Success => "PaymentSucceeded",
        PaymentStatus::Failed => "PaymentFailed",
        PaymentStatus::Refunded => "PaymentRefunded",
        PaymentStatus::Pending => "PaymentChanged",
    }
}

/// A new payment: an item of the payments' group commit, a group's new payments written with two
/// statements (which keys exist, the new rows). `false` for a key already recorded.
struct NewPayment(PaymentRow, i64);

impl Batch for NewPayment {
    type Answer = bool;

    fn run<'a>(tx: &'a mut Tx, items: Vec<&'a Self>, _: &'a mut Vec<Announcement>) -> BoxFuture<'a, Result<Vec<bool>, StoreError>> {
        Box::pin(async move {
            let keys: Vec<&str> = items.iter().map(|NewPayment(r, _)| r.idempotency_key.as_str()).collect();
            let fresh = store::fresh(keys.iter().copied(), &store::present(tx, "payments", "idempotency_key", &keys).await?);
            let new: Vec<&NewPayment> = items.iter().zip(&fresh).filter(|(_, f)| **f).map(|(p, _)| *p).collect();
            if new.is_empty() {
                return Ok(fresh);
            }
            let sql = format!("INSERT INTO payments ({COLS}, updated_at) VALUES {}", store::rows(new.len(), 14));
            let r = tx_exec!(&mut *tx, c => {
                let mut q = sqlx::query(&sql);
                for NewPayment(r, now) in &new {
                    q = q.bind(&r.payment_id).bind(&r.idempotency_key).bind(&r.user_id).bind(&r.booking_id).bind(r.amount)
                        .bind(&r.currency).bind(&r.card_last4).bind(r.status.as_str()).bind(&r.decline_code).bind(&r.transaction_id)
                        .bind(r.created_at).bind(r.processed_at).bind(r.refunded_at).bind(*now);
                }
                q.execute(c)
            });
            Ok(if store::inserted(r.map_err(StoreError::from), items.len())? { fresh } else { vec![false] })
        })
    }
}

/// A group's moves: each a conditional update and its webhook when alone; together, the charges'
/// outcomes (the common move, `PENDING` to decided) as one update and their webhooks as one insert.
impl Batch for Transition {
    type Answer = bool;

    fn run<'a>(tx: &'a mut Tx, items: Vec<&'a Self>, _: &'a mut Vec<Announcement>) -> BoxFuture<'a, Result<Vec<bool>, StoreError>> {
        Box::pin(async move {
            let outcome = |t: &Transition| t.from == PaymentStatus::Pending && t.to != PaymentStatus::Refunded;
            let ids: Vec<&str> = items.iter().map(|t| t.id.as_str()).collect();
            if items.len() == 1 || !store::distinct(&ids) || !items.iter().all(|t| outcome(t)) {
                let mut answers = Vec::with_capacity(items.len());
                for t in items {
                    answers.push(Self::one(tx, t).await?);
                }
                return Ok(answers);
            }
            // Which are still pending (locked on MySQL until the commit).
            let lock = if tx.is_mysql() { " FOR UPDATE" } else { "" };
            let sql = format!(
                "SELECT payment_id FROM payments WHERE payment_id IN ({}) AND status = 'PENDING'{lock}",
                store::placeholders(ids.len())
            );
            let pending: std::collections::HashSet<String> = tx_run!(&mut *tx, c => {
                let mut q = sqlx::query_as::<_, (String,)>(&sql);
                for id in &ids {
                    q = q.bind(*id);
                }
                q.fetch_all(c).await
            })?
            .into_iter()
            .map(|(id,)| id)
            .collect();
            let moving: Vec<&Transition> = items.iter().copied().filter(|t| pending.contains(&t.id)).collect();
            if !moving.is_empty() {
                let when = vec!["WHEN ? THEN ?"; moving.len()].join(" ");
                let sql = format!(
                    "UPDATE payments SET status = CASE payment_id {when} END, decline_code = CASE payment_id {when} END, \
                     transaction_id = CASE payment_id {when} END, processed_at = CASE payment_id {when} END, updated_at = ? \
                     WHERE payment_id IN ({}) AND status = 'PENDING'",
                    store::placeholders(moving.len())
                );
                let n = tx_exec!(&mut *tx, c => {
                    let mut q = sqlx::query(&sql);
                    for t in &moving {
                        q = q.bind(&t.id).bind(t.to.as_str());
                    }
                    for t in &moving {
                        q = q.bind(&t.id).bind(&t.decline_code);
                    }
                    for t in &moving {
                        q = q.bind(&t.id).bind(&t.transaction_id);
                    }
                    for t in &moving {
                        q = q.bind(&t.id).bind(t.now);
                    }
                    q = q.bind(moving.iter().map(|t| t.now).max());
                    for t in &moving {
                        q = q.bind(&t.id);
                    }
                    q.execute(c)
                })?;
                if n != moving.len() as u64 {
                    return Err(StoreError::Changed);
                }
                let hooks: Vec<(&Transition, &Webhook)> = moving.iter().filter_map(|t| t.hook.as_ref().map(|h| (*t, h))).collect();
                if !hooks.is_empty() {
                    let sql = format!(
                        "INSERT INTO webhook_deliveries (delivery_id, payment_id, event_type, payload, attempts, next_attempt_at, created_at) VALUES {}",
                        vec!["(?, ?, ?, ?, 0, ?, ?)"; hooks.len()].join(", ")
                    );
                    tx_exec!(&mut *tx, c => {
                        let mut q = sqlx::query(&sql);
                        for (t, h) in &hooks {
                            q = q.bind(&h.delivery_id).bind(&t.id).bind(h.event_type).bind(&h.payload).bind(t.now).bind(t.now);
                        }
                        q.execute(c)
                    })?;
                }
            }
            Ok(items.iter().map(|t| pending.contains(&t.id)).collect())
        })
    }
}

impl Transition {
    /// One move inside a transaction: the conditional update decides before anything else is written.
    async fn one(tx: &mut Tx, t: &Transition) -> Result<bool, StoreError> {
        let Transition { id, from, to, decline_code, transaction_id, now, hook } = t;
        let (from, to, now) = (*from, *to, *now);
        let n = if to == PaymentStatus::Refunded {
            tx_exec!(&mut *tx, c => sqlx::query(
                "UPDATE payments SET status = ?, refunded_at = ?, updated_at = ? WHERE payment_id = ? AND status = ?")
                .bind(to.as_str()).bind(now).bind(now).bind(id).bind(from.as_str()).execute(c))?
        } else {
            tx_exec!(&mut *tx, c => sqlx::query(
                "UPDATE payments SET status = ?, decline_code = ?, transaction_id = ?, processed_at = ?, updated_at = ? \
                 WHERE payment_id = ? AND status = ?")
                .bind(to.as_str()).bind(decline_code).bind(transaction_id).bind(now).bind(now).bind(id).bind(from.as_str()).execute(c))?
        };
        if n != 1 {
            return Ok(false);
        }
        if let Some(h) = hook {
            tx_exec!(&mut *tx, c => sqlx::query(
                "INSERT INTO webhook_deliveries (delivery_id, payment_id, event_type, payload, attempts, next_attempt_at, created_at) \
                 VALUES (?, ?, ?, ?, 0, ?, ?)")
                .bind(&h.delivery_id).bind(id).bind(h.event_type).bind(&h.payload).bind(now).bind(now).execute(c))?;
        }
        Ok(true)
    }
}

#[derive(Clone)]
pub struct PaymentStore {
    pub db: Db,
    /// A charge's two writes (its `PENDING` record, its outcome) go through one group commit per
    /// process, with other buyers' (see `store::group`).
    group: Group,
}

impl PaymentStore {
    pub fn new(db: Db) -> Self {
        let group = Group::start(db.clone(), "payments");
        PaymentStore { db, group }
    }

    pub async fn get(&self, id: &str) -> Result<Option<PaymentRow>, StoreError> {
        // Read on the write pool: a caller that just wrote must see its write (SQLite read pool is
        // separate, and this is small).
        Ok(run!(self.db.write(), p => sqlx::query_as(&format!("SELECT {COLS} FROM payments WHERE payment_id = ?"))
            .bind(id).fetch_optional(p).await)?)
    }

    pub async fn by_key(&self, key: &str) -> Result<Option<PaymentRow>, StoreError> {
        Ok(run!(self.db.write(), p => sqlx::query_as(&format!("SELECT {COLS} FROM payments WHERE idempotency_key = ?"))
            .bind(key).fetch_optional(p).await)?)
    }

    /// Insert a new payment (with the other new payments of its group: [`NewPayment`]); `false`
    /// if its idempotency key is already recorded.
    pub async fn insert(&self, r: &PaymentRow, now: i64) -> Result<bool, StoreError> {
        self.group.run_batch(NewPayment(r.clone(), now)).await
    }

    /// Move a payment from `from` to `to`, with its webhook, in one transaction (with the other
    /// moves of its group). `false` when the payment was not in `from` (someone else moved it first).
    pub async fn transition(&self, t: Transition) -> Result<bool, StoreError> {
        self.group.run_batch(t).await
    }

    /// Payments still `PENDING` that were created before `before`.
    pub async fn stale_pending(&self, before: i64, limit: i64) -> Result<Vec<PaymentRow>, StoreError> {
        Ok(run!(self.db.read(), p => sqlx::query_as(&format!(
            "SELECT {COLS} FROM payments WHERE status = 'PENDING' AND created_at < ? ORDER BY created_at LIMIT ?"))
            .bind(before).bind(limit).fetch_all(p).await)?)
    }

    pub async fn due_deliveries(&self, now: i64, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        Ok(run!(self.db.read(), p => sqlx::query_as(
            "SELECT delivery_id, payload, attempts FROM webhook_deliveries \
             WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?")
            .bind(now).bind(limit).fetch_all(p).await)?)
    }

    /// Take a pass's deliveries for one attempt each (a conditional update, so two processes
    /// never send the same attempt); the lease pushes their next attempt out in case this process
    /// dies while sending. `lease_until` is this claim's own mark (the caller adds a random part):
    /// the deliveries that carry it afterwards are the ones this call took.
    pub async fn claim_deliveries(&self, ds: &[Delivery], lease_until: i64, now: i64) -> Result<Vec<String>, StoreError> {
        let ids = store::placeholders(ds.len());
        let claim = format!(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ? \
             WHERE delivery_id IN ({ids}) AND delivered_at IS NULL AND next_attempt_at <= ?"
        );
        let n = exec!(self.db.write(), p => {
            let mut q = sqlx::query(&claim).bind(lease_until);
            for d in ds {
                q = q.bind(&d.delivery_id);
            }
            q.bind(now).execute(p)
        })?;
        if n == ds.len() as u64 {
            return Ok(ds.iter().map(|d| d.delivery_id.clone()).collect());
        }
        let mine = format!("SELECT delivery_id FROM webhook_deliveries WHERE delivery_id IN ({ids}) AND next_attempt_at = ?");
        let rows: Vec<(String,)> = run!(self.db.write(), p => {
            let mut q = sqlx::query_as(&mine);
            for d in ds {
                q = q.bind(&d.delivery_id);
            }
            q.bind(lease_until).fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Acknowledged deliveries, in one statement.
    pub async fn delivered(&self, ids: &[&str], now: i64) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE webhook_deliveries SET delivered_at = ?, last_error = NULL WHERE delivery_id IN ({})",
            store::placeholders(ids.len())
        );
        exec!(self.db.write(), p => {
            let mut q = sqlx::query(&sql).bind(now);
            for id in ids {
                q = q.bind(*id);
            }
            q.execute(p)
        })?;
        Ok(())
    }

    pub async fn retry_later(&self, id: &str, at: i64, error: &str) -> Result<(), StoreError> {
        let error: String = error.chars().take(480).collect();
        exec!(self.db.write(), p => sqlx::query("UPDATE webhook_deliveries SET next_attempt_at = ?, last_error = ? WHERE delivery_id = ? AND delivered_at IS NULL")
            .bind(at).bind(&error).bind(id).execute(p))?;
        Ok(())
    }

    /// (delivered, pending) webhook counts, for tests and readiness.
    pub async fn delivery_counts(&self) -> Result<(i64, i64), StoreError> {
        let (a, b): (i64, i64) = run!(self.db.read(), p => sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN delivered_at IS NULL THEN 0 ELSE 1 END), 0) AS SIGNED), \
                    CAST(COALESCE(SUM(CASE WHEN delivered_at IS NULL THEN 1 ELSE 0 END), 0) AS SIGNED) FROM webhook_deliveries")
            .fetch_one(p).await)?;
        Ok((a, b))
    }
}

/// Payments that moved money (`SUCCESS`, `REFUNDED`), for the invariant audit (`ticketing audit`).
pub async fn audit_rows(db: &Db) -> Result<Vec<PaymentRow>, StoreError> {
    Ok(run!(db.read(), p => sqlx::query_as(&format!("SELECT {COLS} FROM payments WHERE status IN ('SUCCESS', 'REFUNDED')"))
        .fetch_all(p).await)?)
}
