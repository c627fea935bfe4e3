//! The search indexer: the write side of a search process. It follows the events outbox into that
//! process's own tantivy index ([`search::SearchIndex`]).
//!
//! Delivery is at least once and idempotent. The position in the outbox is a
//! [`store::outbox::Cursor`] kept in the search service's own database (`search`: a SQLite file in
//! embedded mode, `<prefix>_search` on MySQL), saved only after the index has committed the batch,
//! so a crash in between replays rows, and replaying is harmless: every row becomes an upsert of the
//! whole document by `eventId`, or a delete. The cursor is named after the index's id, so several
//! search processes sharing one MySQL database each follow the outbox for their own index, and an
//! index created anew (missing, another schema version, `ticketing reindex`) starts from the
//! beginning of the outbox, which the events service never prunes.
//!
//! A batch is up to [`BATCH`] outbox rows, handled as one commit: for every event it touches, the
//! last row decides. `EventDeleted` deletes; `EventCreated` / `EventUpdated` carry the full view and
//! are upserted as they are; any other row (status, availability, cancellation) re-reads the event
//! through [`EventsFeed::event`] (gone means delete). When the outbox is idle the follower polls it
//! every [`IDLE_POLL`], so a change is searchable well within 2 s in embedded mode.
//!
//! Layout: this file (the follower, rebuild, metrics); `db` (the SQL of the search database).

mod db;

use common::clients::{EventDoc, EventsFeed, OutboxRecord};
use common::ApiError;
use db::SearchDb;
use search::{DocWriter, SearchService};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Outbox rows per batch (one index commit).
pub const BATCH: i64 = 500;
/// Pause between polls of an idle outbox.
pub const IDLE_POLL: Duration = Duration::from_millis(200);
/// Pause after a batch that did not fill [`BATCH`]: during a sale every event's counts change
/// several times a second, and an index commit per change cost a twentieth of the machine's CPU
/// (measured with `loadgen --scenario purchase`). A change is still searchable within about a second.
pub const COMMIT_PAUSE: Duration = Duration::from_millis(800);

pub fn migrations() -> ::store::Migrations {
    ::store::migrations!()
}

/// What one outbox row asks of the index (a handful live at once: the size gap does not matter).
#[allow(clippy::large_enum_variant)]
enum Action {
    Upsert(EventDoc),
    Delete(String),
}

pub struct Indexer {
    search: Arc<SearchService>,
    feed: Arc<dyn EventsFeed>,
    db: SearchDb,
    /// `None` once stopped: the index's writer lock is released with it.
    writer: Arc<Mutex<Option<DocWriter>>>,
    cursor: tokio::sync::Mutex<::store::outbox::Cursor>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

fn io_err(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e)
}

impl Indexer {
    /// Take the index's writer (failing if another process holds it) and the cursor of this index.
    pub async fn new(db: ::store::Db, search: Arc<SearchService>, feed: Arc<dyn EventsFeed>) -> Result<Indexer, ApiError> {
        let index = search.index().clone();
        let writer = index.writer().map_err(|e| ApiError::unavailable(e.to_string()))?;
        let db = SearchDb::new(db);
        db.record_index(index.index_id(), search::index::SCHEMA_VERSION).await?;
        let cursor = db.cursor(&format!("events:{}", index.index_id()));
        Ok(Indexer {
            search,
            feed,
            db,
            writer: Arc::new(Mutex::new(Some(writer))),
            cursor: tokio::sync::Mutex::new(cursor),
            task: Mutex::new(None),
        })
    }

    /// The outbox id up to which the index is committed.
    pub async fn position(&self) -> Result<i64, ApiError> {
        Ok(self.cursor.lock().await.load().await?)
    }

