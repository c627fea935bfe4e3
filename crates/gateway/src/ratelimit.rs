//! The request budget: `TICKETING_RATE_LIMIT_PER_MINUTE` per user (or per client IP when anonymous).
//!
//! In process it is `governor`'s keyed GCRA limiter (smooth, no bursts beyond the minute's budget).
//! With Redis it is a fixed one-minute window per key (`INCR` + `EXPIRE` in one transaction), shared
//! by every gateway process. If Redis does not answer, requests pass (failing open): a rate limit
//! must not take the platform down with it.

use governor::{DefaultKeyedRateLimiter, Quota};
use std::num::NonZeroU32;
use std::time::Duration;

pub enum RateLimiter {
    Off,
    Local { limiter: DefaultKeyedRateLimiter<String> },
    Redis { conn: store::redis_conn::RedisConn, per_minute: u32 },
}

impl RateLimiter {
    pub fn local(per_minute: u32) -> Self {
        match NonZeroU32::new(per_minute) {
            None => RateLimiter::Off,
            Some(n) => RateLimiter::Local { limiter: governor::RateLimiter::keyed(Quota::per_minute(n)) },
        }
    }

    pub fn redis(conn: store::redis_conn::RedisConn, per_minute: u32) -> Self {
        if per_minute == 0 {
            RateLimiter::Off
        } else {
            RateLimiter::Redis { conn, per_minute }
        }
    }

    /// `Err(seconds to wait)` when `key` is over its budget.
    pub async fn check(&self, key: &str) -> Result<(), u64> {
        match self {
            RateLimiter::Off => Ok(()),
            RateLimiter::Local { limiter } => limiter.check_key(&key.to_string()).map_err(|not_until| {
                not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default())).as_secs() + 1
            }),
            RateLimiter::Redis { conn, per_minute } => {
                let now = common::time::now_ms();
                let window = now / 60_000;
                let k = format!("ratelimit:{key}:{window}");
                let mut c = conn.clone();
                let res: Result<(i64,), _> = tokio::time::timeout(
                    Duration::from_millis(500),
                    redis::pipe().atomic().incr(&k, 1).expire(&k, 61).ignore().query_async(&mut c),
                )
                .await
                .unwrap_or_else(|_| Err(redis::RedisError::from((redis::ErrorKind::IoError, "timed out"))));
                match res {
                    Ok((count,)) if count > *per_minute as i64 => Err(((window + 1) * 60_000 - now) as u64 / 1000 + 1),
                    Ok(_) => Ok(()),
                    Err(e) => {
                        tracing::warn!(error = %e, "rate limit store unavailable; letting the request through");
                        Ok(())
                    }
                }
            }
        }
    }
}
