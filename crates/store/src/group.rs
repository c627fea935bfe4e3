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
//!
//! Work done by many buyers at once in the same shape (a booking's first insert, a charge's record)
//! is a [`Batch`] ([`Group::run_batch`]): the group hands every item of one kind to that kind's
//! [`Batch::run`] together, which writes them with a few multi-row statements instead of a few
//! statements each. Its rules are a unit's: all or nothing per item, refusals as answers; if the
//! group fails, each item runs again alone (a batch of one).

use crate::outbox::Announcement;
use crate::{StoreError, Tx};
pub use futures::future::BoxFuture;
use std::any::{Any, TypeId};
use std::sync::Arc;
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
type Item = Arc<dyn Any + Send + Sync>;
type Runner =
    for<'a> fn(&'a mut Tx, Vec<&'a Item>, &'a mut Vec<Announcement>) -> BoxFuture<'a, Result<Vec<Box<dyn Any + Send>>, StoreError>>;

/// Work of one kind that a group runs for all its items at once, with a few multi-row statements.
pub trait Batch: Send + Sync + 'static {
    type Answer: Send + 'static;
    /// Run `items` (at least one) in `tx`: one answer per item, in order. An item that cannot be
    /// done is a refusal in its answer; an `Err` fails the whole group (each item then runs alone).
    fn run<'a>(
        tx: &'a mut Tx,
        items: Vec<&'a Self>,
        said: &'a mut Vec<Announcement>,
    ) -> BoxFuture<'a, Result<Vec<Self::Answer>, StoreError>>;
}

/// [`Batch::run`] of `B`, over items whose type has been erased.
fn runner<'a, B: Batch>(
    tx: &'a mut Tx,
    items: Vec<&'a Item>,
    said: &'a mut Vec<Announcement>,
) -> BoxFuture<'a, Result<Vec<Box<dyn Any + Send>>, StoreError>> {
    let items: Vec<&B> = items.into_iter().map(|i| i.downcast_ref::<B>().expect("a batch holds items of its kind")).collect();
    let n = items.len();
    Box::pin(async move {
        let answers = B::run(tx, items, said).await?;
        if answers.len() != n {
            return Err(StoreError::Config(format!("a batch answered {} of its {n} items", answers.len())));
        }
        Ok(answers.into_iter().map(|a| Box::new(a) as Box<dyn Any + Send>).collect())
    })
}

enum Work {
    /// A unit of its own.
    Unit(Unit),
    /// An item of a [`Batch`], run with the group's other items of its kind.
    Item { kind: TypeId, item: Item, run: Runner },
}

struct Job {
    work: Work,
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
        self.send(Work::Unit(unit)).await
    }

    /// Run `item` with the next group's other items of its kind ([`Batch::run`]); its answer once
    /// that transaction committed (or once it ran alone, if the group failed).
    pub async fn run_batch<B: Batch>(&self, item: B) -> Result<B::Answer, StoreError> {
        self.send(Work::Item { kind: TypeId::of::<B>(), item: Arc::new(item), run: runner::<B> }).await
    }

    async fn send<T: 'static>(&self, work: Work) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Config("the group-commit writer has stopped".into());
        self.queue.send(Job { work, reply }).await.map_err(|_| stopped())?;
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
                    let answer = crate::retry(3, || alone(&db, &job.work)).await;
                    let _ = job.reply.send(answer);
                }
            }
        }
        metrics::histogram!("group_commit_seconds", "group" => name).record(started.elapsed().as_secs_f64());
    }
}

/// Every unit in one transaction (the items of each batch kind together, after the units); the
/// first error rolls it all back.
async fn together(db: &crate::Db, batch: &[Job]) -> Result<Vec<Box<dyn Any + Send>>, StoreError> {
    let mut tx = db.begin().await?;
    let mut answers: Vec<Option<Box<dyn Any + Send>>> = Vec::with_capacity(batch.len());
    let mut kinds: Vec<(TypeId, Runner, Vec<usize>)> = Vec::new();
    let mut said = Vec::new();
    for (i, job) in batch.iter().enumerate() {
        match &job.work {
            Work::Unit(unit) => answers.push(Some(unit(&mut tx, &mut said).await?)),
            Work::Item { kind, run, .. } => {
                answers.push(None);
                match kinds.iter_mut().find(|(k, ..)| k == kind) {
                    Some((.., at)) => at.push(i),
                    None => kinds.push((*kind, *run, vec![i])),
                }
            }
        }
    }
    for (_, run, at) in kinds {
        let items = at.iter().filter_map(|&i| match &batch[i].work {
            Work::Item { item, .. } => Some(item),
            Work::Unit(_) => None,
        });
        for (i, answer) in at.iter().zip(run(&mut tx, items.collect(), &mut said).await?) {
            answers[*i] = Some(answer);
        }
    }
    crate::outbox::append_many(&mut tx, &said).await?;
    tx.commit().await?;
    Ok(answers.into_iter().map(|a| a.expect("every job answered")).collect())
}