    /// Index one batch from the cursor. Returns how many outbox rows were handled (0: nothing
    /// ready, the outbox is idle or waiting at a young gap).
    pub async fn run_once(&self) -> Result<usize, ApiError> {
        let mut cursor = self.cursor.lock().await;
        let pos = cursor.load().await?;
        let batch = self.feed.outbox_after(pos, BATCH).await?;
        let ready = cursor.ready(pos, batch);
        let Some(last) = ready.last().cloned() else {
            // Caught up (or waiting at a young gap): nothing indexable is waiting.
            metrics::gauge!("indexer_lag_seconds").set(0.0);
            return Ok(0);
        };
        let actions = self.actions(&ready).await?;
        let upserts = actions.iter().filter(|a| matches!(a, Action::Upsert(_))).count();
        self.apply(actions).await?;
        self.search.committed()?;
        cursor.save(last.id).await?;
        metrics::counter!("search_documents_indexed_total").increment(upserts as u64);
        let lag_ms = (common::time::now_ms() - last.created_at).max(0);
        metrics::gauge!("indexer_lag_seconds").set(lag_ms as f64 / 1000.0);
        Ok(ready.len())
    }

    /// What the batch asks for: per event, its last row decides.
    async fn actions(&self, rows: &[OutboxRecord]) -> Result<Vec<Action>, ApiError> {
        let mut last: HashMap<&str, &OutboxRecord> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for r in rows.iter().filter(|r| r.aggregate_type == "event") {
            if last.insert(r.aggregate_id.as_str(), r).is_none() {
                order.push(r.aggregate_id.as_str());
            }
        }
        let mut out = Vec::with_capacity(order.len());
        for id in order {
            let r = last[id];
            let action = match r.event_type.as_str() {
                "EventDeleted" => Action::Delete(id.to_string()),
                "EventCreated" | "EventUpdated" => match serde_json::from_value::<EventDoc>(r.payload.clone()) {
                    Ok(doc) if doc.event_id == id => Action::Upsert(doc),
                    _ => self.fetch(id).await?,
                },
                _ => self.fetch(id).await?,
            };
            out.push(action);
        }
        Ok(out)
    }

    async fn fetch(&self, id: &str) -> Result<Action, ApiError> {
        Ok(match self.feed.event(id).await? {
            Some(doc) => Action::Upsert(doc),
            None => Action::Delete(id.to_string()),
        })
    }

    /// Write and commit, off the async workers (a commit syncs files).
    async fn apply(&self, actions: Vec<Action>) -> Result<(), ApiError> {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = writer.lock().map_err(|_| io_err("index writer poisoned"))?;
            let w = guard.as_mut().ok_or_else(|| ApiError::unavailable("the indexer is stopped"))?;
            for a in &actions {
                match a {
                    Action::Upsert(doc) => w.upsert(doc).map_err(io_err)?,
                    Action::Delete(id) => w.delete(id),
                }
            }
            w.commit().map_err(io_err)
        })
        .await
        .map_err(io_err)?
    }

    /// Follow the outbox until it is idle: every row there now is in the index. Waits out a young
    /// gap in the ids (see [`::store::outbox::Cursor::ready`]).
    pub async fn catch_up(&self) -> Result<u64, ApiError> {
        let mut rows = 0u64;
        loop {
            let n = self.run_once().await?;
            rows += n as u64;
            if n > 0 {
                continue;
            }
            let pos = self.position().await?;
            if self.feed.outbox_after(pos, 1).await?.is_empty() {
                return Ok(rows);
            }
            tokio::time::sleep(IDLE_POLL).await;
        }
    }

    /// Follow the outbox in the background until [`Indexer::stop`].
    pub fn spawn(self: &Arc<Self>) {
        let me = self.clone();
        let handle = tokio::spawn(async move {
            loop {
                match me.run_once().await {
                    Ok(n) if n as i64 >= BATCH => continue,
                    Ok(n) if n > 0 => tokio::time::sleep(COMMIT_PAUSE).await,
                    Ok(_) => tokio::time::sleep(IDLE_POLL).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "indexing the events outbox failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        if let Ok(mut t) = self.task.lock() {
            *t = Some(handle);
        }
    }

    /// Stop following and let go of the index's writer (so another indexer may take it).
    pub async fn stop(&self) {
        let task = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(t) = task {
            t.abort();
            let _ = t.await;
        }
        // The task may have been aborted while it held neither lock: now nothing writes.
        let writer = self.writer.lock().ok().and_then(|mut w| w.take());
        drop(writer);
    }

    pub async fn ping(&self) -> Result<(), ApiError> {
        Ok(self.db.ping().await?)
    }
}

#[cfg(test)]
mod tests;
