//! The one Redis connection of a process, shared by the seat locks, the rate limiter, the
//! idempotency fast path and the waiting room: a plain server, or one found through Redis Sentinel.
//!
//! `TICKETING_REDIS_URL` is either a Redis URL (`redis://host:6379`) or a list of sentinels and the
//! name of the primary they watch: `redis+sentinel://host1:26379,host2:26379,host3:26379/mymaster`.
//! Either way [`RedisConn`] reconnects by itself and never hangs a request (connection and response
//! timeouts). With Sentinel, a command that fails the way a dead or demoted primary fails (the
//! connection is gone or refused, or `READONLY`: the old primary came back as a replica) makes it
//! ask the sentinels for the current primary and switch to it; that command still fails (the
//! caller answers `503` and the client retries), the next ones go to the promoted replica. Nothing
//! the platform decides rests on Redis (see `locks`): a failover costs a few refused requests, never
//! a seat sold twice.

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult, Value};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How often, at most, the sentinels are asked again (many requests fail at once in a failover).
const ASK_SENTINELS_EVERY: Duration = Duration::from_millis(500);

/// A Redis connection (cheap to clone; clones share it).
#[derive(Clone)]
pub struct RedisConn {
    current: Arc<RwLock<ConnectionManager>>,
    sentinel: Option<Arc<Sentinels>>,
}

struct Sentinels {
    addresses: Vec<String>,
    primary: String,
    /// One re-resolution at a time; when the last one ran.
    asked: tokio::sync::Mutex<Option<Instant>>,
}

fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Duration::from_secs(2))
        .set_response_timeout(Duration::from_secs(2))
        .set_number_of_retries(1)
}

async fn manager(client: redis::Client) -> RedisResult<ConnectionManager> {
    tokio::time::timeout(Duration::from_secs(5), client.get_connection_manager_with_config(manager_config()))
        .await
        .map_err(|_| RedisError::from((ErrorKind::IoError, "connection timed out")))?
}

/// `redis+sentinel://h1:26379,h2:26379/name` -> (["redis://h1:26379", ...], "name").
fn parse_sentinel_url(url: &str) -> Option<(Vec<String>, String)> {
    let rest = url.strip_prefix("redis+sentinel://")?;
    let (hosts, name) = rest.split_once('/')?;
    let name = name.trim_matches('/');
    let addresses: Vec<String> = hosts.split(',').map(str::trim).filter(|h| !h.is_empty()).map(|h| format!("redis://{h}")).collect();
    (!addresses.is_empty() && !name.is_empty()).then(|| (addresses, name.to_string()))
}

impl Sentinels {
    async fn primary_client(&self) -> RedisResult<redis::Client> {
        let mut s = redis::sentinel::Sentinel::build(self.addresses.clone())?;
        s.async_master_for(&self.primary, None).await
    }
}

impl RedisConn {
    /// Connect to `url` (see the module docs for the two forms).
    pub async fn connect(url: &str) -> RedisResult<Self> {
        if url.starts_with("redis+sentinel://") {
            let (addresses, primary) = parse_sentinel_url(url).ok_or_else(|| {
                RedisError::from((ErrorKind::InvalidClientConfig, "expected redis+sentinel://host:port,host:port/primary-name"))
            })?;
            let sentinels = Sentinels { addresses, primary, asked: tokio::sync::Mutex::new(None) };
            let cm = manager(sentinels.primary_client().await?).await?;
            return Ok(RedisConn { current: Arc::new(RwLock::new(cm)), sentinel: Some(Arc::new(sentinels)) });
        }
        let cm = manager(redis::Client::open(url)?).await?;
        Ok(RedisConn { current: Arc::new(RwLock::new(cm)), sentinel: None })
    }

    fn now_current(&self) -> ConnectionManager {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// After a failure: with Sentinel, and a failure that says the primary is gone or demoted,
    /// ask the sentinels where the primary is now and switch to it.
    async fn after(&self, e: &RedisError) {
        let Some(s) = &self.sentinel else { return };
        let primary_gone =
            e.is_io_error() || e.is_connection_refusal() || e.is_connection_dropped() || e.is_timeout() || e.kind() == ErrorKind::ReadOnly;
        if !primary_gone {
            return;
        }
        let mut asked = s.asked.lock().await;
        if asked.is_some_and(|t| t.elapsed() < ASK_SENTINELS_EVERY) {
            return;
        }
        *asked = Some(Instant::now());
        match s.primary_client().await {
            Ok(client) => match manager(client).await {
                Ok(cm) => {
                    *self.current.write().unwrap_or_else(|e| e.into_inner()) = cm;
                    metrics::counter!("redis_primary_switches_total").increment(1);
                    tracing::warn!(primary = %s.primary, "Redis: following the primary the sentinels name now");
                }
                Err(e) => tracing::warn!(error = %e, "Redis: the primary the sentinels name does not answer yet"),
            },
            Err(e) => tracing::warn!(error = %e, "Redis: no sentinel names a primary yet"),
        }
    }
}

impl RedisConn {
    /// Every call's latency (`redis_command_seconds{op}`) and failures
    /// (`redis_command_errors_total{op, kind}`: `io`, `timeout`, `refused`, `response`...); a failure
    /// may mean the primary moved (see `after`).
    async fn measured(&self, op: &'static str, started: std::time::Instant, error: Option<&redis::RedisError>) {
        metrics::histogram!("redis_command_seconds", "op" => op).record(started.elapsed().as_secs_f64());
        if let Some(e) = error {
            let kind = if e.is_timeout() {
                "timeout"
            } else if e.is_connection_refusal() {
                "refused"
            } else if e.is_io_error() || e.is_connection_dropped() {
                "io"
            } else {
                "response"
            };
            metrics::counter!("redis_command_errors_total", "op" => op, "kind" => kind).increment(1);
            self.after(e).await;
        }
    }
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let mut cm = self.now_current();
            let started = std::time::Instant::now();
            let r = cm.req_packed_command(cmd).await;
            self.measured("command", started, r.as_ref().err()).await;
            r
        })
    }

    fn req_packed_commands<'a>(&'a mut self, cmd: &'a Pipeline, offset: usize, count: usize) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let mut cm = self.now_current();
            let started = std::time::Instant::now();
            let r = cm.req_packed_commands(cmd, offset, count).await;
            self.measured("pipeline", started, r.as_ref().err()).await;
            r
        })
    }

    fn get_db(&self) -> i64 {
        0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sentinel_urls_name_the_sentinels_and_the_primary() {
        let (a, n) = super::parse_sentinel_url("redis+sentinel://10.0.0.1:26379, 10.0.0.2:26379/mymaster").unwrap();
        assert_eq!(a, vec!["redis://10.0.0.1:26379", "redis://10.0.0.2:26379"]);
        assert_eq!(n, "mymaster");
        assert!(super::parse_sentinel_url("redis+sentinel://10.0.0.1:26379").is_none());
        assert!(super::parse_sentinel_url("redis+sentinel:///mymaster").is_none());
    }
}
