//! `ticketing loadgen`: load against a running platform (`--url`, this machine only), with a report
//! per endpoint and an audit at the end. Four scenarios (`--scenario`):
//!
//! - `sale` (the default), a flash sale: it creates an event of `--seats` seats (or uses `--event`),
//!   registers `--buyers` accounts, then lets them loose: each journey reads the availability,
//!   reserves (specific seats with a hot spot, or best available), and confirms with a good or a
//!   declined card, or abandons the hold. Closed model (`--buyers` concurrent journeys, each
//!   starting when the last ended) by default; open model with `--rate` journeys per second,
//!   however slowly the platform answers. Its audit fails the run (exit code 1) when a seat is sold
//!   twice, when the seat map disagrees with the confirmed bookings, when sold + held exceeds
//!   capacity, or when a successful charge has neither a confirmed booking nor a refund.
//! - `queue`, the waiting room: `--users` fans join before the sale opens, then poll their place,
//!   `--concurrency` requests in flight; with `--poll-rate`, polls go out at that rate instead
//!   (open model) for about `--duration` seconds (or the usual count, if fewer), so poll latency is
//!   measured at a set load rather than at saturation.
//! - `hotspot`, how fast contested reservations are *decided*: every reservation asks for 1-2
//!   seats drawn from the first `--hot-seats` seats of the map, and is never confirmed. Once the
//!   hot set is held, nearly every answer is `409 SEAT_UNAVAILABLE`, which is a decision as good as
//!   a hold: the figure of merit is decisions (201 or that 409) per second.
//! - `field`, how fast holds are *granted*: every reservation asks for one seat that no other
//!   request asks for (the free seats shuffled, handed out once each), so nearly every answer is a
//!   201; the figure of merit is successful holds per second. The run also stops when the seats run
//!   out, so `--seats` must be at least the rate (`--rate`, or the holds/s expected in the closed
//!   model) times `--duration`; an event has at most 100,000 seats.
//!
//! `hotspot` and `field` share everything else. A share `--availability-share` of the requests
//! read the availability instead, so its latency is measured under the same load. Buyers are
//! `--buyers` identities: tokens minted with `--jwt-secret` (no registration; the gateway still
//! checks every token), or registered accounts without it. `--concurrency` requests in flight
//! (closed model), or `--rate` requests per second (open model), until `--duration` seconds or
//! `--requests` requests. Before the scenario, `GET /health` runs for `--health-secs` seconds at
//! `--concurrency` in flight (closed model either way): the bare HTTP round trip through the
//! gateway on this machine in this run, and every rate is also printed as a ratio to it, so figures
//! from different machines, builds or runs compare. The closed model measures capacity (the ratio
//! that matters); the open model measures latency at a set load, and its rates are the offered
//! ones while the platform keeps up (requests that fall due with 8,192 already in flight are not
//! sent, and counted). Each request's choices come from `--seed` and its index alone, so runs with
//! the same flags ask the same questions in the same order (quote the median of a few).
//!
//! Their audit reads the seat map at the end and fails the run (exit code 1) when a seat appears in
//! two 201 answers (held twice), when the map's held + booked seats (beyond those held before the
//! run) differ in number from the seats of the 201 answers, when a seat of a 201 answer is not held
//! on the map, or when held + booked exceeds the capacity. Holds last 10 minutes by default
//! (`TICKETING_RESERVATION_TTL_SECS`), so none should expire during a run.
//!
//! `--json FILE` writes the report; `--plot FILE.png` draws each endpoint's latency by percentile.

use futures::stream::{FuturesUnordered, StreamExt};
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scenario {
    /// Buyers browse, reserve, pay or abandon (the default).
    Sale,
    /// `--users` fans join a waiting room before the sale opens, then poll their place.
    Queue,
    /// Reservations of 1-2 seats out of the first `--hot-seats`: contested holds decided per second.
    Hotspot,
    /// Reservations of one seat each, no seat asked for twice: holds granted per second.
    Field,
}

#[derive(clap::Args, Clone)]
pub struct LoadgenArgs {
    #[arg(long, value_enum, default_value = "sale")]
    pub scenario: Scenario,
    /// Queue scenario: fans that join the waiting room.
    #[arg(long, default_value = "100000")]
    pub users: usize,
    /// Queue, hotspot, field: requests in flight at once (closed model; also for `/health`).
    #[arg(long, default_value = "256")]
    pub concurrency: usize,
    /// Queue, hotspot, field: the platform's JWT secret, to act as many distinct accounts without
    /// registering each (read from `<data dir>/jwt_secret` in embedded mode). Required by queue.
    #[arg(long, env = "TICKETING_JWT_SECRET")]
    pub jwt_secret: Option<String>,
    /// Queue scenario: the server's process id, to report its memory per waiting fan.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// The platform's base URL (this machine only).
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    pub url: String,
    /// Stop after this many seconds (queue: with `--poll-rate`, the length of the poll phase).
    #[arg(long, default_value = "30")]
    pub duration: u64,
    /// Stop after this many requests (all endpoints).
    #[arg(long, default_value = "1000000")]
    pub requests: u64,
    /// Buyers (accounts, or minted identities with `--jwt-secret` in hotspot and field); in the
    /// sale's closed model, also the journeys in flight.
    #[arg(long, default_value = "200")]
    pub buyers: usize,
    /// Open model: start this many journeys (sale) or requests (hotspot, field) per second,
    /// whatever the answers.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Seats of the event to create (ignored with --event). Field: at least rate x duration.
    #[arg(long, default_value = "2000")]
    pub seats: i64,
    /// Use this event (on sale) instead of creating one.
    #[arg(long)]
    pub event: Option<String>,
    /// Share of specific-seat picks that go to the hot spot (the first 5% of seats).
    #[arg(long, default_value = "0.5")]
    pub hot: f64,
    /// Share of journeys that ask for best available instead of specific seats.
    #[arg(long, default_value = "0.3")]
    pub best: f64,
    /// Share of confirmations paid with a card that is declined.
    #[arg(long, default_value = "0.2")]
    pub declined: f64,
    /// Share of holds abandoned (left to expire).
    #[arg(long, default_value = "0.1")]
    pub abandon: f64,
    /// Hotspot: the hot set, the first this many seats of the map.
    #[arg(long, default_value = "100")]
    pub hot_seats: usize,
    /// Hotspot, field: share of requests that read the availability instead of reserving.
    #[arg(long, default_value = "0.1")]
    pub availability_share: f64,
    /// Hotspot, field: seconds of `GET /health` at `--concurrency` before the scenario, the
    /// yardstick every rate is compared with.
    #[arg(long, default_value = "5")]
    pub health_secs: u64,
    /// Hotspot, field: seed of every request's choices (request i draws from seed and i alone).
    #[arg(long, default_value = "1")]
    pub seed: u64,
    /// Queue scenario: poll at this many polls/s (open model) for about `--duration` seconds,
    /// instead of as fast as `--concurrency` allows.
    #[arg(long)]
    pub poll_rate: Option<f64>,
    /// Queue scenario: seconds to wait after the opening before polling, to measure the steady
    /// state rather than the opening itself (the shuffle and the write of every new position).
    #[arg(long, default_value = "0")]
    pub settle_secs: u64,
    #[arg(long, env = "TICKETING_ADMIN_EMAIL", default_value = "admin@example.com")]
    pub admin_email: String,
    #[arg(long, env = "TICKETING_ADMIN_PASSWORD", default_value = "admin-password")]
    pub admin_password: String,
    /// Draw each endpoint's latency by percentile into this PNG file.
    #[arg(long)]
    pub plot: Option<std::path::PathBuf>,
    /// Write the report as JSON here.
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
    /// Also measure the backend's raw reservation ceiling at the same concurrency: `sqlite` or a
    /// MySQL URL (a scratch database is made there, not the platform's).
    #[arg(long)]
    pub baseline: Option<String>,
}

