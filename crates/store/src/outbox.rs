//! The transactional outbox and its followers.
//!
//! A service writes an outbox row in the same transaction as the state change it describes
//! ([`append`]), so a change and its announcement commit or vanish together. Other services read the
//! rows after a cursor ([`read_after`], exposed on `/internal/<service>/outbox`) and keep their cursor
//! in their own database ([`Cursor`]).
//!
//! Ids come from auto-increment, and on MySQL two transactions can commit their rows out of id order:
//! a follower that jumped past a missing id could lose the row that fills it a moment later. So a
//! follower only advances over a contiguous run of ids, and skips a gap only once it has stood open
//! longer than any transaction lives ([`Cursor::ready`]). On SQLite writes are serial and ids commit
//! in order, so gaps never appear.

use crate::{exec, run, tx_exec, Db, StoreError, Tx};
use common::clients::OutboxRecord;
use std::time::{Duration, Instant};

/// Write an outbox row inside the caller's transaction.
pub async fn append(
    tx: &mut Tx,
    aggregate_type: &str,
    aggregate_id: &str,
    event_type: &str,
    payload: &serde_json::Value,
) -> Result<(), StoreError> {
    let now = common::time::now_ms();
    let body = payload.to_string();
    tx_exec!(tx, c => sqlx::query(
        "INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, created_at) VALUES (?, ?, ?, ?, ?)")
        .bind(aggregate_type).bind(aggregate_id).bind(event_type).bind(&body).bind(now)
        .execute(c))?;
    Ok(())
}

/// An outbox row to write later in the same transaction (with others, by [`append_many`]).
#[derive(Debug, Clone)]
pub struct Announcement {
    pub aggregate_type: &'static str,
    pub aggregate_id: String,
    pub event_type: String,
    pub payload: serde_json::Value,
}

impl Announcement {
    pub fn new(
        aggregate_type: &'static str,
        aggregate_id: impl Into<String>,
        event_type: impl Into<String>,
        payload: serde_json::Value,
    ) -> Self {
        Announcement { aggregate_type, aggregate_id: aggregate_id.into(), event_type: event_type.into(), payload }
    }
}

/// Write several outbox rows with one statement inside the caller's transaction (a group commit's
/// rows), in order.
pub async fn append_many(tx: &mut Tx, rows: &[Announcement]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let now = common::time::now_ms();
    let values = vec!["(?, ?, ?, ?, ?)"; rows.len()].join(", ");
    let sql = format!("INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, created_at) VALUES {values}");
    tx_exec!(tx, c => {
        let mut q = sqlx::query(&sql);
        for r in rows {
            q = q.bind(r.aggregate_type).bind(&r.aggregate_id).bind(&r.event_type).bind(r.payload.to_string()).bind(now);
        }
        q.execute(c)
    })?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    aggregate_type: String,
    aggregate_id: String,
    event_type: String,
    payload: String,
    created_at: i64,
}

/// Rows with `id > after`, oldest first.
pub async fn read_after(db: &Db, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, StoreError> {
    let limit = limit.clamp(1, 1000);
    let rows: Vec<Row> = run!(db.read(), p => sqlx::query_as(
        "SELECT id, aggregate_type, aggregate_id, event_type, payload, created_at FROM outbox WHERE id > ? ORDER BY id LIMIT ?")
        .bind(after).bind(limit).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| OutboxRecord {
            id: r.id,
            aggregate_type: r.aggregate_type,
            aggregate_id: r.aggregate_id,
            event_type: r.event_type,
            payload: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
            created_at: r.created_at,
        })
        .collect())
}

/// The newest id, 0 when empty.
pub async fn last_id(db: &Db) -> Result<i64, StoreError> {
    let (id,): (Option<i64>,) = run!(db.read(), p => sqlx::query_as("SELECT MAX(id) FROM outbox").fetch_one(p).await)?;
    Ok(id.unwrap_or(0))
}

/// A follower's position in another service's outbox, kept in the follower's own database.
pub struct Cursor {
    db: Db,
    name: String,
    gap_timeout: Duration,
    gap: Option<(i64, Instant)>,
}

