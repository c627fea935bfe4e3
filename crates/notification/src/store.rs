//! SQL of the notification service: notifications (with the lease by which one sender claims a
//! row) and the reminder schedule. Time is `i64` milliseconds.

use store::{exec, run, tx_exec, Db, StoreError, Tx};

const COLS: &str = "notification_id, dedup_key, user_id, type, channel, recipient, subject, body_text, body_html, status, \
    attempts, next_attempt_at, lease_owner, lease_until, last_error, created_at, sent_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    pub notification_id: String,
    pub dedup_key: String,
    pub user_id: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub lease_owner: Option<String>,
    pub lease_until: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// A notification to record (rendered already).
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// Names the source and the recipient: a second insert with it changes nothing.
    pub dedup_key: String,
    pub user_id: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReminderRow {
    pub booking_id: String,
    pub user_id: String,
    pub event_id: String,
    pub booking_reference: String,
    /// JSON list of seat numbers.
    pub seats: String,
    pub event_date: i64,
    pub remind_at: i64,
    pub status: String,
}

#[derive(Clone)]
pub struct NotificationStore {
    pub db: Db,
}

/// Record `notes` whose dedup key is new (a read and a multi-row insert); for each, whether it was
/// recorded. A key recorded by another transaction meanwhile makes the insert fail whole: the
/// caller's transaction is then rolled back and the batch read again (the dedup keys make that
/// harmless).
async fn insert_new(tx: &mut Tx, notes: &[&NewNotification], now: i64) -> Result<Vec<bool>, StoreError> {
    let mut recorded = Vec::with_capacity(notes.len());
    for chunk in notes.chunks(200) {
        let keys: Vec<&str> = chunk.iter().map(|n| n.dedup_key.as_str()).collect();
        let fresh = store::fresh(keys.iter().copied(), &store::present(tx, "notifications", "dedup_key", &keys).await?);
        let new: Vec<&&NewNotification> = chunk.iter().zip(&fresh).filter(|(_, f)| **f).map(|(n, _)| n).collect();
        recorded.extend(fresh);
        if new.is_empty() {
            continue;
        }
        let sql = format!(
            "INSERT INTO notifications (notification_id, dedup_key, user_id, type, channel, recipient, subject, body_text, body_html, \
             status, attempts, next_attempt_at, lease_owner, lease_until, last_error, created_at, sent_at, updated_at) VALUES {}",
            vec!["(?, ?, ?, ?, 'EMAIL', ?, ?, ?, ?, 'PENDING', 0, ?, NULL, 0, NULL, ?, NULL, ?)"; new.len()].join(", ")
        );
        tx_exec!(&mut *tx, c => {
            let mut q = sqlx::query(&sql);
            for n in &new {
                q = q.bind(common::ids::new_id()).bind(&n.dedup_key).bind(&n.user_id).bind(&n.kind).bind(&n.recipient)
                    .bind(&n.subject).bind(&n.body_text).bind(&n.body_html).bind(now).bind(now).bind(now);
            }
            q.execute(c)
        })?;
    }
    Ok(recorded)
}

impl NotificationStore {
    /// Record a notification; `false` when one with its dedup key exists already.
    pub async fn insert(&self, n: &NewNotification, now: i64) -> Result<bool, StoreError> {
        Ok(self.record_batch(std::slice::from_ref(n), &[], now).await?.first().copied().unwrap_or(false))
    }

    pub async fn exists(&self, dedup_key: &str) -> Result<bool, StoreError> {
        let row: Option<(String,)> = run!(self.db.read(), p => sqlx::query_as("SELECT notification_id FROM notifications WHERE dedup_key = ?")
            .bind(dedup_key).fetch_optional(p).await)?;
        Ok(row.is_some())
    }