/// Latencies and outcomes per endpoint.
#[derive(Default)]
struct Stats {
    hist: HashMap<&'static str, Histogram<u64>>,
    codes: HashMap<&'static str, BTreeMap<String, u64>>,
}

impl Stats {
    fn record(&mut self, endpoint: &'static str, elapsed: Duration, outcome: String) {
        let h = self.hist.entry(endpoint).or_insert_with(|| Histogram::new(3).expect("histogram"));
        let _ = h.record(elapsed.as_micros() as u64);
        *self.codes.entry(endpoint).or_default().entry(outcome).or_default() += 1;
    }

    /// The table rows of these endpoints, in this order, over `secs` seconds.
    fn rows(&self, endpoints: &[&str], secs: f64) -> Vec<Row> {
        endpoints
            .iter()
            .filter_map(|ep| Some(Row::new(ep, self.hist.get(ep)?, self.codes.get(ep).cloned().unwrap_or_default(), secs)))
            .collect()
    }
}

/// The outcome of a request that got no answer.
fn transport_error(e: &reqwest::Error) -> String {
    if e.is_timeout() { "timeout".into() } else { "connect".into() }
}

struct Ctx {
    args: LoadgenArgs,
    http: reqwest::Client,
    event: String,
    /// The seat numbers requests choose from: every seat (sale), the hot set (hotspot), or the
    /// free seats shuffled (field).
    seats: Vec<String>,
    stats: Mutex<Stats>,
    sent: AtomicU64,
    deadline: Instant,
    progress: indicatif::ProgressBar,
}

impl Ctx {
    fn new(args: &LoadgenArgs, http: &reqwest::Client, event: &str, seats: Vec<String>) -> Ctx {
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

    fn done(&self) -> bool {
        Instant::now() >= self.deadline || self.sent.load(Ordering::Relaxed) >= self.args.requests
    }

    /// One request, timed and counted. The outcome is the status, or the error code when there is one.
    async fn call(&self, endpoint: &'static str, req: reqwest::RequestBuilder) -> Option<(StatusCode, Value)> {
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
        self.stats.lock().expect("stats").record(endpoint, started.elapsed(), outcome);
        out
    }
}

async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> anyhow::Result<(StatusCode, Value)> {
    let mut r = http.post(url).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await?;
    Ok((resp.status(), resp.json().await.unwrap_or(Value::Null)))
}

/// A request that counts only by its status (the body is read, so the connection is reused).
async fn status_of(req: reqwest::RequestBuilder) -> Result<StatusCode, String> {
    match req.send().await {
        Ok(r) => {
            let s = r.status();
            let _ = r.bytes().await;
            Ok(s)
        }
        Err(e) => Err(transport_error(&e)),
    }
}

/// An event on sale with `--seats` seats in section A, rows of 50 (the last one shorter).
async fn setup_event(args: &LoadgenArgs, http: &reqwest::Client, admin: &str) -> anyhow::Result<String> {
    anyhow::ensure!(args.seats >= 1, "--seats must be at least 1");
    let base = &args.url;
    let (s, ev) = post(http, format!("{base}/api/events"), Some(admin), json!({
        "eventName": format!("Flash sale {}", chrono::Utc::now().format("%H:%M:%S")), "category": "CONCERT",
        "venueName": "Loadgen Arena", "city": "Loadtown", "eventDate": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339(),
        "saleStartTime": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(), "tags": ["loadgen"]})).await?;
    anyhow::ensure!(s == StatusCode::CREATED, "creating the event: {s} {ev}");
    let id = ev["eventId"].as_str().unwrap_or_default().to_string();
    const PER_ROW: i64 = 50;
    let rows: Vec<Value> = (0..(args.seats + PER_ROW - 1) / PER_ROW)
        .map(|r| json!({"rowNumber": r + 1, "seats": PER_ROW.min(args.seats - r * PER_ROW)}))
        .collect();
    let layout = json!({"sections": [{"section": "A", "seatType": "REGULAR", "price": 49.99, "rows": rows}]});
    let resp = http.put(format!("{base}/api/inventory/events/{id}/seats")).bearer_auth(admin).json(&layout).send().await?;
    anyhow::ensure!(resp.status().is_success(), "seat layout: {}", resp.text().await.unwrap_or_default());
    let resp = http.put(format!("{base}/api/events/{id}/status")).bearer_auth(admin).json(&json!({"status": "ON_SALE"})).send().await?;
    anyhow::ensure!(resp.status().is_success(), "opening the sale: {}", resp.text().await.unwrap_or_default());
    Ok(id)
}

/// One seat of the map (`GET /api/inventory/events/{id}/seats`).
#[derive(serde::Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct MapSeat {
    seat_id: String,
    seat_number: String,
    status: String,
}

