//! Failed logins are limited per email and client IP: after [`MAX_FAILURES`] failures within
//! [`WINDOW_MS`], further attempts for that pair are `429 RATE_LIMITED` (with `Retry-After`) until
//! the window ends, whether or not the account exists (so the limit reveals nothing either). A
//! successful login clears the pair; a login that never failed costs one map lookup.
//!
//! The count lives in the process: with several auth processes an attacker gets the budget once per
//! process, which still bounds password guessing to a few dozen tries a minute.

use std::collections::HashMap;
use std::sync::Mutex;

pub const MAX_FAILURES: u32 = 10;
pub const WINDOW_MS: i64 = 60_000;
/// Above this many tracked pairs, expired ones are dropped.
const PRUNE_AT: usize = 10_000;

#[derive(Default)]
pub struct LoginLimiter {
    /// (email, ip) -> (window start, failures in the window)
    failures: Mutex<HashMap<String, (i64, u32)>>,
}

fn key(email: &str, ip: &str) -> String {
    format!("{}|{ip}", email.trim().to_lowercase())
}

impl LoginLimiter {
    /// `Err(seconds to wait)` when the pair has used its failures.
    pub fn check(&self, email: &str, ip: &str, now_ms: i64) -> Result<(), u64> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(&key(email, ip)) {
            Some(&(start, n)) if n >= MAX_FAILURES && now_ms - start < WINDOW_MS => {
                Err(((start + WINDOW_MS - now_ms) as u64).div_ceil(1000).max(1))
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, email: &str, ip: &str, now_ms: i64) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= PRUNE_AT {
            map.retain(|_, (start, _)| now_ms - *start < WINDOW_MS);
        }
        let e = map.entry(key(email, ip)).or_insert((now_ms, 0));
        if now_ms - e.0 >= WINDOW_MS {
            *e = (now_ms, 0);
        }
        e.1 += 1;
    }

    pub fn succeeded(&self, email: &str, ip: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if !map.is_empty() {
            map.remove(&key(email, ip));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_failures_per_email_and_ip() {
        let l = LoginLimiter::default();
        for _ in 0..MAX_FAILURES {
            assert!(l.check("A@x.io", "1.2.3.4", 0).is_ok());
            l.failed("a@x.io", "1.2.3.4", 0);
        }
        assert_eq!(l.check("a@x.io", "1.2.3.4", 1_000), Err(59));
        assert!(l.check("a@x.io", "5.6.7.8", 1_000).is_ok());
        assert!(l.check("b@x.io", "1.2.3.4", 1_000).is_ok());
        assert!(l.check("a@x.io", "1.2.3.4", WINDOW_MS).is_ok());
        l.succeeded("a@x.io", "1.2.3.4");
        assert!(l.check("a@x.io", "1.2.3.4", 1_000).is_ok());
    }
}
