//! The fast path of idempotency replays, when Redis is configured.
//!
//! A retried confirmation (a double click, a client retry after a timeout) is the commonest request
//! in a flash sale after the first one. The database record stays the truth (it survives restarts
//! and decides every race, see `BookingStore::begin`); Redis only remembers, for 24 hours, which
//! finished booking a user's key produced and the fingerprint of the request, so a replay is one
//! Redis `GET` and one primary-key read instead of a write transaction. Any Redis trouble falls back
//! to the database path: the cache can be flushed or lost at any time without changing an answer.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long an answer is replayed (Stripe's window).
const TTL_MS: u64 = 24 * 60 * 60 * 1000;
const OP_TIMEOUT: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Remembered {
    pub request_hash: String,
    pub booking_id: String,
}

pub struct ReplayCache {
    conn: store::redis_conn::RedisConn,
}

fn redis_key(user_id: &str, key: &str) -> String {
    format!("idempotency:{user_id}:{key}")
}

impl ReplayCache {
    pub fn new(conn: store::redis_conn::RedisConn) -> Self {
        Self { conn }
    }

    pub async fn get(&self, user_id: &str, key: &str) -> Option<Remembered> {
        let mut c = self.conn.clone();
        let got: Option<String> =
            match tokio::time::timeout(OP_TIMEOUT, redis::cmd("GET").arg(redis_key(user_id, key)).query_async(&mut c)).await {
                Ok(Ok(v)) => v,
                _ => return None,
            };
        got.and_then(|s| serde_json::from_str(&s).ok())
    }

    pub async fn put(&self, user_id: &str, key: &str, r: &Remembered) {
        let Ok(body) = serde_json::to_string(r) else { return };
        let mut c = self.conn.clone();
        let mut cmd = redis::cmd("SET");
        cmd.arg(redis_key(user_id, key)).arg(body).arg("PX").arg(TTL_MS);
        let set = cmd.query_async::<()>(&mut c);
        if !matches!(tokio::time::timeout(OP_TIMEOUT, set).await, Ok(Ok(()))) {
            tracing::debug!("idempotency fast path not written; the database path still answers replays");
        }
    }
}
