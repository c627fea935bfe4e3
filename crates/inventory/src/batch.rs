//! Group commit of holds.
//!
//! A transaction per request makes every buyer pay for a whole transaction (begin, read, update,
//! insert, outbox, a durable commit) alone, and on SQLite's single writer connection queue for it.
//! Here requests go to one writer task per process instead; it takes every request waiting (up to
//! [`MAX_BATCH`]) and decides them all in one transaction ([`InventoryStore::reserve_many`]): in
//! arrival order, each all of its seats or none, with one statement per kind of write for the whole
//! group. Under load the groups grow by themselves (whatever arrived while the last transaction
//! ran); when idle a group is one request, decided at once. The guard is the same: the database's
//! conditional update, now made for the group, on seats the transaction has locked (SQLite: the one
//! writer; MySQL: `FOR UPDATE`), so the decision needs no seat lock (on MySQL the seat locks still
//! come first, to spare the database; see the crate docs).
//!
//! One writer on MySQL too: with two or four per process the groups were smaller and the holds
//! fewer (measured with `loadgen --scenario field`, one and three processes; docs/performance.md).

use crate::model::ReservationRow;
use crate::store::{HoldRequest, InventoryStore, Refusal};
use common::ApiError;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Requests decided in one transaction at most (10 seats each at most: well inside SQLite's limit
/// of bound parameters per statement).
pub const MAX_BATCH: usize = 64;

pub type Decision = Result<Result<Vec<ReservationRow>, Refusal>, ApiError>;

struct Job {
    req: HoldRequest,
    reply: oneshot::Sender<Decision>,
}

pub struct Batcher {
    queue: mpsc::Sender<Job>,
}

impl Batcher {
    /// Start the writer task; it ends when the batcher is dropped.
    pub fn start(store: InventoryStore, hold_ttl: Duration) -> Self {
        let (queue, rx) = mpsc::channel(4 * 1024);
        // On MySQL the writer lingers a moment for more requests (`store::group::MYSQL_LINGER`).
        let linger = ::store::group::linger(&store.db);
        tokio::spawn(writer(store, hold_ttl.as_millis() as i64, linger, rx));
        Batcher { queue }
    }

    /// Decide one request with whatever else is waiting.
    pub async fn hold(&self, req: HoldRequest) -> Decision {
        let (reply, answer) = oneshot::channel();
        let stopped = || ApiError::unavailable("the reservation writer has stopped; nothing was reserved");
        self.queue.send(Job { req, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn writer(store: InventoryStore, ttl_ms: i64, linger: Duration, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while ::store::group::next_group(&mut rx, &mut jobs, MAX_BATCH, linger).await {
        metrics::histogram!("reservation_group_size").record(jobs.len() as f64);
        let started = std::time::Instant::now();
        decide(&store, ttl_ms, std::mem::take(&mut jobs)).await;
        metrics::histogram!("reservation_group_seconds").record(started.elapsed().as_secs_f64());
    }
}

async fn decide(store: &InventoryStore, ttl_ms: i64, jobs: Vec<Job>) {
    let (reqs, replies): (Vec<HoldRequest>, Vec<oneshot::Sender<Decision>>) = jobs.into_iter().map(|j| (j.req, j.reply)).unzip();
    let together = ::store::retry(3, || {
        let now = common::time::now_ms();
        store.reserve_many(&reqs, now + ttl_ms, now)
    })
    .await;
    match together {
        Ok(Some(decided)) => {
            for (reply, d) in replies.into_iter().zip(decided) {
                let _ = reply.send(Ok(d));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "group commit of holds failed");
            let e = ApiError::from(e);
            for reply in replies {
                let _ = reply.send(Err(e.clone()));
            }
        }
        // The group could not be decided together: each request alone, through the usual guard.
        Ok(None) => {
            for (req, reply) in reqs.iter().zip(replies) {
                let d = ::store::retry(3, || {
                    let now = common::time::now_ms();
                    store.reserve(&req.event_id, &req.user_id, &req.seat_ids, None, now + ttl_ms, now)
                })
                .await;
                let _ = reply.send(d.map_err(ApiError::from));
            }
        }
    }
}
