//! How requests are started: the closed model (`--concurrency` in flight) and the open model
//! (`--rate`), with reproducible random choices per request.

use super::*;
use futures::stream::{FuturesUnordered, StreamExt};
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::SeedableRng;
use reqwest::StatusCode;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

/// The random choices of request (or journey) `i`: from `--seed` and `i` alone, so runs with the
/// same flags ask the same questions in the same order, whatever the answers and their timing.
pub(crate) fn request_rng(seed: u64, i: u64) -> StdRng {
    StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i)
}

/// How requests are started.
#[derive(Clone, Copy)]
pub(crate) enum Model {
    /// This many in flight: each answer starts the next request.
    Closed(usize),
    /// This many started per second, whatever the answers.
    Open(f64),
}

impl Model {
    pub(crate) fn new(rate: Option<f64>, concurrency: usize) -> Model {
        match rate {
            Some(r) => Model::Open(r),
            None => Model::Closed(concurrency.max(1)),
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Model::Closed(n) => format!("closed model, {n} in flight"),
            Model::Open(r) => format!("open model, {r} requests/s"),
        }
    }
}

/// In the open model, at most this many requests in flight (each holds a connection, so a file
/// descriptor); a request that falls due beyond it is not sent, and counted.
pub(crate) const OPEN_MAX_IN_FLIGHT: usize = 8192;

/// What `drive` did.
pub(crate) struct Driven {
    pub(crate) secs: f64,
    /// Open model: requests that fell due while `OPEN_MAX_IN_FLIGHT` were in flight.
    pub(crate) not_sent: u64,
}

/// Starts the requests `next(i)` makes, for i = 0, 1, 2... until it returns None, hands each
/// answer to `done`, and waits for the last one. Closed model: `n` in flight, the next one started
/// as soon as one is answered. Open model: a 1 ms ticker starts every request that has fallen due
/// at the rate since the start, answered or not. One task polls every request in flight (the
/// connections' I/O runs in the HTTP client's own tasks).
pub(crate) async fn drive<Fut: Future>(
    model: Model,
    mut next: impl FnMut(u64) -> Option<Fut>,
    mut done: impl FnMut(Fut::Output),
) -> Driven {
    let t0 = Instant::now();
    let mut in_flight = FuturesUnordered::new();
    let (mut i, mut not_sent, mut open) = (0u64, 0u64, true);
    match model {
        Model::Closed(n) => loop {
            while open && in_flight.len() < n {
                match next(i) {
                    Some(f) => in_flight.push(f),
                    None => open = false,
                }
                i += 1;
            }
            match in_flight.next().await {
                Some(out) => done(out),
                None => break,
            }
        },
        Model::Open(rate) => {
            let mut tick = tokio::time::interval(Duration::from_millis(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut fallen_due = 0u64;
            loop {
                tokio::select! {
                    Some(out) = in_flight.next(), if !in_flight.is_empty() => done(out),
                    _ = tick.tick(), if open => {
                        let due = (t0.elapsed().as_secs_f64() * rate) as u64;
                        while open && fallen_due < due {
                            fallen_due += 1;
                            if in_flight.len() >= OPEN_MAX_IN_FLIGHT {
                                not_sent += 1;
                                continue;
                            }
                            match next(i) {
                                Some(f) => in_flight.push(f),
                                None => open = false,
                            }
                            i += 1;
                        }
                    }
                    else => break,
                }
            }
        }
    }
    Driven { secs: t0.elapsed().as_secs_f64(), not_sent }
}

/// The answers of a `blast`: latencies (µs), outcomes (status, or the transport error).
pub(crate) struct Blast {
    pub(crate) hist: Histogram<u64>,
    pub(crate) outcomes: BTreeMap<String, u64>,
    pub(crate) driven: Driven,
}

impl Blast {
    pub(crate) fn row(&self, endpoint: &str) -> Row {
        Row::new(endpoint, &self.hist, self.outcomes.clone(), self.driven.secs)
    }
}

/// Requests made by `make(i)` under `model`: `n` of them, or as many as start before `until`.
pub(crate) async fn blast<F, Fut>(model: Model, n: usize, until: Option<Instant>, make: F) -> Blast
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<StatusCode, String>>,
{
    let mut hist = Histogram::<u64>::new(3).expect("histogram");
    let mut outcomes = BTreeMap::new();
    let driven = drive(
        model,
        |i| {
            let i = i as usize;
            (i < n && until.is_none_or(|t| Instant::now() < t)).then(|| {
                let fut = make(i);
                async move {
                    let t = Instant::now();
                    (fut.await, t.elapsed())
                }
            })
        },
        |(r, took): (Result<StatusCode, String>, Duration)| {
            let _ = hist.record(took.as_micros() as u64);
            let key = match r {
                Ok(code) => code.as_u16().to_string(),
                Err(e) => e,
            };
            *outcomes.entry(key).or_insert(0u64) += 1;
        },
    )
    .await;
    Blast { hist, outcomes, driven }
}