impl MapSeat {
    /// Held or sold: not free for anyone else.
    fn taken(&self) -> bool {
        self.status == "RESERVED" || self.status == "BOOKED"
    }
}

/// The event's seat map, in the map's order.
async fn seat_map(http: &reqwest::Client, base: &str, event: &str) -> anyhow::Result<Vec<MapSeat>> {
    #[derive(serde::Deserialize)]
    struct Map {
        seats: Vec<MapSeat>,
    }
    let resp = http.get(format!("{base}/api/inventory/events/{event}/seats")).send().await?;
    anyhow::ensure!(resp.status() == StatusCode::OK, "seat map of {event}: {}", resp.status());
    Ok(resp.json::<Map>().await?.seats)
}

/// Register and log in `n` buyers, 16 at a time (password hashing is deliberately slow).
async fn buyers(args: &LoadgenArgs, http: &reqwest::Client, n: usize) -> anyhow::Result<Vec<String>> {
    use futures::stream;
    let run = common::ids::random_token(4);
    let tokens: Vec<anyhow::Result<String>> = stream::iter(0..n)
        .map(|i| {
            let (http, base, email) = (http.clone(), args.url.clone(), format!("buyer{i}-{run}@loadgen.example"));
            async move {
                let (s, b) = post(&http, format!("{base}/api/auth/register"), None, json!({"email": email, "password": "loadgen-pass", "name": format!("Buyer {i}")})).await?;
                anyhow::ensure!(s == StatusCode::CREATED, "register: {s} {b}");
                let (s, b) = post(&http, format!("{base}/api/auth/login"), None, json!({"email": email, "password": "loadgen-pass"})).await?;
                anyhow::ensure!(s == StatusCode::OK, "login: {s} {b}");
                Ok(b["accessToken"].as_str().unwrap_or_default().to_string())
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    tokens.into_iter().collect()
}

/// Access tokens of `n` user identities minted with the platform's secret, valid for a day.
fn minted_tokens(secret: &str, prefix: &str, n: usize) -> Vec<String> {
    let keys = common::auth::JwtKeys::new(secret.as_bytes(), 86_400);
    (0..n).map(|i| keys.issue(&format!("{prefix}-{i}"), common::auth::Role::User)).collect()
}

/// One buyer's journey: look, reserve, pay (or walk away).
async fn journey(ctx: Arc<Ctx>, token: String) {
    let base = &ctx.args.url;
    let (body, declined, abandon) = {
        let mut rng = rand::thread_rng();
        let body = if rng.gen_bool(ctx.args.best) {
            json!({"eventId": ctx.event, "quantity": rng.gen_range(1..=4)})
        } else {
            let n = rng.gen_range(1..=4usize);
            let hot_len = (ctx.seats.len() / 20).max(n);
            let pool: &[String] = if rng.gen_bool(ctx.args.hot) { &ctx.seats[..hot_len.min(ctx.seats.len())] } else { &ctx.seats };
            let pick: Vec<&String> = pool.choose_multiple(&mut rng, n).collect();
            json!({"eventId": ctx.event, "seatNumbers": pick})
        };
        (body, rng.gen_bool(ctx.args.declined), rng.gen_bool(ctx.args.abandon))
    };
    ctx.call("availability", ctx.http.get(format!("{base}/api/inventory/events/{}/availability", ctx.event))).await;
    if ctx.done() {
        return;
    }
    let Some((s, r)) = ctx.call("reserve", ctx.http.post(format!("{base}/api/inventory/reservations")).bearer_auth(&token).json(&body)).await else { return };
    if s != StatusCode::CREATED || abandon || ctx.done() {
        return;
    }
    let ids: Vec<Value> = r["reservations"].as_array().map(|a| a.iter().map(|x| x["reservationId"].clone()).collect()).unwrap_or_default();
    let card = if declined { "4000000000000002" } else { "4242424242424242" };
    let key = common::ids::new_id();
    let pay = json!({"reservationIds": ids, "paymentMethod": {"type": "CREDIT_CARD", "cardNumber": card, "expiryMonth": 12, "expiryYear": 2035, "cvv": "123"}});
    ctx.call("confirm", ctx.http.post(format!("{base}/api/bookings/confirm")).bearer_auth(&token).header("Idempotency-Key", key).json(&pay)).await;
}

/// How requests are started.
#[derive(Clone, Copy)]
enum Model {
    /// This many in flight: each answer starts the next request.
    Closed(usize),
    /// This many started per second, whatever the answers.
    Open(f64),
}

impl Model {
    fn new(rate: Option<f64>, concurrency: usize) -> Model {
        match rate {
            Some(r) => Model::Open(r),
            None => Model::Closed(concurrency.max(1)),
        }
    }

    fn describe(&self) -> String {
        match self {
            Model::Closed(n) => format!("closed model, {n} in flight"),
            Model::Open(r) => format!("open model, {r} requests/s"),
        }
    }
}

/// In the open model, at most this many requests in flight (each holds a connection, so a file
/// descriptor); a request that falls due beyond it is not sent, and counted.
const OPEN_MAX_IN_FLIGHT: usize = 8192;

/// What `drive` did.
struct Driven {
    secs: f64,
    /// Open model: requests that fell due while `OPEN_MAX_IN_FLIGHT` were in flight.
    not_sent: u64,
}

/// Starts the requests `next(i)` makes, for i = 0, 1, 2... until it returns None, hands each
/// answer to `done`, and waits for the last one. Closed model: `n` in flight, the next one started
/// as soon as one is answered. Open model: a 1 ms ticker starts every request that has fallen due
/// at the rate since the start, answered or not. One task polls every request in flight (the
/// connections' I/O runs in the HTTP client's own tasks).
async fn drive<Fut: Future>(model: Model, mut next: impl FnMut(u64) -> Option<Fut>, mut done: impl FnMut(Fut::Output)) -> Driven {
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
struct Blast {
    hist: Histogram<u64>,
    outcomes: BTreeMap<String, u64>,
    driven: Driven,
}

impl Blast {
    fn row(&self, endpoint: &str) -> Row {
        Row::new(endpoint, &self.hist, self.outcomes.clone(), self.driven.secs)
    }
}

/// Requests made by `make(i)` under `model`: `n` of them, or as many as start before `until`.
async fn blast<F, Fut>(model: Model, n: usize, until: Option<Instant>, make: F) -> Blast
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

/// One line of the report: an endpoint's rate, latencies and outcomes.
#[derive(serde::Serialize)]
struct Row {
    endpoint: String,
    count: u64,
    per_sec: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// `per_sec` over the `/health` rate of the same run (hotspot, field).
    #[serde(skip_serializing_if = "Option::is_none")]
    ratio_to_health: Option<f64>,
    outcomes: BTreeMap<String, u64>,
    /// For `--plot`: (nines, ms) where nines = -log10(1 - quantile), so 1 is the 90th percentile,
    /// 2 the 99th, up to the resolution of the sample (or 5 nines).
    #[serde(skip)]
    curve: Vec<(f64, f64)>,
}

impl Row {
    fn new(endpoint: &str, h: &Histogram<u64>, outcomes: BTreeMap<String, u64>, secs: f64) -> Row {
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        Row {
            endpoint: endpoint.into(),
            count: h.len(),
            per_sec: h.len() as f64 / secs.max(1e-9),
            p50_ms: ms(0.5),
            p95_ms: ms(0.95),
            p99_ms: ms(0.99),
            max_ms: h.max() as f64 / 1000.0,
            ratio_to_health: None,
            outcomes,
            curve: {
                let top = (h.len().max(1) as f64).log10().min(5.0);
                (0..=(top * 20.0) as usize).map(|k| k as f64 / 20.0).map(|x| (x, ms(1.0 - 10f64.powf(-x)))).collect()
            },
        }
    }
}

/// The per-endpoint table; a `/health` column when the rows have ratios.
fn print_table(rows: &[Row]) {
    let ratios = rows.iter().any(|r| r.ratio_to_health.is_some());
    let ratio_head = if ratios { format!(" {:>8}", "x health") } else { String::new() };
    println!("\n{:<13} {:>9} {:>10}{ratio_head} {:>8} {:>8} {:>8} {:>8}  outcomes", "endpoint", "count", "per sec", "p50 ms", "p95 ms", "p99 ms", "max ms");
    for r in rows {
        let ratio_col = match r.ratio_to_health {
            Some(x) => format!(" {x:>8.3}"),
            None if ratios => format!(" {:>8}", "-"),
            None => String::new(),
        };
        let outcomes: Vec<String> = r.outcomes.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        println!("{:<13} {:>9} {:>10.1}{ratio_col} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  {}",
            r.endpoint, r.count, r.per_sec, r.p50_ms, r.p95_ms, r.p99_ms, r.max_ms, outcomes.join(", "));
    }
}

/// Prints the problems of an audit, or that it passed; true when it passed.
fn report_problems(problems: &[String]) -> bool {
    for p in problems {
        println!("AUDIT FAILED: {p}");
    }
    if problems.is_empty() {
        println!("audit passed");
    }
    problems.is_empty()
}

fn write_json(path: Option<&std::path::Path>, report: Value) -> anyhow::Result<()> {
    if let Some(p) = path {
        std::fs::write(p, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(())
}

#[derive(serde::Serialize, Default)]
struct Audit {
    seats: i64,
    booked_on_map: i64,
    held_on_map: i64,
    seats_in_confirmed_bookings: i64,
    confirmed_bookings: i64,
    failed_bookings: i64,
    charges_without_seats: i64,
    seats_sold_twice: i64,
    problems: Vec<String>,
}

/// The sale's audit: the seat map against every buyer's bookings.
async fn audit(ctx: &Ctx, tokens: &[String]) -> anyhow::Result<Audit> {
    let base = &ctx.args.url;
    let mut a = Audit::default();
    let map = seat_map(&ctx.http, base, &ctx.event).await?;
    let status_of: HashMap<&str, &str> = map.iter().map(|s| (s.seat_id.as_str(), s.status.as_str())).collect();
    a.seats = status_of.len() as i64;
    a.booked_on_map = status_of.values().filter(|s| **s == "BOOKED").count() as i64;
    a.held_on_map = status_of.values().filter(|s| **s == "RESERVED").count() as i64;
    let mut sold: HashMap<String, u32> = HashMap::new();
    for t in tokens {
        let b: Value = ctx.http.get(format!("{base}/api/bookings/me")).bearer_auth(t).send().await?.json().await?;
        for bk in b["bookings"].as_array().cloned().unwrap_or_default() {
            if bk["eventId"] != Value::String(ctx.event.clone()) {
                continue;
            }
            match (bk["status"].as_str().unwrap_or_default(), bk["paymentStatus"].as_str().unwrap_or_default()) {
                ("CONFIRMED", _) => {
                    a.confirmed_bookings += 1;
                    for s in bk["seats"].as_array().cloned().unwrap_or_default() {
                        *sold.entry(s["seatId"].as_str().unwrap_or_default().into()).or_default() += 1;
                        a.seats_in_confirmed_bookings += 1;
                    }
                }
                (_, "SUCCESS") => {
                    a.charges_without_seats += 1;
                    a.problems.push(format!("booking {} was charged but is {}", bk["bookingId"], bk["status"]));
                }
                ("FAILED", _) => a.failed_bookings += 1,
                _ => {}
            }
        }
    }
    a.seats_sold_twice = sold.values().filter(|n| **n > 1).count() as i64;
    if a.seats_sold_twice > 0 {
        a.problems.push(format!("{} seats sold twice", a.seats_sold_twice));
    }
    if a.seats_in_confirmed_bookings != a.booked_on_map {
        a.problems.push(format!("the map shows {} booked seats but confirmed bookings hold {}", a.booked_on_map, a.seats_in_confirmed_bookings));
    }
    for seat in sold.keys() {
        if status_of.get(seat.as_str()).copied() != Some("BOOKED") {
            a.problems.push(format!("seat {seat} is in a confirmed booking but not BOOKED on the map"));
        }
    }
    if a.booked_on_map + a.held_on_map > a.seats {
        a.problems.push("sold + held exceeds capacity".into());
    }
    Ok(a)
}

/// Resident memory of a process, in bytes (Linux).
fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The waiting-room scenario: many fans join before the opening, then poll their place.
async fn run_queue(args: LoadgenArgs, http: reqwest::Client, admin: String) -> anyhow::Result<bool> {
    let base = args.url.clone();
    let secret = args.jwt_secret.clone().ok_or_else(|| anyhow::anyhow!("the queue scenario needs --jwt-secret (or TICKETING_JWT_SECRET)"))?;
    let keys = Arc::new(common::auth::JwtKeys::new(secret.as_bytes(), 86_400));
    let (s, ev) = post(&http, format!("{base}/api/events"), Some(&admin), json!({
        "eventName": format!("Queue test {}", chrono::Utc::now().format("%H:%M:%S")), "category": "CONCERT",
        "venueName": "Loadgen Arena", "city": "Loadtown", "eventDate": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339(),
        "saleStartTime": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
        "waitingRoom": {"enabled": true, "admitPerMinute": 60000}})).await?;
    anyhow::ensure!(s == StatusCode::CREATED, "creating the event: {s} {ev}");
    let event = ev["eventId"].as_str().unwrap_or_default().to_string();
    let token = |i: usize| keys.issue(&format!("loadgen-fan-{i}"), common::auth::Role::User);
    let rss_before = args.server_pid.and_then(rss_bytes);
    eprintln!("event {event}: {} fans join the waiting room, {} in flight...", args.users, args.concurrency);
    let join_url = format!("{base}/api/queue/events/{event}/join");
    let joins = blast(Model::Closed(args.concurrency.max(1)), args.users, None, |i| status_of(http.post(&join_url).bearer_auth(token(i)))).await;
    let rss_after = args.server_pid.and_then(rss_bytes);
    let resp = http.put(format!("{base}/api/events/{event}/status")).bearer_auth(&admin).json(&json!({"status": "ON_SALE"})).send().await?;
    anyhow::ensure!(resp.status().is_success(), "opening the sale: {}", resp.text().await.unwrap_or_default());
    tokio::time::sleep(Duration::from_secs(args.settle_secs)).await;
    // Polls spread over the fans; with --poll-rate, at that rate for about --duration seconds.
    let polls_n = args.users.min(200_000);
    let (poll_model, polls_n) = match args.poll_rate {
        Some(r) => (Model::Open(r), polls_n.min((r * args.duration as f64).ceil() as usize)),
        None => (Model::Closed(args.concurrency.max(1)), polls_n),
    };
    let stride = (args.users / polls_n.max(1)).max(1);
    eprintln!("sale open: {polls_n} polls, {}...", poll_model.describe());
    let me_url = format!("{base}/api/queue/events/{event}/me");
    let polls = blast(poll_model, polls_n, None, |i| status_of(http.get(&me_url).bearer_auth(token((i * stride) % args.users)))).await;
    let view: Value = http.get(format!("{base}/api/queue/events/{event}")).bearer_auth(&admin).send().await?.json().await.unwrap_or(Value::Null);
    let rows = [joins.row("join"), polls.row("poll")];
    print_table(&rows);
    println!("joins: {}; polls: {}", Model::Closed(args.concurrency.max(1)).describe(), poll_model.describe());
    if polls.driven.not_sent > 0 {
        println!("{} polls fell due while {OPEN_MAX_IN_FLIGHT} were in flight and were not sent: the platform answers slower than --poll-rate", polls.driven.not_sent);
    }
    println!("queue after opening: {view}");
    plot(args.plot.as_deref(), &rows)?;
    let per_fan = match (rss_before, rss_after) {
        (Some(a), Some(b)) if args.users > 0 => Some(b.saturating_sub(a) as f64 / args.users as f64),
        _ => None,
    };
    if let Some(p) = per_fan {
        println!("server memory: {:.0} bytes per waiting fan (resident set growth over the joins)", p);
    }
    let ok = joins.outcomes.keys().all(|k| k == "200") && polls.outcomes.keys().all(|k| k == "200");
    let (join_row, poll_row) = (&rows[0], &rows[1]);
    write_json(args.json.as_deref(), json!({
        "scenario": "queue", "users": args.users, "concurrency": args.concurrency,
        "joins_per_sec": join_row.per_sec, "join_p50_ms": join_row.p50_ms, "join_p99_ms": join_row.p99_ms,
        "polls_per_sec": poll_row.per_sec, "poll_p50_ms": poll_row.p50_ms, "poll_p99_ms": poll_row.p99_ms,
        "poll_model": poll_model.describe(), "poll_rate": args.poll_rate, "polls_not_sent": polls.driven.not_sent,
        "bytes_per_fan": per_fan, "join_outcomes": joins.outcomes, "poll_outcomes": polls.outcomes,
    }))?;
    Ok(ok)
}

/// One request of a `hotspot` or `field` run, chosen before it is sent.
enum Pick {
    Availability,
    /// Seats by their index in `Ctx::seats`, for the buyer of this index.
    Reserve { buyer: usize, seats: Vec<usize> },
}

/// A `hotspot` or `field` run in progress.
struct Spot {
    ctx: Ctx,
    field: bool,
    tokens: Vec<String>,
    reserve_url: String,
    availability_url: String,
    /// Field: the next seat of `ctx.seats` to hand out.
    next_seat: AtomicUsize,
    /// The seatIds of every 201 answer.
    held: Mutex<Vec<String>>,
}

impl Spot {
    /// Request `i`, drawn from `--seed` and `i` alone; None once the run is over: past the
    /// deadline, past `--requests`, or (field) out of seats.
    fn pick(&self, i: u64) -> Option<Pick> {
        let (args, seats) = (&self.ctx.args, &self.ctx.seats);
        if i >= args.requests || Instant::now() >= self.ctx.deadline {
            return None;
        }
        let mut rng = StdRng::seed_from_u64(args.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i);
        if rng.gen_bool(args.availability_share) {
            return Some(Pick::Availability);
        }
        let buyer = rng.gen_range(0..self.tokens.len());
        let seats = if self.field {
            let k = self.next_seat.fetch_add(1, Ordering::Relaxed);
            if k >= seats.len() {
                return None;
            }
            vec![k]
        } else {
            let n = rng.gen_range(1..=2usize).min(seats.len());
            rand::seq::index::sample(&mut rng, seats.len(), n).into_vec()
        };
        Some(Pick::Reserve { buyer, seats })
    }

    async fn send(&self, pick: Pick) {
        let c = &self.ctx;
        match pick {
            Pick::Availability => {
                c.call("availability", c.http.get(&self.availability_url)).await;
            }
            Pick::Reserve { buyer, seats } => {
                let numbers: Vec<&str> = seats.iter().map(|&k| c.seats[k].as_str()).collect();
                let req = c.http.post(&self.reserve_url).bearer_auth(&self.tokens[buyer]).json(&json!({"eventId": c.event, "seatNumbers": numbers}));
                if let Some((s, body)) = c.call("reserve", req).await {
                    if s == StatusCode::CREATED {
                        let ids = body["reservations"].as_array().into_iter().flatten().filter_map(|r| r["seatId"].as_str().map(String::from));
                        self.held.lock().expect("held").extend(ids);
                    }
                }
            }
        }
    }
}

/// `GET /health` for `--health-secs` at `--concurrency` in flight (closed model, whatever the
/// scenario's): the bare round trip through the gateway, the yardstick of the run's rates.
async fn measure_health(args: &LoadgenArgs, http: &reqwest::Client) -> Row {
    let url = format!("{}/health", args.url);
    let until = Instant::now() + Duration::from_secs(args.health_secs);
    let mut row = blast(Model::Closed(args.concurrency.max(1)), usize::MAX, Some(until), |_| status_of(http.get(&url))).await.row("/health");
    row.ratio_to_health = ratio(row.per_sec, row.per_sec);
    row
}

/// `rate` over the `/health` rate, when there is one.
fn ratio(rate: f64, health_rate: f64) -> Option<f64> {
    (health_rate > 0.0).then(|| rate / health_rate)
}

fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or("n/a".into(), |x| format!("{x:.3}"))
}

/// The audit of `hotspot` and `field` (see the module doc).
#[derive(serde::Serialize, Default, Debug)]
struct HoldAudit {
    capacity: usize,
    taken_before_run: usize,
    reserved_on_map: usize,
    booked_on_map: usize,
    seats_in_201_answers: usize,
    seats_held_twice: usize,
    answered_but_not_held_on_map: usize,
    problems: Vec<String>,
}

/// `before` and `after`: the seat map at the start and at the end of the run; `held`: the seatIds
/// of every 201 answer, one entry per seat per answer.
fn audit_holds(before: &[MapSeat], after: &[MapSeat], held: &[String]) -> HoldAudit {
    let count = |map: &[MapSeat], status: &str| map.iter().filter(|s| s.status == status).count();
    let mut a = HoldAudit {
        capacity: before.len(),
        taken_before_run: before.iter().filter(|s| s.taken()).count(),
        reserved_on_map: count(after, "RESERVED"),
        booked_on_map: count(after, "BOOKED"),
        seats_in_201_answers: held.len(),
        ..HoldAudit::default()
    };
    let examples = |mut ids: Vec<&str>| {
        ids.sort_unstable();
        ids.truncate(5);
        ids.join(", ")
    };
    let mut answers_per_seat: HashMap<&str, u32> = HashMap::new();
    for id in held {
        *answers_per_seat.entry(id.as_str()).or_default() += 1;
    }
    let twice: Vec<&str> = answers_per_seat.iter().filter(|(_, n)| **n > 1).map(|(id, _)| *id).collect();
    a.seats_held_twice = twice.len();
    if !twice.is_empty() {
        a.problems.push(format!("{} seats were held twice (each in two or more 201 answers), e.g. {}", twice.len(), examples(twice)));
    }
    let taken_after: HashSet<&str> = after.iter().filter(|s| s.taken()).map(|s| s.seat_id.as_str()).collect();
    let not_held: Vec<&str> = answers_per_seat.keys().filter(|id| !taken_after.contains(*id)).copied().collect();
    a.answered_but_not_held_on_map = not_held.len();
    if !not_held.is_empty() {
        a.problems.push(format!("{} seats of 201 answers are not held on the map, e.g. {}", not_held.len(), examples(not_held)));
    }
    let taken_now = a.reserved_on_map + a.booked_on_map;
    let new_on_map = taken_now as i64 - a.taken_before_run as i64;
    let answered = held.len() as i64;
    if new_on_map < answered {
        a.problems.push(format!("the map holds {new_on_map} more seats than before the run, the 201 answers {answered}: \
            {} holds are missing (lost, or expired during the run)", answered - new_on_map));
    } else if new_on_map > answered {
        a.problems.push(format!("the map holds {new_on_map} more seats than before the run, the 201 answers only {answered}: \
            {} holds nobody was told about (a request that failed on this side may have succeeded)", new_on_map - answered));
    }
    if taken_now > a.capacity {
        a.problems.push(format!("held + booked ({taken_now}) exceeds the capacity ({})", a.capacity));
    }
    a
}

/// `hotspot` and `field` (see the module doc): /health, the scenario, the table, the audit.
async fn run_spot(args: LoadgenArgs, http: reqwest::Client, admin: String) -> anyhow::Result<bool> {
    let field = args.scenario == Scenario::Field;
    let name = if field { "field" } else { "hotspot" };
    anyhow::ensure!((0.0..=1.0).contains(&args.availability_share), "--availability-share must be between 0 and 1");
    anyhow::ensure!(args.buyers >= 1, "--buyers must be at least 1");
    let base = args.url.clone();
    let event = match &args.event {
        Some(e) => e.clone(),
        None => setup_event(&args, &http, &admin).await?,
    };
    let before = seat_map(&http, &base, &event).await?;
    anyhow::ensure!(!before.is_empty(), "event {event} has no seats");
    let seats: Vec<String> = if field {
        let mut free: Vec<String> = before.iter().filter(|s| s.status == "AVAILABLE").map(|s| s.seat_number.clone()).collect();
        free.shuffle(&mut StdRng::seed_from_u64(args.seed));
        free
    } else {
        before.iter().take(args.hot_seats.max(1)).map(|s| s.seat_number.clone()).collect()
    };
    anyhow::ensure!(!seats.is_empty(), "event {event} has no free seat");
    let model = Model::new(args.rate, args.concurrency);
    if let (true, Some(rate)) = (field, args.rate) {
        if rate * args.duration as f64 > seats.len() as f64 {
            eprintln!("note: {} free seats, fewer than rate x duration ({:.0}): the run stops when they run out", seats.len(), rate * args.duration as f64);
        }
    }
    let tokens = match &args.jwt_secret {
        Some(secret) => minted_tokens(secret, "loadgen-buyer", args.buyers),
        None => {
            eprintln!("registering {} buyers (--jwt-secret mints tokens instead)...", args.buyers);
            buyers(&args, &http, args.buyers).await?
        }
    };
    let asks = if field { format!("one seat each out of {} free, each asked for once", seats.len()) } else { format!("1-2 seats out of the first {}", seats.len()) };
    println!("{name}: event {event}, {} seats; {asks}; {:.0}% availability reads; {} buyers ({}); {}; {} s or {} requests; seed {}",
        before.len(), args.availability_share * 100.0, args.buyers, if args.jwt_secret.is_some() { "minted tokens" } else { "registered" },
        model.describe(), args.duration, args.requests, args.seed);
    eprintln!("/health for {} s, {} in flight...", args.health_secs, args.concurrency.max(1));
    let health = measure_health(&args, &http).await;
    println!("/health: {:.1} requests/s (p50 {:.2} ms, p99 {:.2} ms)", health.per_sec, health.p50_ms, health.p99_ms);

    let spot = Spot {
        ctx: Ctx::new(&args, &http, &event, seats),
        field,
        tokens,
        reserve_url: format!("{base}/api/inventory/reservations"),
        availability_url: format!("{base}/api/inventory/events/{event}/availability"),
        next_seat: AtomicUsize::new(0),
        held: Mutex::new(Vec::new()),
    };
    let driven = drive(model, |i| spot.pick(i).map(|p| spot.send(p)), |()| {}).await;
    spot.ctx.progress.finish_and_clear();
    let secs = driven.secs;

    let stats = spot.ctx.stats.lock().expect("stats");
    let health_rate = health.per_sec;
    let mut rows = vec![health];
    rows.extend(stats.rows(&["reserve", "availability"], secs));
    for r in &mut rows {
        r.ratio_to_health = ratio(r.per_sec, health_rate);
    }
    print_table(&rows);
    let reserve = stats.codes.get("reserve").cloned().unwrap_or_default();
    let answered = |k: &str| reserve.get(k).copied().unwrap_or(0);
    let (holds, refused) = (answered("201"), answered("409 SEAT_UNAVAILABLE"));
    let (figure, what, n) = if field { ("successful holds", "201", holds) } else { ("decisions", "201 or 409 SEAT_UNAVAILABLE", holds + refused) };
    let per_sec = n as f64 / secs.max(1e-9);
    let headline_ratio = ratio(per_sec, health_rate);
    println!("\n{name}: {per_sec:.1} {figure}/s ({what}; {n} in {secs:.1} s) = {} x /health", fmt_ratio(headline_ratio));
    let mut errors = BTreeMap::new();
    for (ep, fine) in [("reserve", &["201", "409 SEAT_UNAVAILABLE"][..]), ("availability", &["200"][..])] {
        for (outcome, k) in stats.codes.get(ep).into_iter().flatten() {
            if !fine.contains(&outcome.as_str()) {
                errors.insert(format!("{ep} {outcome}"), *k);
            }
        }
    }
    drop(stats);
    let listed: Vec<String> = errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    println!("errors: {}", if listed.is_empty() { "none".to_string() } else { listed.join(", ") });
    if field && refused > 0 {
        println!("{refused} reservations refused (409 SEAT_UNAVAILABLE): no seat is asked for twice, so those were taken before this run asked");
    }
    if field && spot.next_seat.load(Ordering::Relaxed) > spot.ctx.seats.len() {
        println!("the free seats ran out: the run stopped after {secs:.1} s");
    }
    if driven.not_sent > 0 {
        println!("{} requests fell due while {OPEN_MAX_IN_FLIGHT} were in flight and were not sent: the platform answers slower than --rate", driven.not_sent);
    }

    let held = std::mem::take(&mut *spot.held.lock().expect("held"));
    let after = seat_map(&http, &base, &event).await?;
    let a = audit_holds(&before, &after, &held);
    println!("\naudit: {} seats, {} held or booked before the run; now {} held and {} booked on the map; the 201 answers hold {} seats; {} held twice; {} answered but not held",
        a.capacity, a.taken_before_run, a.reserved_on_map, a.booked_on_map, a.seats_in_201_answers, a.seats_held_twice, a.answered_but_not_held_on_map);
    let ok = report_problems(&a.problems);
    plot(args.plot.as_deref(), &rows)?;
    write_json(args.json.as_deref(), json!({
        "scenario": name, "url": base, "event": event, "model": model.describe(), "seconds": secs,
        "settings": {"concurrency": args.concurrency, "rate": args.rate, "seats": before.len(), "hot_seats": args.hot_seats,
            "availability_share": args.availability_share, "buyers": args.buyers, "minted_tokens": args.jwt_secret.is_some(),
            "duration": args.duration, "requests": args.requests, "health_secs": args.health_secs, "seed": args.seed},
        "health": rows[0], "endpoints": &rows[1..],
        "headline": {"figure": figure, "counts": what, "per_sec": per_sec, "ratio_to_health": headline_ratio},
        "errors": errors, "not_sent": driven.not_sent, "audit": a,
    }))?;
    Ok(ok)
}

/// The flash sale (see the module doc).
async fn run_sale(args: LoadgenArgs, http: reqwest::Client, admin: String) -> anyhow::Result<bool> {
    let base = args.url.clone();
    let event = match &args.event {
        Some(e) => e.clone(),
        None => setup_event(&args, &http, &admin).await?,
    };
    let seats: Vec<String> = seat_map(&http, &base, &event).await?.into_iter().map(|s| s.seat_number).collect();
    anyhow::ensure!(!seats.is_empty(), "event {event} has no seats");
    eprintln!("event {event}: {} seats; registering {} buyers...", seats.len(), args.buyers);
    let tokens = Arc::new(buyers(&args, &http, args.buyers).await?);

    let ctx = Arc::new(Ctx::new(&args, &http, &event, seats));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    match args.rate {
        None => {
            for i in 0..args.buyers {
                let (ctx, tokens) = (ctx.clone(), tokens.clone());
                tasks.spawn(async move {
                    while !ctx.done() {
                        journey(ctx.clone(), tokens[i].clone()).await;
                    }
                });
            }
        }
        Some(rate) => {
            let every = Duration::from_secs_f64(1.0 / rate.max(0.001));
            let mut tick = tokio::time::interval(every);
            let mut i = 0;
            while !ctx.done() {
                tick.tick().await;
                tasks.spawn(journey(ctx.clone(), tokens[i % tokens.len()].clone()));
                i += 1;
            }
        }
    }
    while tasks.join_next().await.is_some() {}
    let secs = started.elapsed().as_secs_f64();
    ctx.progress.finish_and_clear();

    let rows = ctx.stats.lock().expect("stats").rows(&["availability", "reserve", "confirm"], secs);
    print_table(&rows);
    let mut baseline = None;
    if let Some(b) = &args.baseline {
        let conc = args.buyers.min(256);
        let fig = crate::bench::raw_ceiling(b, conc, args.seats.max(1000)).await?;
        let reserve_rate = rows.iter().find(|r| r.endpoint == "reserve").map(|r| r.per_sec).unwrap_or(0.0);
        println!("\nbaseline: the reservation's SQL alone, {conc} in flight: {:.0}/s (p50 {:.2} ms); the platform reserved {:.0}/s over HTTP: {:.1}% of the ceiling",
            fig.per_sec, fig.p50_ms, reserve_rate, 100.0 * reserve_rate / fig.per_sec.max(1e-9));
        baseline = Some(fig);
    }
    let a = audit(&ctx, &tokens).await?;
    println!("\naudit: {} seats; {} booked on the map, {} held; {} confirmed bookings holding {} seats; {} failed; {} charged without seats; {} sold twice",
        a.seats, a.booked_on_map, a.held_on_map, a.confirmed_bookings, a.seats_in_confirmed_bookings, a.failed_bookings, a.charges_without_seats, a.seats_sold_twice);
    let ok = report_problems(&a.problems);
    plot(args.plot.as_deref(), &rows)?;
    write_json(args.json.as_deref(), json!({
        "url": base, "event": event, "seconds": secs, "endpoints": rows, "audit": a, "baseline": baseline,
    }))?;
    Ok(ok)
}

/// With `--plot FILE.png`: each endpoint's latency by percentile, the percentiles spaced by their
/// nines (50%, 90%, 99%, 99.9%...) and the latency on a log scale, so the tail is as visible as
/// the median. Text is drawn with a font embedded in the binary (Hack, from epaint_default_fonts).
fn plot(path: Option<&std::path::Path>, rows: &[Row]) -> anyhow::Result<()> {
    use plotters::prelude::*;
    let Some(path) = path else { return Ok(()) };
    static FONT: std::sync::Once = std::sync::Once::new();
    FONT.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, epaint_default_fonts::HACK_REGULAR);
    });
    let rows: Vec<&Row> = rows.iter().filter(|r| r.curve.len() > 1).collect();
    let points = || rows.iter().flat_map(|r| r.curve.iter());
    let x_max = points().map(|p| p.0).fold(1.0, f64::max);
    let y_min = points().map(|p| p.1).fold(f64::MAX, f64::min).max(0.01) / 1.5;
    let y_max = points().map(|p| p.1).fold(y_min * 10.0, f64::max) * 1.5;
    let root = BitMapBackend::new(path, (1000, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("latency by percentile", ("sans-serif", 22))
        .margin(15)
        .margin_right(45)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..x_max, (y_min..y_max).log_scale())?;
    let percentile = |nines: &f64| {
        let p = 100.0 * (1.0 - 10f64.powf(-nines));
        if nines.fract() == 0.0 { format!("{}%", (p * 1000.0).round() / 1000.0) } else { String::new() }
    };
    chart.configure_mesh().x_desc("percentile").y_desc("ms").x_labels(2 * x_max as usize + 1).x_label_formatter(&percentile).draw()?;
    for (i, r) in rows.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(r.curve.iter().map(|&(x, y)| (x, y.max(y_min))), color.stroke_width(2)))?
            .label(format!("{}  p50 {:.2} ms  p99 {:.2} ms", r.endpoint, r.p50_ms, r.p99_ms))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.85)).border_style(BLACK).position(SeriesLabelPosition::UpperLeft).draw()?;
    root.present()?;
    println!("latency plot: {}", path.display());
    Ok(())
}

