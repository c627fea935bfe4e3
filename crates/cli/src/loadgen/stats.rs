//! What a run counts: latencies and outcomes per endpoint, and the context every request of a
//! scenario shares (its arguments, the event, the seats to ask for, the counters).

use super::*;
use hdrhistogram::Histogram;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Latencies and outcomes per endpoint.
#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) hist: HashMap<&'static str, Histogram<u64>>,
    pub(crate) codes: HashMap<&'static str, BTreeMap<String, u64>>,
}

impl Stats {
    pub(crate) fn record(&mut self, endpoint: &'static str, elapsed: Duration, outcome: String) {
        let h = self.hist.entry(endpoint).or_insert_with(|| Histogram::new(3).expect("histogram"));
        let _ = h.record(elapsed.as_micros() as u64);
        *self.codes.entry(endpoint).or_default().entry(outcome).or_default() += 1;
    }

    /// The table rows of these endpoints, in this order, over `secs` seconds.
    pub(crate) fn rows(&self, endpoints: &[&str], secs: f64) -> Vec<Row> {
        endpoints
            .iter()
            .filter_map(|ep| Some(Row::new(ep, self.hist.get(ep)?, self.codes.get(ep).cloned().unwrap_or_default(), secs)))
            .collect()
    }
}

/// The outcome of a request that got no answer.
pub(crate) fn transport_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else {
        "connect".into()
    }
}

pub(crate) struct Ctx {
    pub(crate) args: LoadgenArgs,
    pub(crate) http: reqwest::Client,
    pub(crate) event: String,
    /// The seat numbers requests choose from: every seat (sale), the hot set (hotspot), the free
    /// seats (contended), or the free seats shuffled (field, purchase).
    pub(crate) seats: Vec<String>,
    pub(crate) stats: Mutex<Stats>,
    pub(crate) sent: AtomicU64,
    pub(crate) deadline: Instant,
    pub(crate) progress: indicatif::ProgressBar,
}

impl Ctx {
    pub(crate) fn new(args: &LoadgenArgs, http: &reqwest::Client, event: &str, seats: Vec<String>) -> Ctx {
        let progress = indicatif::ProgressBar::new(args.requests.min(10_000_000));
        progress.set_style(indicatif::ProgressStyle::with_template("{elapsed_precise} {pos} requests ({per_sec})").expect("template"));
        Ctx {
            args: args.clone(),
            http: http.clone(),
            event: event.to_string(),
            seats,
            stats: Mutex::new(Stats::default()),
            sent: AtomicU64::new(0),
            deadline: Instant::now() + Duration::from_secs(args.duration),
            progress,
        }
    }

    pub(crate) fn done(&self) -> bool {
        Instant::now() >= self.deadline || self.sent.load(Ordering::Relaxed) >= self.args.requests
    }

    /// One request, timed and counted. The outcome is the status, or the error code when there is one.
    pub(crate) async fn call(&self, endpoint: &'static str, req: reqwest::RequestBuilder) -> Option<(StatusCode, Value)> {
        self.call_outcome(endpoint, req).await.1
    }

    /// `call`, and the outcome it counted (the status with the error code, or the transport error).
    pub(crate) async fn call_outcome(&self, endpoint: &'static str, req: reqwest::RequestBuilder) -> (String, Option<(StatusCode, Value)>) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.progress.inc(1);
        let started = Instant::now();
        let res = req.send().await;
        let (outcome, out) = match res {
            Ok(r) => {
                let s = r.status();
                let b: Value = r.json().await.unwrap_or(Value::Null);
                let outcome = match b.get("error").and_then(Value::as_str) {
                    Some(code) => format!("{} {code}", s.as_u16()),
                    None => s.as_u16().to_string(),
                };
                (outcome, Some((s, b)))
            }
            Err(e) => (transport_error(&e), None),
        };
        self.stats.lock().expect("stats").record(endpoint, started.elapsed(), outcome.clone());
        (outcome, out)
    }
}