async fn alone(db: &crate::Db, work: &Work) -> Answer {
    let mut tx = db.begin().await?;
    let mut said = Vec::new();
    let answer = match work {
        Work::Unit(unit) => unit(&mut tx, &mut said).await?,
        Work::Item { item, run, .. } => run(&mut tx, vec![item], &mut said).await?.pop().expect("a batch of one answers once"),
    };
    crate::outbox::append_many(&mut tx, &said).await?;
    tx.commit().await?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{tx_exec, Db, StoreConfig};

    /// Claim a name (a row of `cursors`) once: the batch shape of the services' inserts (which
    /// names exist, then the new ones in one statement). A name ending in `!` spoils any group
    /// it is in, as a failing statement would: alone it is refused.
    struct Claim(String);

    impl Batch for Claim {
        type Answer = bool;

        fn run<'a>(tx: &'a mut Tx, items: Vec<&'a Self>, _: &'a mut Vec<Announcement>) -> BoxFuture<'a, Result<Vec<bool>, StoreError>> {
            Box::pin(async move {
                if items.iter().any(|c| c.0.ends_with('!')) {
                    return if items.len() == 1 { Ok(vec![false]) } else { Err(StoreError::Changed) };
                }
                let names: Vec<&str> = items.iter().map(|c| c.0.as_str()).collect();
                let fresh = crate::fresh(names.iter().copied(), &crate::present(tx, "cursors", "name", &names).await?);
                let new: Vec<&&str> = names.iter().zip(&fresh).filter(|(_, f)| **f).map(|(n, _)| n).collect();
                if !new.is_empty() {
                    let sql = format!("INSERT INTO cursors (name, position, updated_at) VALUES {}", crate::rows(new.len(), 3));
                    let r = tx_exec!(&mut *tx, c => {
                        let mut q = sqlx::query(&sql);
                        for n in &new {
                            q = q.bind(**n).bind(0i64).bind(0i64);
                        }
                        q.execute(c)
                    });
                    if !crate::inserted(r.map_err(StoreError::from), items.len())? {
                        return Ok(vec![false]);
                    }
                }
                Ok(fresh)
            })
        }
    }

    #[tokio::test]
    async fn a_batch_answers_each_item_once_among_hundreds_racing_and_a_spoiled_group_runs_alone() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&StoreConfig::Sqlite { dir: dir.path().into() }, "t", crate::migrations_for_tests()).await.unwrap();
        let group = Group::start(db.clone(), "test");
        // 400 claims of 40 names at once, with plain units and spoilers in the same groups.
        let claims = (0..400).map(|i| {
            let group = group.clone();
            async move {
                let name = if i % 50 == 7 { format!("spoiler-{i}!") } else { format!("name-{}", i % 40) };
                let unit = group.run(i, |_, i| Box::pin(async move { Ok(*i * 2) }));
                let (claimed, doubled) = futures::join!(group.run_batch(Claim(name.clone())), unit);
                assert_eq!(doubled.unwrap(), i * 2);
                (name, claimed.unwrap())
            }
        });
        let answers = futures::future::join_all(claims).await;
        for n in 0..40 {
            let won = answers.iter().filter(|(name, ok)| *name == format!("name-{n}") && *ok).count();
            assert_eq!(won, 1, "name-{n} claimed {won} times");
        }
        assert!(answers.iter().filter(|(name, _)| name.ends_with('!')).all(|(_, ok)| !ok));
        let (rows,): (i64,) = crate::run!(db.read(), p => sqlx::query_as("SELECT COUNT(*) FROM cursors").fetch_one(p).await).unwrap();
        assert_eq!(rows, 40);
    }
}
