//! Storage shared by every service: one body of SQL on two backends.
//!
//! [`Db`] is SQLite (embedded mode: a file per service in the data dir) or MySQL/MariaDB (one database
//! per service, created if missing), chosen by `TICKETING_MYSQL_URL`. Queries are written once with `?`
//! placeholders and run on either backend through the [`run!`] and [`tx_run!`] macros, which expand the
//! same code for each pool type (vaultwarden's `db_run!` idea); SQL is split per dialect only where it
//! really differs. sqlx's `AnyPool` is avoided on purpose: it cannot decode every type we need.
//!
//! On SQLite every write goes through a pool of one connection, so writers queue in process instead of
//! failing with `database is locked`; readers use their own pool and WAL lets them read while a write is
//! in progress. A busy timeout covers any other process touching the file.
//!
//! Also here: the outbox (written in the same transaction as each state change) and the cursor a
//! follower keeps of another service's outbox ([`outbox`]), and the lock table in front of the
//! inventory's conditional updates ([`locks`]), and group commit ([`group`]: the small
//! transactions of many buyers run as one, items of one kind with multi-row statements).
//!
//! Time is `i64` milliseconds and money `i64` cents on both backends.

pub mod group;
pub mod locks;
pub mod outbox;
pub mod redis_conn;

use common::{ApiError, ErrorCode};
use sqlx::migrate::Migrator;
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, MySql, MySqlPool, Sqlite, SqlitePool};
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// A service's migrations, one folder per backend (`migrations/sqlite`, `migrations/mysql`).
pub struct Migrations {
    pub sqlite: Migrator,
    pub mysql: Migrator,
}

/// The calling crate's `migrations/sqlite` and `migrations/mysql`, embedded at compile time.
#[macro_export]
macro_rules! migrations {
    () => {
        $crate::Migrations { sqlite: sqlx::migrate!("migrations/sqlite"), mysql: sqlx::migrate!("migrations/mysql") }
    };
}

/// A pool of either backend.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    MySql(MySqlPool),
}

/// Run the same query code on whichever pool this is: `run!(db.read(), p => sqlx::query(..).fetch_all(p).await)`.
#[macro_export]
macro_rules! run {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::Pool::Sqlite($p) => $body,
            $crate::Pool::MySql($p) => $body,
        }
    };
}

