//! Per-seat locks in front of the database.
//!
//! They exist to spare the database, not to guarantee anything: a request takes the locks of all its
//! seats (in sorted key order, all or none) before its transaction, so competing requests for a hot
//! seat queue here instead of colliding in the database. Correctness never rests on them. A lock can
//! be lost (its TTL ran out during a stall, Redis restarted or was flushed) and then two requests may
//! both reach the database; the conditional update there decides, and one of them fails cleanly.
//!
//! [`LocalLocks`] is the in-process table of embedded mode; [`RedisLocks`] uses `SET NX PX` semantics
//! with a random token per lease, in one Lua script for all keys, and a compare-and-delete release, so
//! a lease never frees a lock that has since passed to someone else.

use async_trait::async_trait;
use rand::Rng;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LockError {
    /// Someone else still held this key when the wait ran out.
    #[error("lock busy: {0}")]
    Busy(String),
    /// The lock backend does not answer.
    #[error("lock backend unavailable: {0}")]
    Unavailable(String),
}

/// The locks one request holds. Give it back with [`LockManager::release`]; if it is dropped instead,
/// the TTL frees the keys.
#[derive(Debug)]
pub struct Lease {
    pub keys: Vec<String>,
    token: String,
}

#[async_trait]
pub trait LockManager: Send + Sync {
    /// Take every key (sorted and deduplicated here), waiting up to `wait` for busy ones.
    async fn acquire(&self, keys: Vec<String>, ttl: Duration, wait: Duration) -> Result<Lease, LockError>;
    async fn release(&self, lease: Lease);
    /// Does the backend answer? (for `/ready`)
    async fn ping(&self) -> Result<(), LockError>;
}

fn normalise(mut keys: Vec<String>) -> Vec<String> {
    keys.sort();
    keys.dedup();
    keys
}

fn new_token() -> String {
    common::ids::random_token(16)
}

/// The in-process lock table of embedded mode.
#[derive(Default)]
pub struct LocalLocks {
    table: Mutex<HashMap<String, (String, Instant)>>,
    released: Notify,
}

impl LocalLocks {
    pub fn new() -> Self {
        Self::default()
    }

    /// All or none, atomically under the table's mutex. Returns the first busy key.
    fn try_take(&self, keys: &[String], token: &str, ttl: Duration) -> Result<(), String> {
        let mut t = self.table.lock().expect("lock table poisoned");
        let now = Instant::now();
        if let Some(busy) = keys.iter().find(|k| matches!(t.get(*k), Some((_, exp)) if *exp > now)) {
            return Err(busy.clone());
        }
        for k in keys {
            t.insert(k.clone(), (token.to_string(), now + ttl));
        }
        Ok(())
    }
}

#[async_trait]
impl LockManager for LocalLocks {
    async fn acquire(&self, keys: Vec<String>, ttl: Duration, wait: Duration) -> Result<Lease, LockError> {
        let keys = normalise(keys);
        let token = new_token();
        let deadline = Instant::now() + wait;
        loop {
            // Register for the wake-up before looking, so a release in between is not missed.
            let notified = self.released.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.try_take(&keys, &token, ttl) {
                Ok(()) => {
                    metrics::counter!("lock_acquisitions_total", "outcome" => "acquired").increment(1);
                    return Ok(Lease { keys, token });
                }
                Err(busy) => {
                    let now = Instant::now();
                    if now >= deadline {
                        metrics::counter!("lock_acquisitions_total", "outcome" => "timeout").increment(1);
                        return Err(LockError::Busy(busy));
                    }
                    metrics::counter!("lock_contention_total").increment(1);
                    // A lock may also lapse by TTL without a release: look again at least every 50 ms.
                    let _ = tokio::time::timeout((deadline - now).min(Duration::from_millis(50)), notified).await;
                }
            }
        }
    }

    async fn release(&self, lease: Lease) {
        {
            let mut t = self.table.lock().expect("lock table poisoned");
            for k in &lease.keys {
                if matches!(t.get(k), Some((tok, _)) if *tok == lease.token) {
                    t.remove(k);
                }
            }
        }
        self.released.notify_waiters();
    }

    async fn ping(&self) -> Result<(), LockError> {
        Ok(())
    }
}

/// Locks in Redis, shared by every process.
pub struct RedisLocks {
    conn: crate::redis_conn::RedisConn,
    acquire: redis::Script,
    release: redis::Script,
    op_timeout: Duration,
}

/// Take all keys or none; returns 0, or the 1-based index of the first busy key.
const ACQUIRE_LUA: &str = r#"
for i, k in ipairs(KEYS) do
  if redis.call('EXISTS', k) == 1 then return i end
end
for i, k in ipairs(KEYS) do
  redis.call('SET', k, ARGV[1], 'PX', ARGV[2])
end
return 0
"#;

/// Delete only the keys that still carry our token.
const RELEASE_LUA: &str = r#"
local n = 0
for i, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[1] then redis.call('DEL', k); n = n + 1 end
end
return n
"#;

impl RedisLocks {
    pub async fn connect(url: &str) -> Result<Self, LockError> {
        let conn = connect_redis(url).await?;
        Ok(Self {
            conn,
            acquire: redis::Script::new(ACQUIRE_LUA),
            release: redis::Script::new(RELEASE_LUA),
            op_timeout: Duration::from_secs(2),
        })
    }
}