    /// The dedup keys among `keys` already recorded.
    pub async fn known(&self, keys: &[String]) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut found = std::collections::HashSet::new();
        for chunk in keys.chunks(500) {
            let sql = format!("SELECT dedup_key FROM notifications WHERE dedup_key IN ({})", store::placeholders(chunk.len()));
            let rows: Vec<(String,)> = run!(self.db.read(), p => {
                let mut q = sqlx::query_as(&sql);
                for k in chunk {
                    q = q.bind(k);
                }
                q.fetch_all(p).await
            })?;
            found.extend(rows.into_iter().map(|(k,)| k));
        }
        Ok(found)
    }

    pub async fn of_user(&self, user_id: &str) -> Result<Vec<NotificationRow>, StoreError> {
        Ok(run!(self.db.read(), p => sqlx::query_as(&format!(
            "SELECT {COLS} FROM notifications WHERE user_id = ? ORDER BY created_at DESC, notification_id DESC LIMIT 200"))
            .bind(user_id).fetch_all(p).await)?)
    }

    /// Pending notifications that are due and not leased by a live sender.
    pub async fn due(&self, now: i64, limit: i64) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = run!(self.db.read(), p => sqlx::query_as(
            "SELECT notification_id FROM notifications WHERE status = 'PENDING' AND next_attempt_at <= ? AND lease_until < ? \
             ORDER BY next_attempt_at LIMIT ?")
            .bind(now).bind(now).bind(limit).fetch_all(p).await)?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Take a due notification for sending until `until`. Only one of several senders wins: the
    /// update is conditional on the row still being pending, due and unleased (or its lease run out).
    #[cfg(test)]
    pub async fn claim(&self, id: &str, owner: &str, until: i64, now: i64) -> Result<bool, StoreError> {
        Ok(!self.claim_many(&[id.to_string()], owner, until, now).await?.is_empty())
    }

    /// [`Self::claim`] for a dispatcher's batch with one statement; the rows this sender now holds
    /// (read back by its lease), ready to send.
    pub async fn claim_many(&self, ids: &[String], owner: &str, until: i64, now: i64) -> Result<Vec<NotificationRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "UPDATE notifications SET lease_owner = ?, lease_until = ?, updated_at = ? \
             WHERE notification_id IN ({}) AND status = 'PENDING' AND next_attempt_at <= ? AND lease_until < ?",
            store::placeholders(ids.len())
        );
        let n = exec!(self.db.write(), p => {
            let mut q = sqlx::query(&sql).bind(owner).bind(until).bind(now);
            for id in ids {
                q = q.bind(id);
            }
            q.bind(now).bind(now).execute(p)
        })?;
        if n == 0 {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {COLS} FROM notifications WHERE notification_id IN ({}) AND lease_owner = ? AND lease_until = ? AND status = 'PENDING'",
            store::placeholders(ids.len())
        );
        Ok(run!(self.db.write(), p => {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.bind(owner).bind(until).fetch_all(p).await
        })?)
    }

    /// Sent. `false` when the lease was lost meanwhile (another sender took the row over).
    #[cfg(test)]
    pub async fn mark_sent(&self, id: &str, owner: &str, now: i64) -> Result<bool, StoreError> {
        Ok(self.mark_sent_many(&[id.to_string()], owner, now).await? == 1)
    }

    /// [`Self::mark_sent`] for a batch with one statement: how many were still this sender's.
    pub async fn mark_sent_many(&self, ids: &[String], owner: &str, now: i64) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "UPDATE notifications SET status = 'SENT', sent_at = ?, attempts = attempts + 1, last_error = NULL, lease_owner = NULL, \
             lease_until = 0, updated_at = ? WHERE notification_id IN ({}) AND lease_owner = ? AND status = 'PENDING'",
            store::placeholders(ids.len())
        );
        Ok(exec!(self.db.write(), p => {
            let mut q = sqlx::query(&sql).bind(now).bind(now);
            for id in ids {
                q = q.bind(id);
            }
            q.bind(owner).execute(p)
        })?)
    }

    /// A failed attempt: try again at `next_at`, or (`next_at` = `None`) give up: `FAILED`.
    pub async fn mark_attempt_failed(
        &self,
        id: &str,
        owner: &str,
        reason: &str,
        next_at: Option<i64>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let reason: String = reason.chars().take(500).collect();
        let n = match next_at {
            Some(at) => exec!(self.db.write(), p => sqlx::query(
                "UPDATE notifications SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, lease_owner = NULL, lease_until = 0, \
                 updated_at = ? WHERE notification_id = ? AND lease_owner = ? AND status = 'PENDING'")
                .bind(&reason).bind(at).bind(now).bind(id).bind(owner).execute(p))?,
            None => exec!(self.db.write(), p => sqlx::query(
                "UPDATE notifications SET status = 'FAILED', attempts = attempts + 1, last_error = ?, lease_owner = NULL, lease_until = 0, \
                 updated_at = ? WHERE notification_id = ? AND lease_owner = ? AND status = 'PENDING'")
                .bind(&reason).bind(now).bind(id).bind(owner).execute(p))?,
        };
        Ok(n == 1)
    }

    /// When the oldest pending notification was made.
    pub async fn oldest_pending(&self) -> Result<Option<i64>, StoreError> {
        let (t,): (Option<i64>,) = run!(self.db.read(), p => sqlx::query_as(
            "SELECT MIN(created_at) FROM notifications WHERE status = 'PENDING'").fetch_one(p).await)?;
        Ok(t)
    }

    // ---- reminders ----

    /// Schedule a booking's reminder (once: a booking is confirmed once).
    pub async fn schedule(&self, r: &ReminderRow, now: i64) -> Result<(), StoreError> {
        self.record_batch(&[], std::slice::from_ref(r), now).await.map(|_| ())
    }

    /// What a batch of outbox rows made, in one transaction: the notifications whose dedup key is
    /// new and the reminders of bookings that have none (a read and an insert each, whatever the
    /// batch's size). Returns, for each notification, whether it was recorded.
    pub async fn record_batch(&self, notes: &[NewNotification], reminders: &[ReminderRow], now: i64) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.db.begin().await?;
        let recorded = insert_new(&mut tx, &notes.iter().collect::<Vec<_>>(), now).await?;
        for chunk in reminders.chunks(200) {
            let ids: Vec<&str> = chunk.iter().map(|r| r.booking_id.as_str()).collect();
            let fresh = store::fresh(ids.iter().copied(), &store::present(&mut tx, "reminders", "booking_id", &ids).await?);
            let new: Vec<&ReminderRow> = chunk.iter().zip(&fresh).filter(|(_, f)| **f).map(|(r, _)| r).collect();
            if new.is_empty() {
                continue;
            }
            let sql = format!(
                "INSERT INTO reminders (booking_id, user_id, event_id, booking_reference, seats, event_date, remind_at, status, created_at, updated_at) VALUES {}",
                vec!["(?, ?, ?, ?, ?, ?, ?, 'SCHEDULED', ?, ?)"; new.len()].join(", ")
            );
            tx_exec!(&mut tx, c => {
                let mut q = sqlx::query(&sql);
                for r in &new {
                    q = q.bind(&r.booking_id).bind(&r.user_id).bind(&r.event_id).bind(&r.booking_reference).bind(&r.seats)
                        .bind(r.event_date).bind(r.remind_at).bind(now).bind(now);
                }
                q.execute(c)
            })?;
        }
        tx.commit().await?;
        Ok(recorded)
    }

    /// A reminder that must not fire any more (`CANCELLED`, or `SKIPPED` when the event passed).
    pub async fn drop_reminder(&self, booking_id: &str, status: &str, now: i64) -> Result<u64, StoreError> {
        Ok(
            exec!(self.db.write(), p => sqlx::query("UPDATE reminders SET status = ?, updated_at = ? WHERE booking_id = ? AND status = 'SCHEDULED'")
            .bind(status).bind(now).bind(booking_id).execute(p))?,
        )
    }

    pub async fn cancel_event_reminders(&self, event_id: &str, now: i64) -> Result<u64, StoreError> {
        Ok(
            exec!(self.db.write(), p => sqlx::query("UPDATE reminders SET status = 'CANCELLED', updated_at = ? WHERE event_id = ? AND status = 'SCHEDULED'")
            .bind(now).bind(event_id).execute(p))?,
        )
    }

    /// The event moved: its reminders not yet fired move with it.
    pub async fn reschedule_event(&self, event_id: &str, event_date: i64, remind_at: i64, now: i64) -> Result<u64, StoreError> {
        Ok(exec!(self.db.write(), p => sqlx::query(
            "UPDATE reminders SET event_date = ?, remind_at = ?, updated_at = ? WHERE event_id = ? AND status = 'SCHEDULED' AND event_date <> ?")
            .bind(event_date).bind(remind_at).bind(now).bind(event_id).bind(event_date).execute(p))?)
    }

    pub async fn due_reminders(&self, now: i64, limit: i64) -> Result<Vec<ReminderRow>, StoreError> {
        Ok(run!(self.db.write(), p => sqlx::query_as(
            "SELECT booking_id, user_id, event_id, booking_reference, seats, event_date, remind_at, status FROM reminders \
             WHERE status = 'SCHEDULED' AND remind_at <= ? ORDER BY remind_at LIMIT ?")
            .bind(now).bind(limit).fetch_all(p).await)?)
    }

    /// Fire a reminder: mark it `FIRED` (only if still `SCHEDULED`) and record its notification in
    /// the same transaction, so it fires once however many schedulers race for it.
    pub async fn fire(&self, booking_id: &str, n: &NewNotification, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.db.begin().await?;
        let won = tx_exec!(&mut tx, c => sqlx::query("UPDATE reminders SET status = 'FIRED', updated_at = ? WHERE booking_id = ? AND status = 'SCHEDULED'")
            .bind(now).bind(booking_id).execute(c))?;
        if won != 1 {
            return Ok(false);
        }
        insert_new(&mut tx, &[n], now).await?;
        tx.commit().await?;
        Ok(true)
    }
}