/// Same as [`run!`] inside a transaction: `$c` is a `&mut` connection of the backend.
#[macro_export]
macro_rules! tx_run {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::MySql(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Run a statement on whichever pool this is; the result is the number of rows it changed:
/// `exec!(db.write(), p => sqlx::query(..).bind(..).execute(p))`.
#[macro_export]
macro_rules! exec {
    ($pool:expr, $p:ident => $body:expr) => {
        $crate::run!($pool, $p => ($body).await.map(|r| r.rows_affected()))
    };
}

/// [`exec!`] inside a transaction.
#[macro_export]
macro_rules! tx_exec {
    ($tx:expr, $c:ident => $body:expr) => {
        $crate::tx_run!($tx, $c => ($body).await.map(|r| r.rows_affected()))
    };
}

/// A service's database.
#[derive(Clone, Debug)]
pub struct Db {
    read: Pool,
    write: Pool,
    /// The service whose database this is, as metrics label it.
    label: &'static str,
    /// The database's own tasks (SQLite's checkpointer, the pool sampler), stopped when the last
    /// copy of this `Db` is dropped.
    _jobs: Arc<Jobs>,
}

/// Tasks that live as long as a [`Db`].
#[derive(Debug, Default)]
struct Jobs(Vec<tokio::task::AbortHandle>);

impl Drop for Jobs {
    fn drop(&mut self) {
        for j in &self.0 {
            j.abort();
        }
    }
}

/// How often the pools' gauges are sampled for `/metrics`.
const POOL_SAMPLE_EVERY: Duration = Duration::from_secs(5);

impl Pool {
    /// (open connections, idle ones, the most it may open).
    fn stats(&self) -> (u32, usize, u32) {
        match self {
            Pool::Sqlite(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
            Pool::MySql(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
        }
    }
}

/// Samples a database's pools into `db_pool_connections{db, pool, state}` (`in_use`, `idle`) and
/// `db_pool_max_connections{db, pool}`: a pool whose connections are all in use is where requests
/// queue (the waits of transactions for a writer show in `db_pool_acquire_seconds{db}`).
fn sample_pools(db: &'static str, pools: Vec<(&'static str, Pool)>) -> tokio::task::AbortHandle {
    tokio::spawn(async move {
        loop {
            for (name, pool) in &pools {
                let (size, idle, max) = pool.stats();
                metrics::gauge!("db_pool_connections", "db" => db, "pool" => *name, "state" => "in_use")
                    .set(size.saturating_sub(idle as u32) as f64);
                metrics::gauge!("db_pool_connections", "db" => db, "pool" => *name, "state" => "idle").set(idle as f64);
                metrics::gauge!("db_pool_max_connections", "db" => db, "pool" => *name).set(max as f64);
            }
            tokio::time::sleep(POOL_SAMPLE_EVERY).await;
        }
    })
    .abort_handle()
}

/// Copies the WAL back into the database file from a connection of its own, so that the one writer
/// never has to (SQLite's automatic checkpoint runs inside a commit: with a 20,000-page WAL that
/// commit took 20-80 ms, and every hold queued behind it waited as long). While there are writes it
/// runs every [`CHECKPOINT_BUSY`], which keeps the WAL small enough to be reset often; when nothing
/// was written since the last pass, every [`CHECKPOINT_IDLE`].
const CHECKPOINT_BUSY: Duration = Duration::from_millis(50);
const CHECKPOINT_IDLE: Duration = Duration::from_millis(500);

struct Checkpointer;

impl Checkpointer {
    fn start(pool: sqlx::SqlitePool) -> tokio::task::AbortHandle {
        let task = tokio::spawn(async move {
            let mut last = 0;
            loop {
                // PASSIVE: copy what no reader still needs, never wait for a lock. The answer is
                // (busy, frames in the WAL, frames copied); the WAL changed since the last pass
                // when there were writes.
                let frames = match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&pool).await {
                    Ok((_, frames, _)) => frames,
                    Err(e) => {
                        tracing::debug!(error = %e, "WAL checkpoint failed; the next one will try again");
                        -1
                    }
                };
                let writes = frames != last;
                last = frames;
                tokio::time::sleep(if writes { CHECKPOINT_BUSY } else { CHECKPOINT_IDLE }).await;
            }
        });
        task.abort_handle()
    }
}

/// A service's name as a metric label (`'static`, as the metrics crate wants; services are few).
fn db_label(service: &str) -> &'static str {
    static LABELS: std::sync::OnceLock<std::sync::Mutex<HashMap<String, &'static str>>> = std::sync::OnceLock::new();
    let mut m = LABELS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    m.entry(service.to_string()).or_insert_with(|| Box::leak(service.to_string().into_boxed_str()))
}

/// `?, ?, ?` for an `IN (...)` list or a row of `n` values.
pub fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// `(?, ?), (?, ?)`: `rows` rows of `cols` values, for a multi-row `INSERT ... VALUES`.
pub fn rows(rows: usize, cols: usize) -> String {
    vec![format!("({})", placeholders(cols)); rows].join(", ")
}

/// Which of `keys` `table.column` (a unique column) already holds: one statement, for a batch
/// that inserts only the new ones (see [`group::Batch`]).
pub async fn present(tx: &mut Tx, table: &str, column: &str, keys: &[&str]) -> Result<std::collections::HashSet<String>, StoreError> {
    let sql = format!("SELECT {column} FROM {table} WHERE {column} IN ({})", placeholders(keys.len()));
    let rows: Vec<(String,)> = tx_run!(tx, c => {
        let mut q = sqlx::query_as(&sql);
        for k in keys {
            q = q.bind(*k);
        }
        q.fetch_all(c).await
    })?;
    Ok(rows.into_iter().map(|(k,)| k).collect())
}

/// Whether no item of `items` comes twice (a batch whose items touch one row twice runs them alone).
pub fn distinct<T: std::hash::Hash + Eq>(items: &[T]) -> bool {
    items.iter().collect::<std::collections::HashSet<_>>().len() == items.len()
}

/// For each key in order, whether it is new: not in `present` and not an earlier key of the list.
pub fn fresh<'a>(keys: impl IntoIterator<Item = &'a str>, present: &std::collections::HashSet<String>) -> Vec<bool> {
    let mut seen = std::collections::HashSet::new();
    keys.into_iter().map(|k| !present.contains(k) && seen.insert(k)).collect()
}

/// The answer of a batch's insert of new rows: a unique violation when the batch is one item means
/// another process recorded the key since the batch read it (`Ok(false)`: that item's answer);
/// in a larger batch it fails the group, whose items then run alone.
pub fn inserted(r: Result<u64, StoreError>, batch: usize) -> Result<bool, StoreError> {
    match r {
        Ok(_) => Ok(true),
        Err(e) if e.is_unique_violation() && batch == 1 => Ok(false),
        Err(e) => Err(e),
    }
}