impl Cursor {
    pub fn new(db: Db, name: &str) -> Self {
        Self { db, name: name.to_string(), gap_timeout: Duration::from_secs(10), gap: None }
    }

    pub async fn load(&self) -> Result<i64, StoreError> {
        let row: Option<(i64,)> = run!(self.db.read(), p => sqlx::query_as("SELECT position FROM cursors WHERE name = ?")
            .bind(&self.name).fetch_optional(p).await)?;
        Ok(row.map(|r| r.0).unwrap_or(0))
    }

    pub async fn save(&self, position: i64) -> Result<(), StoreError> {
        let now = common::time::now_ms();
        let sql = if self.db.is_mysql() {
            "INSERT INTO cursors (name, position, updated_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE position = VALUES(position), updated_at = VALUES(updated_at)"
        } else {
            "INSERT INTO cursors (name, position, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at"
        };
        exec!(self.db.write(), p => sqlx::query(sql).bind(&self.name).bind(position).bind(now).execute(p))?;
        Ok(())
    }

    /// The prefix of `records` (sorted by id) that may be handled now: ids contiguous from
    /// `position + 1`, or past a gap that has stayed open longer than the gap timeout.
    pub fn ready(&mut self, position: i64, records: Vec<OutboxRecord>) -> Vec<OutboxRecord> {
        // What this follower has still to handle, as read (at most one batch): the rows and the
        // age of the oldest, 0 when caught up.
        let oldest = records.first().map_or(0.0, |r| (common::time::now_ms() - r.created_at).max(0) as f64 / 1000.0);
        let labels = [("follower", self.db.label().to_string()), ("source", self.name.clone())];
        metrics::gauge!("outbox_backlog_rows", &labels).set(records.len() as f64);
        metrics::gauge!("outbox_oldest_age_seconds", &labels).set(oldest);
        let mut out = Vec::with_capacity(records.len());
        let mut expected = position + 1;
        for r in records {
            if r.id != expected {
                let since = match self.gap {
                    Some((id, since)) if id == expected => since,
                    _ => {
                        self.gap = Some((expected, Instant::now()));
                        break;
                    }
                };
                if since.elapsed() < self.gap_timeout {
                    break;
                }
                tracing::warn!(cursor = %self.name, missing_from = expected, next = r.id, "skipping an outbox gap");
                self.gap = None;
            }
            expected = r.id + 1;
            out.push(r);
        }
        out
    }

    #[cfg(test)]
    fn with_gap_timeout(mut self, d: Duration) -> Self {
        self.gap_timeout = d;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: i64) -> OutboxRecord {
        OutboxRecord {
            id,
            aggregate_type: "a".into(),
            aggregate_id: "x".into(),
            event_type: "e".into(),
            payload: serde_json::Value::Null,
            created_at: 0,
        }
    }

    #[tokio::test]
    async fn waits_at_a_gap_then_skips_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&crate::StoreConfig::Sqlite { dir: dir.path().into() }, "t", crate::migrations_for_tests()).await.unwrap();
        let mut patient = Cursor::new(db.clone(), "x");
        let got = patient.ready(0, vec![rec(1), rec(2), rec(4)]);
        assert_eq!(got.iter().map(|r| r.id).collect::<Vec<_>>(), vec![1, 2]);
        // The gap at 3 is young: wait for it to fill.
        assert!(patient.ready(2, vec![rec(4)]).is_empty());
        assert_eq!(patient.ready(2, vec![rec(3), rec(4)]).len(), 2);
        // With a zero timeout the gap is skipped on the second look.
        let mut hasty = Cursor::new(db.clone(), "y").with_gap_timeout(Duration::from_millis(0));
        assert!(hasty.ready(2, vec![rec(4)]).is_empty());
        assert_eq!(hasty.ready(2, vec![rec(4)]).len(), 1);
        hasty.save(4).await.unwrap();
        assert_eq!(hasty.load().await.unwrap(), 4);
    }
}