pub async fn run(args: LoadgenArgs) -> anyhow::Result<bool> {
    anyhow::ensure!(args.rate.is_none_or(|r| r > 0.0) && args.poll_rate.is_none_or(|r| r > 0.0), "--rate and --poll-rate must be above 0");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .timeout(Duration::from_secs(60))
        .build()?;
    let base = args.url.trim_end_matches('/').to_string();
    let args = LoadgenArgs { url: base.clone(), ..args };
    let (s, login) = post(&http, format!("{base}/api/auth/login"), None, json!({"email": args.admin_email, "password": args.admin_password})).await?;
    anyhow::ensure!(s == StatusCode::OK, "admin login at {base} failed ({s}): set --admin-email/--admin-password");
    let admin = login["accessToken"].as_str().unwrap_or_default().to_string();
    match args.scenario {
        Scenario::Sale => run_sale(args, http, admin).await,
        Scenario::Queue => run_queue(args, http, admin).await,
        Scenario::Hotspot | Scenario::Field => run_spot(args, http, admin).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(id: &str, status: &str) -> MapSeat {
        MapSeat { seat_id: id.into(), seat_number: id.into(), status: status.into() }
    }

    #[test]
    fn the_hold_audit_passes_a_consistent_run_and_names_each_inconsistency() {
        let before = [seat("a", "AVAILABLE"), seat("b", "AVAILABLE"), seat("c", "RESERVED")];
        let after = [seat("a", "RESERVED"), seat("b", "AVAILABLE"), seat("c", "RESERVED")];
        let held = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(audit_holds(&before, &after, &held(&["a"])).problems.is_empty());
        let twice = audit_holds(&before, &after, &held(&["a", "a"]));
        assert_eq!((twice.seats_held_twice, twice.problems.len()), (1, 2), "{:?}", twice.problems);
        let lost = audit_holds(&before, &after, &held(&["a", "b"]));
        assert_eq!((lost.answered_but_not_held_on_map, lost.problems.len()), (1, 2), "{:?}", lost.problems);
        let untold = audit_holds(&before, &after, &[]);
        assert_eq!(untold.problems.len(), 1, "{:?}", untold.problems);
    }
}