/// Run a transaction again while it fails with a retryable error (a deadlock, a lock wait timeout,
/// a busy database: it rolled back whole, so running it again is safe), at most `attempts` times,
/// pausing 10 ms more before each new try. `f` makes the transaction afresh each time (with a fresh
/// clock reading, if it takes one).
pub async fn retry<T, F, Fut>(attempts: u32, mut f: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut attempt = 1;
    loop {
        match f().await {
            Err(e) if e.is_retryable() && attempt < attempts => {
                tracing::debug!(error = %e, attempt, "transaction rolled back; trying again");
                tokio::time::sleep(Duration::from_millis(10 * u64::from(attempt))).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    MySql(sqlx::Transaction<'static, MySql>),
}

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::MySql(t) => t.commit().await?,
        }
        Ok(())
    }
    pub fn is_mysql(&self) -> bool {
        matches!(self, Tx::MySql(_))
    }
}

/// Where a service keeps its data.
#[derive(Clone, Debug)]
pub enum StoreConfig {
    /// `<dir>/<service>.db`
    Sqlite { dir: std::path::PathBuf },
    /// A server URL; the database is `<prefix>_<service>` where the prefix is the URL's database
    /// name (`ticketing` when it has none).
    MySql { url: String, pool_size: u32 },
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Config(String),
    /// A conditional write matched fewer rows than the transaction's own read promised (another
    /// writer got in between): the transaction must be rolled back, never committed half done.
    #[error("the rows changed under the transaction")]
    Changed,
}

impl StoreError {
    /// A unique key was violated (a duplicate insert).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Sql(sqlx::Error::Database(d)) if d.is_unique_violation())
    }
    /// A deadlock or lock wait timeout: the transaction may simply be tried again.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Sql(sqlx::Error::Database(d)) => {
                let code = d.code().unwrap_or_default();
                // MySQL 1213 deadlock / 1205 lock wait timeout (SQLSTATE 40001 / HY000); SQLite busy.
                code == "40001"
                    || code == "1213"
                    || code == "1205"
                    || code == "5"
                    || code == "517"
                    || d.message().contains("Deadlock")
                    || d.message().contains("database is locked")
            }
            StoreError::Sql(sqlx::Error::PoolTimedOut) => true,
            _ => false,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::Sql(sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed) => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::new(ErrorCode::Unavailable, "the database is unavailable, nothing was changed")
            }
            // MySQL 1040: the server has no connection left for us.
            StoreError::Sql(sqlx::Error::Database(d))
                if d.code().as_deref() == Some("08004") || d.message().contains("Too many connections") =>
            {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::new(ErrorCode::Unavailable, "the database is unavailable, nothing was changed")
            }
            _ if e.is_retryable() => {
                tracing::warn!(error = %e, "database busy");
                ApiError::new(ErrorCode::Unavailable, "the database is busy, try again")
            }
            _ => ApiError::internal(e),
        }
    }
}

fn mysql_parts(url: &str) -> (String, String) {
    // Split `mysql://user@host:port/prefix?opts` into the server URL and the prefix.
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let (server, prefix) = match base[after_scheme..].find('/') {
        Some(i) => (&base[..after_scheme + i], &base[after_scheme + i + 1..]),
        None => (base, ""),
    };
    let prefix = if prefix.is_empty() { "ticketing" } else { prefix };
    let server = match query {
        Some(q) => format!("{server}?{q}"),
        None => server.to_string(),
    };
    (server.replacen("mariadb://", "mysql://", 1), prefix.to_string())
}