/// The process's Redis connection (a plain URL or Sentinel; see [`crate::redis_conn`]): it
/// reconnects by itself and never hangs a request.
pub async fn connect_redis(url: &str) -> Result<crate::redis_conn::RedisConn, LockError> {
    crate::redis_conn::RedisConn::connect(url).await.map_err(|e| LockError::Unavailable(format!("TICKETING_REDIS_URL: {e}")))
}

#[async_trait]
impl LockManager for RedisLocks {
    async fn acquire(&self, keys: Vec<String>, ttl: Duration, wait: Duration) -> Result<Lease, LockError> {
        let keys = normalise(keys);
        let token = new_token();
        let deadline = Instant::now() + wait;
        loop {
            let mut inv = self.acquire.prepare_invoke();
            for k in &keys {
                inv.key(k);
            }
            inv.arg(&token).arg(ttl.as_millis() as u64);
            let mut conn = self.conn.clone();
            let res: i64 = tokio::time::timeout(self.op_timeout, inv.invoke_async(&mut conn))
                .await
                .map_err(|_| LockError::Unavailable("redis: timed out".into()))?
                .map_err(|e| LockError::Unavailable(format!("redis: {e}")))?;
            if res == 0 {
                metrics::counter!("lock_acquisitions_total", "outcome" => "acquired").increment(1);
                return Ok(Lease { keys, token });
            }
            let busy = keys.get((res - 1) as usize).cloned().unwrap_or_default();
            let now = Instant::now();
            if now >= deadline {
                metrics::counter!("lock_acquisitions_total", "outcome" => "timeout").increment(1);
                return Err(LockError::Busy(busy));
            }
            metrics::counter!("lock_contention_total").increment(1);
            let pause = Duration::from_millis(rand::thread_rng().gen_range(3..15));
            tokio::time::sleep(pause.min(deadline - now)).await;
        }
    }

    async fn release(&self, lease: Lease) {
        let mut inv = self.release.prepare_invoke();
        for k in &lease.keys {
            inv.key(k);
        }
        inv.arg(&lease.token);
        let mut conn = self.conn.clone();
        // A failed release is harmless: the TTL frees the keys.
        match tokio::time::timeout(self.op_timeout, inv.invoke_async::<i64>(&mut conn)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "lock release failed; the TTL will free the keys"),
            Err(_) => tracing::warn!("lock release timed out; the TTL will free the keys"),
        }
    }

    async fn ping(&self) -> Result<(), LockError> {
        let mut conn = self.conn.clone();
        let r: Result<String, _> = tokio::time::timeout(self.op_timeout, redis::cmd("PING").query_async(&mut conn))
            .await
            .map_err(|_| LockError::Unavailable("redis: timed out".into()))?;
        r.map(|_| ()).map_err(|e| LockError::Unavailable(format!("redis: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    async fn exclusive(locks: Arc<dyn LockManager>) {
        let a = locks.acquire(vec!["k2".into(), "k1".into()], Duration::from_secs(5), Duration::from_millis(10)).await.unwrap();
        let busy = locks.acquire(vec!["k3".into(), "k2".into()], Duration::from_secs(5), Duration::from_millis(30)).await;
        assert_eq!(busy.unwrap_err(), LockError::Busy("k2".into()));
        // k3 was not left held by the failed attempt.
        let c = locks.acquire(vec!["k3".into()], Duration::from_secs(5), Duration::from_millis(10)).await.unwrap();
        // A waiter gets the keys once they are released.
        let l2 = locks.clone();
        let waiter = tokio::spawn(async move { l2.acquire(vec!["k1".into()], Duration::from_secs(5), Duration::from_secs(3)).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        locks.release(a).await;
        let w = waiter.await.unwrap().unwrap();
        locks.release(w).await;
        locks.release(c).await;
        // A lapsed lock can be taken again.
        let short = locks.acquire(vec!["k9".into()], Duration::from_millis(20), Duration::from_millis(10)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(60)).await;
        let again = locks.acquire(vec!["k9".into()], Duration::from_secs(1), Duration::from_millis(10)).await.unwrap();
        // The stale lease must not free the new holder's key.
        locks.release(short).await;
        assert!(locks.acquire(vec!["k9".into()], Duration::from_secs(1), Duration::from_millis(10)).await.is_err());
        locks.release(again).await;
    }

    #[tokio::test]
    async fn local_locks_are_exclusive() {
        exclusive(Arc::new(LocalLocks::new())).await;
    }

    #[tokio::test]
    async fn redis_locks_are_exclusive() {
        let Ok(url) = std::env::var("TICKETING_TEST_REDIS_URL") else { return };
        let locks = RedisLocks::connect(&url).await.unwrap();
        // Unique keys per run so parallel runs do not collide.
        exclusive(Arc::new(PrefixedLocks { inner: locks, prefix: common::ids::new_id() })).await;
    }

    /// Test helper: namespaces keys.
    struct PrefixedLocks {
        inner: RedisLocks,
        prefix: String,
    }

    #[async_trait]
    impl LockManager for PrefixedLocks {
        async fn acquire(&self, keys: Vec<String>, ttl: Duration, wait: Duration) -> Result<Lease, LockError> {
            self.inner.acquire(keys.iter().map(|k| format!("{}:{k}", self.prefix)).collect(), ttl, wait).await.map_err(|e| match e {
                LockError::Busy(k) => LockError::Busy(k.split_once(':').map(|x| x.1.to_string()).unwrap_or(k)),
                o => o,
            })
        }
        async fn release(&self, lease: Lease) {
            self.inner.release(lease).await
        }
        async fn ping(&self) -> Result<(), LockError> {
            self.inner.ping().await
        }
    }
}
