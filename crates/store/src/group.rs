//! Group commit of small, independent transactions.
//!
//! A booking's saga writes a few small transactions (its key and first state, each step after, the
//! payment's record and outcome). Alone, every one of them pays for a whole transaction: on SQLite
//! a turn of the single writer connection and the WAL pages it dirties (the outbox's last page,
//! the indexes' pages: written again by every commit), on MySQL a durable commit. A [`Group`] is a
//! writer task that takes every unit of work waiting (up to [`MAX_GROUP`]) and runs them one after
//! the other in one transaction, so those costs are paid once a group. Under load groups grow by
//! themselves (whatever arrived while the last commit ran); when idle a group is one unit, run at
//! once. The inventory's holds have their own, specialised group commit (`inventory::batch`).
//!
//! A unit must be all or nothing *by itself*: it checks before it writes (a conditional update
//! whose count decides, an insert whose unique key decides) and returns its answer as a value
//! (`Ok(false)`, a refusal), never after a partial write. A unit that fails with an error spoils the
//! group's transaction: it is rolled back, and each unit runs again alone in its own transaction
//! (so one bad unit costs only its own answer). Units are `Fn` for that reason: they may run twice,
//! the first run never committed. A unit that finds, after writing, that it cannot finish returns
//! [`StoreError::Changed`]: alone, its transaction is then rolled back and the error is its answer.
//!
//! A unit that announces its change ([`Group::run_announcing`]) hands its outbox rows to the group
//! instead of inserting them: the group writes every unit's rows with one statement just before it
//! commits (a statement costs about the same for one row as for sixty).

use crate::outbox::Announcement;
use crate::{StoreError, Tx};
use futures::future::BoxFuture;
use std::any::Any;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Units run in one transaction at most.
pub const MAX_GROUP: usize = 64;

/// On MySQL, how long a writer waits for more work when it found fewer than [`LINGER_BELOW`]
/// items waiting: a durable commit costs about the same for one as for sixty. Measured on holds
/// (`inventory::batch`; field, 64 in flight, three processes): groups of 8 holds became 11, and
/// 0.63 x the raw SQL ceiling 0.69 x (medians of 3). One process, whose groups are already ~30,
/// lost 8 % in a run when it waited too, hence the threshold. On SQLite (one writer in process,
/// no durable-commit wait) a writer never lingers.
pub const MYSQL_LINGER: Duration = Duration::from_millis(1);
pub const LINGER_BELOW: usize = 16;

/// How long a group-commit writer on `db` lingers (see [`MYSQL_LINGER`]).
pub fn linger(db: &crate::Db) -> Duration {
    if db.is_mysql() {
        MYSQL_LINGER
    } else {
        Duration::ZERO
    }
}

/// Wait for the next group: whatever is waiting (at least one item, at most `max`), plus, when
/// fewer than [`LINGER_BELOW`] were waiting, what arrives within `linger`. `false` once every
/// sender is gone. Shared by every group-commit writer (this module's and the holds').
pub async fn next_group<J>(rx: &mut mpsc::Receiver<J>, jobs: &mut Vec<J>, max: usize, linger: Duration) -> bool {
    if rx.recv_many(jobs, max).await == 0 {
        return false;
    }
    if !linger.is_zero() && jobs.len() < LINGER_BELOW {
        tokio::time::sleep(linger).await;
        while jobs.len() < max {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
    }
    true
}

type Answer = Result<Box<dyn Any + Send>, StoreError>;
type Unit = Box<dyn for<'a> Fn(&'a mut Tx, &'a mut Vec<Announcement>) -> BoxFuture<'a, Answer> + Send + Sync>;

struct Job {
    unit: Unit,
    reply: oneshot::Sender<Answer>,
}

/// The handle of a writer task; cheap to clone. The task ends when every handle is dropped.
#[derive(Clone)]
pub struct Group {
    queue: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Group")
    }
}