impl Db {
    /// Open (creating if needed) the database of `service` and run its migrations and the shared ones.
    pub async fn open(cfg: &StoreConfig, service: &str, migrations: Migrations) -> Result<Db, StoreError> {
        let db = match cfg {
            StoreConfig::Sqlite { dir } => Self::open_sqlite(&dir.join(format!("{service}.db")), db_label(service)).await?,
            StoreConfig::MySql { url, pool_size } => {
                let (server, prefix) = mysql_parts(url);
                let name = format!("{prefix}_{service}");
                if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    return Err(StoreError::Config(format!(
                        "TICKETING_MYSQL_URL: database name '{name}' may hold only letters, digits and _"
                    )));
                }
                let opts = MySqlConnectOptions::from_str(&server)?;
                let mut conn = opts.clone().connect().await?;
                sqlx::query(&format!("CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
                    .execute(&mut conn)
                    .await?;
                conn.close().await?;
                let pool = MySqlPoolOptions::new()
                    .max_connections((*pool_size).max(1))
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(opts.database(&name).log_statements(tracing::log::LevelFilter::Trace))
                    .await?;
                let p = Pool::MySql(pool);
                let sampler = sample_pools(db_label(service), vec![("main", p.clone())]);
                Db { read: p.clone(), write: p, label: db_label(service), _jobs: Arc::new(Jobs(vec![sampler])) }
            }
        };
        db.migrate(migrations).await?;
        Ok(db)
    }

    async fn open_sqlite(path: &Path, label: &'static str) -> Result<Db, StoreError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Config(format!("TICKETING_DATA_DIR: cannot create {}: {e}", parent.display())))?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Statement journals (a multi-row statement inside a transaction) in memory, not in
            // temporary files.
            .pragma("temp_store", "memory")
            // The background checkpointer copies the WAL back; a writer checkpoints by itself
            // only if the WAL passes ~80 MB (the checkpointer fell behind).
            .pragma("wal_autocheckpoint", "20000")
            // A group commit's multi-row statements differ by their row count (1 to 64 rows, per
            // kind of batch): keep them all prepared rather than parse them again and again.
            .statement_cache_capacity(1024)
            .log_statements(tracing::log::LevelFilter::Trace);
        // One writer: writes queue here rather than fail with SQLITE_BUSY.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            // The one writer keeps up to 16 MB of pages (the hot part of a 100,000-seat event).
            .connect_with(opts.clone().pragma("cache_size", "-16384"))
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts.clone().read_only(true))
            .await?;
        let checkpoints = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await?;
        let (read, write) = (Pool::Sqlite(read), Pool::Sqlite(write));
        let jobs =
            Jobs(vec![Checkpointer::start(checkpoints), sample_pools(label, vec![("read", read.clone()), ("write", write.clone())])]);
        Ok(Db { read, write, label, _jobs: Arc::new(jobs) })
    }

    async fn migrate(&self, migrations: Migrations) -> Result<(), StoreError> {
        let (mut shared, mut own) = match self.write {
            Pool::Sqlite(_) => (sqlx::migrate!("migrations/sqlite"), migrations.sqlite),
            Pool::MySql(_) => (sqlx::migrate!("migrations/mysql"), migrations.mysql),
        };
        // Two migrators share `_sqlx_migrations`: each ignores the other's versions.
        shared.set_ignore_missing(true);
        own.set_ignore_missing(true);
        run!(&self.write, p => { shared.run(p).await?; own.run(p).await? });
        Ok(())
    }

    /// The pool for reads.
    pub fn read(&self) -> &Pool {
        &self.read
    }
    /// The pool for writes outside a transaction.
    pub fn write(&self) -> &Pool {
        &self.write
    }
    pub fn is_mysql(&self) -> bool {
        matches!(self.write, Pool::MySql(_))
    }

    pub async fn begin(&self) -> Result<Tx, StoreError> {
        // The wait for a writer connection (SQLite has one) and its BEGIN: where writes queue.
        let started = std::time::Instant::now();
        let tx = match &self.write {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Pool::MySql(p) => Tx::MySql(p.begin().await?),
        };
        metrics::histogram!("db_pool_acquire_seconds", "db" => self.label).record(started.elapsed().as_secs_f64());
        Ok(tx)
    }

    /// The service whose database this is (its metrics' `db` label).
    pub fn label(&self) -> &'static str {
        self.label
    }

    /// Does the database answer?
    pub async fn ping(&self) -> Result<(), StoreError> {
        exec!(&self.read, p => sqlx::query("SELECT 1").execute(p))?;
        Ok(())
    }
}

/// Choose the storage from the configuration.
pub fn store_config(cfg: &common::config::Config) -> StoreConfig {
    match &cfg.mysql_url {
        Some(url) => StoreConfig::MySql { url: url.expose().to_string(), pool_size: cfg.db_pool_size },
        None => StoreConfig::Sqlite { dir: cfg.data_dir.clone() },
    }
}

/// Only the shared migrations (for this crate's own tests).
#[cfg(test)]
pub(crate) fn migrations_for_tests() -> Migrations {
    Migrations { sqlite: sqlx::migrate!("migrations/sqlite"), mysql: sqlx::migrate!("migrations/mysql") }
}

#[cfg(test)]
mod tests {
    use super::mysql_parts;

    #[test]
    fn mysql_url_prefix() {
        assert_eq!(mysql_parts("mysql://root@127.0.0.1:3306/t1"), ("mysql://root@127.0.0.1:3306".into(), "t1".into()));
        assert_eq!(mysql_parts("mysql://root@h"), ("mysql://root@h".into(), "ticketing".into()));
        assert_eq!(mysql_parts("mariadb://u:p@h/x?ssl-mode=disabled"), ("mysql://u:p@h?ssl-mode=disabled".into(), "x".into()));
    }
}