impl Group {
    /// Start a writer on `db`; `name` labels its metrics (`group_commit_size{group}`).
    pub fn start(db: crate::Db, name: &'static str) -> Self {
        let (queue, rx) = mpsc::channel(4 * 1024);
        let linger = linger(&db);
        tokio::spawn(writer(db, name, linger, rx));
        Group { queue }
    }

    /// Run `unit` over `data` in the next group's transaction; its answer once that transaction
    /// committed (or once it ran alone, if the group failed). `data` is moved in once and lent to
    /// each run of the unit (it may run twice).
    pub async fn run<D, T, F>(&self, data: D, unit: F) -> Result<T, StoreError>
    where
        D: Send + Sync + 'static,
        T: Send + 'static,
        F: for<'a> Fn(&'a mut Tx, &'a D) -> BoxFuture<'a, Result<T, StoreError>> + Send + Sync + 'static,
    {
        self.run_announcing(data, move |tx, data, _| unit(tx, data)).await
    }

    /// [`Self::run`] for a unit that also announces what it changed: the outbox rows it pushes are
    /// written with the group's (one statement for the whole group), in its transaction.
    pub async fn run_announcing<D, T, F>(&self, data: D, unit: F) -> Result<T, StoreError>
    where
        D: Send + Sync + 'static,
        T: Send + 'static,
        F: for<'a> Fn(&'a mut Tx, &'a D, &'a mut Vec<Announcement>) -> BoxFuture<'a, Result<T, StoreError>> + Send + Sync + 'static,
    {
        let data = std::sync::Arc::new(data);
        let unit = std::sync::Arc::new(unit);
        let unit: Unit = Box::new(move |tx, said| {
            let (data, unit) = (data.clone(), unit.clone());
            Box::pin(async move { unit(tx, &data, said).await.map(|t| Box::new(t) as Box<dyn Any + Send>) })
        });
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Config("the group-commit writer has stopped".into());
        self.queue.send(Job { unit, reply }).await.map_err(|_| stopped())?;
        let any = answer.await.map_err(|_| stopped())??;
        Ok(*any.downcast::<T>().expect("a unit's answer has the unit's type"))
    }
}

async fn writer(db: crate::Db, name: &'static str, linger: Duration, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_GROUP);
    while next_group(&mut rx, &mut jobs, MAX_GROUP, linger).await {
        metrics::histogram!("group_commit_size", "group" => name).record(jobs.len() as f64);
        let started = std::time::Instant::now();
        let batch = std::mem::take(&mut jobs);
        match together(&db, &batch).await {
            Ok(answers) => {
                for (job, answer) in batch.into_iter().zip(answers) {
                    let _ = job.reply.send(Ok(answer));
                }
            }
            Err(e) => {
                if batch.len() > 1 {
                    tracing::debug!(group = name, error = %e, units = batch.len(), "group commit failed; running its units one by one");
                }
                for job in batch {
                    let answer = crate::retry(3, || alone(&db, &job.unit)).await;
                    let _ = job.reply.send(answer);
                }
            }
        }
        metrics::histogram!("group_commit_seconds", "group" => name).record(started.elapsed().as_secs_f64());
    }
}

/// Every unit in one transaction; the first error rolls it all back.
async fn together(db: &crate::Db, batch: &[Job]) -> Result<Vec<Box<dyn Any + Send>>, StoreError> {
    let mut tx = db.begin().await?;
    let mut answers = Vec::with_capacity(batch.len());
    let mut said = Vec::new();
    for job in batch {
        answers.push((job.unit)(&mut tx, &mut said).await?);
    }
    crate::outbox::append_many(&mut tx, &said).await?;
    tx.commit().await?;
    Ok(answers)
}

async fn alone(db: &crate::Db, unit: &Unit) -> Answer {
    let mut tx = db.begin().await?;
    let mut said = Vec::new();
    let answer = unit(&mut tx, &mut said).await?;
    crate::outbox::append_many(&mut tx, &said).await?;
    tx.commit().await?;
    Ok(answer)
}
