//! `ticketing loadgen`: load against a running platform (`--url`, this machine only), with a report
//! per endpoint and an audit at the end. Six scenarios (`--scenario`):
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
//! - `contended`, between the two: every reservation asks for 1-4 seats drawn at random out of all
//!   the seats free at the start, so some ask for a seat an earlier request holds and are refused
//!   whole (a multi-seat hold is all or nothing), more and more of them as the event fills up. The
//!   figures are successful holds per second and seats held per second, with the conflict share
//!   (the share of the answers that were `409 SEAT_UNAVAILABLE`) beside them: compare runs at the
//!   same `--seats`, `--duration` and rate, since the share grows with the part of the event held.
//! - `purchase`, how fast seats are *sold*: each journey holds 1-4 seats that no other journey asks
//!   for (handed out from the shuffled free seats, as in `field`), then pays for them at once with
//!   the good card, or the declined one for a share `--declined` of the journeys (none unless
//!   given: the figure is bookings made). The figures are confirmed bookings per second and seats
//!   sold per second.
//!
//! `hotspot`, `field` and `contended` share everything else. A share `--availability-share` of the
//! requests read the availability instead, so its latency is measured under the same load. Buyers
//! are `--buyers` identities: tokens minted with `--jwt-secret` (no registration; the gateway still
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
//! `purchase` shares with them the `/health` yardstick, the buyers, the two models and the stops,
//! in journeys rather than requests: `--concurrency` journeys in flight or `--rate` journeys per
//! second, until `--duration` seconds, `--requests` requests (two per journey) or the free seats run
//! out (so `--seats` must be about 2.5 x the journeys); a journey started is finished. Confirm sends
//! a fresh `Idempotency-Key` each time. Its buyers are fresh identities each run, so every booking
//! they have is this run's. Its audit first waits (up to 30 s) until no booking of the run is
//! `PENDING`, then reads every buyer's bookings (`GET /api/bookings/me`) and the seat map, and fails
//! the run when a seat is in two confirmed bookings, a confirmed booking's seat is not `BOOKED` on
//! the map, a booking was charged (`paymentStatus` `SUCCESS`) but is not confirmed, a booking is
//! still `PENDING`, a 201 answer's booking is missing from its buyer's list or not `CONFIRMED`
//! there, or (on an event it created) the map's newly booked seats differ in number from the
//! confirmed bookings' seats. With `--event`, other buyers may be booking the same event, so that
//! last difference is only reported.
//!
//! With `--also-url`, hotspot, field, contended and purchase requests go round robin to several
//! processes of one platform (one MySQL + Redis behind them; both requests of a purchase go to the
//! same one), and the audit still reads the one seat map they share. `--baseline` (sale, field)
//! then measures the reservation's SQL alone on the backend at the same concurrency and prints the
//! platform's figure as a share of that ceiling.
//!
//! `--json FILE` writes the report; `--plot FILE.png` draws each endpoint's latency by percentile.

mod purchase;
mod queue;
mod sale;
mod spot;

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
    /// Reservations of 1-4 seats out of all the free ones, some refused: holds and seats held per second.
    Contended,
    /// Holds of 1-4 seats nobody else asks for, each paid at once: bookings and seats sold per second.
    Purchase,
}

#[derive(clap::Args, Clone)]
pub struct LoadgenArgs {
    #[arg(long, value_enum, default_value = "sale")]
    pub scenario: Scenario,
    /// Queue scenario: fans that join the waiting room.
    #[arg(long, default_value = "100000")]
    pub users: usize,
    /// Queue, hotspot, field, contended: requests in flight at once; purchase: journeys in flight
    /// (closed model; also the requests in flight of `/health`).
    #[arg(long, default_value = "256")]
    pub concurrency: usize,
    /// Queue, hotspot, field, contended, purchase: the platform's JWT secret, to act as many
    /// distinct accounts without registering each (read from `<data dir>/jwt_secret` in embedded
    /// mode). Required by queue.
    #[arg(long, env = "TICKETING_JWT_SECRET")]
    pub jwt_secret: Option<String>,
    /// Queue scenario: the server's process id, to report its memory per waiting fan.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// The platform's base URL (this machine only).
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    pub url: String,
    /// Hotspot, field, contended, purchase: another process of the same platform (same databases)
    /// to send the scenario's requests (purchase: journeys) to as well, round robin with `--url`
    /// (repeat for more; this machine only). The event, the tokens and the audit go through `--url`.
    #[arg(long)]
    pub also_url: Vec<String>,
    /// Stop after this many seconds (queue: with `--poll-rate`, the length of the poll phase).
    #[arg(long, default_value = "30")]
    pub duration: u64,
    /// Stop after this many requests (all endpoints; purchase: half as many journeys).
    #[arg(long, default_value = "1000000")]
    pub requests: u64,
    /// Buyers (accounts, or minted identities with `--jwt-secret` in hotspot, field, contended and
    /// purchase); in the sale's closed model, also the journeys in flight.
    #[arg(long, default_value = "200")]
    pub buyers: usize,
    /// Open model: start this many journeys (sale, purchase) or requests (hotspot, field,
    /// contended) per second, whatever the answers.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Seats of the event to create (ignored with --event). Field: at least rate x duration;
    /// purchase: about 2.5 x the journeys.
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
    /// Sale, purchase: share of confirmations paid with a card that is declined. Default 0.2 in
    /// sale, 0 in purchase (whose figure is the bookings made).
    #[arg(long)]
    pub declined: Option<f64>,
    /// Share of holds abandoned (left to expire).
    #[arg(long, default_value = "0.1")]
    pub abandon: f64,
    /// Hotspot: the hot set, the first this many seats of the map.
    #[arg(long, default_value = "100")]
    pub hot_seats: usize,
    /// Hotspot, field, contended: share of requests that read the availability instead of reserving.
    #[arg(long, default_value = "0.1")]
    pub availability_share: f64,
    /// Hotspot, field, contended, purchase: seconds of `GET /health` at `--concurrency` before the
    /// scenario, the yardstick every rate is compared with.
    #[arg(long, default_value = "5")]
    pub health_secs: u64,
    /// Hotspot, field, contended, purchase: seed of every request's (purchase: journey's) choices
    /// (request i draws from seed and i alone).
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
    /// Sale, field: also measure the backend's raw reservation ceiling at the same concurrency
    /// (after the run): `sqlite` or a MySQL URL (a scratch database is made there, not the
    /// platform's).
    #[arg(long)]
    pub baseline: Option<String>,
}

impl LoadgenArgs {
    /// `--declined`, or the scenario's default: a sale mixes in declined cards, a purchase run
    /// measures bookings made, so declines only when asked for.
    fn declined_share(&self) -> f64 {
        self.declined.unwrap_or(if self.scenario == Scenario::Purchase { 0.0 } else { 0.2 })
    }
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
    if e.is_timeout() {
        "timeout".into()
    } else {
        "connect".into()
    }
}

struct Ctx {
    args: LoadgenArgs,
    http: reqwest::Client,
    event: String,
    /// The seat numbers requests choose from: every seat (sale), the hot set (hotspot), the free
    /// seats (contended), or the free seats shuffled (field, purchase).
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
        self.call_outcome(endpoint, req).await.1
    }

    /// `call`, and the outcome it counted (the status with the error code, or the transport error).
    async fn call_outcome(&self, endpoint: &'static str, req: reqwest::RequestBuilder) -> (String, Option<(StatusCode, Value)>) {
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
    let (s, ev) = post(
        http,
        format!("{base}/api/events"),
        Some(admin),
        json!({
        "eventName": format!("Flash sale {}", chrono::Utc::now().format("%H:%M:%S")), "category": "CONCERT",
        "venueName": "Loadgen Arena", "city": "Loadtown", "eventDate": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339(),
        "saleStartTime": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(), "tags": ["loadgen"]}),
    )
    .await?;
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
                let (s, b) = post_through_outage(
                    &http,
                    format!("{base}/api/auth/register"),
                    json!({"email": email, "password": "loadgen-pass", "name": format!("Buyer {i}")}),
                )
                .await?;
                // A register that went through before an outage cut its answer: the retry finds the email taken.
                anyhow::ensure!(s == StatusCode::CREATED || s == StatusCode::CONFLICT, "register: {s} {b}");
                let (s, b) =
                    post_through_outage(&http, format!("{base}/api/auth/login"), json!({"email": email, "password": "loadgen-pass"}))
                        .await?;
                anyhow::ensure!(s == StatusCode::OK, "login: {s} {b}");
                Ok(b["accessToken"].as_str().unwrap_or_default().to_string())
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    tokens.into_iter().collect()
}

/// A POST that tries again, for up to 30 s, while the platform does not answer or answers `503`
/// (a restart, a failover): setting a run up survives what the run is there to measure.
async fn post_through_outage(http: &reqwest::Client, url: String, body: Value) -> anyhow::Result<(StatusCode, Value)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match post(http, url.clone(), None, body.clone()).await {
            Ok((s, _)) if s == StatusCode::SERVICE_UNAVAILABLE && Instant::now() < deadline => {}
            Err(_) if Instant::now() < deadline => {}
            other => return other,
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Access tokens of `n` user identities minted with the platform's secret, valid for a day.
fn minted_tokens(secret: &str, prefix: &str, n: usize) -> Vec<String> {
    let keys = common::auth::JwtKeys::new(secret.as_bytes(), 86_400);
    (0..n).map(|i| keys.issue(&format!("{prefix}-{i}"), common::auth::Role::User)).collect()
}

/// `--url` and each `--also-url` (the processes a run's requests go to, round robin), without a
/// trailing slash.
fn processes(args: &LoadgenArgs) -> impl Iterator<Item = &str> {
    std::iter::once(&args.url).chain(&args.also_url).map(|u| u.trim_end_matches('/'))
}

/// `--buyers` tokens: identities `prefix-0`, `prefix-1`... minted with `--jwt-secret`, or
/// registered accounts (new ones each run) without it.
async fn buyer_tokens(args: &LoadgenArgs, http: &reqwest::Client, prefix: &str) -> anyhow::Result<Vec<String>> {
    match &args.jwt_secret {
        Some(secret) => Ok(minted_tokens(secret, prefix, args.buyers)),
        None => {
            eprintln!("registering {} buyers (--jwt-secret mints tokens instead)...", args.buyers);
            buyers(args, http, args.buyers).await
        }
    }
}

/// The random choices of request (or journey) `i`: from `--seed` and `i` alone, so runs with the
/// same flags ask the same questions in the same order, whatever the answers and their timing.
fn request_rng(seed: u64, i: u64) -> StdRng {
    StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i)
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
    /// `per_sec` over the `/health` rate of the same run (hotspot, field, contended, purchase).
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
    println!(
        "\n{:<13} {:>9} {:>10}{ratio_head} {:>8} {:>8} {:>8} {:>8}  outcomes",
        "endpoint", "count", "per sec", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    for r in rows {
        let ratio_col = match r.ratio_to_health {
            Some(x) => format!(" {x:>8.3}"),
            None if ratios => format!(" {:>8}", "-"),
            None => String::new(),
        };
        let outcomes: Vec<String> = r.outcomes.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        println!(
            "{:<13} {:>9} {:>10.1}{ratio_col} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  {}",
            r.endpoint,
            r.count,
            r.per_sec,
            r.p50_ms,
            r.p95_ms,
            r.p99_ms,
            r.max_ms,
            outcomes.join(", ")
        );
    }
}

/// `GET /health` for `--health-secs` at `--concurrency` in flight (closed model, whatever the
/// scenario's): the bare round trip through the gateway, the yardstick of the run's rates.
/// Says what it does and what it found.
async fn measure_health(args: &LoadgenArgs, http: &reqwest::Client) -> Row {
    eprintln!("/health for {} s, {} in flight...", args.health_secs, args.concurrency.max(1));
    let url = format!("{}/health", args.url);
    let until = Instant::now() + Duration::from_secs(args.health_secs);
    let mut row =
        blast(Model::Closed(args.concurrency.max(1)), usize::MAX, Some(until), |_| status_of(http.get(&url))).await.row("/health");
    row.ratio_to_health = ratio(row.per_sec, row.per_sec);
    println!("/health: {:.1} requests/s (p50 {:.2} ms, p99 {:.2} ms)", row.per_sec, row.p50_ms, row.p99_ms);
    row
}

/// `rate` over the `/health` rate, when there is one.
fn ratio(rate: f64, health_rate: f64) -> Option<f64> {
    (health_rate > 0.0).then(|| rate / health_rate)
}

fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or("n/a".into(), |x| format!("{x:.3}"))
}

/// At most five of these ids, sorted, for an audit's message.
fn examples(mut ids: Vec<&str>) -> String {
    ids.sort_unstable();
    ids.truncate(5);
    ids.join(", ")
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

/// `--baseline`: the reservation's SQL alone on `backend` at `concurrency`, printed beside the
/// platform's `rate` over HTTP.
async fn print_baseline(backend: &str, concurrency: usize, seats: i64, rate: f64, what: &str) -> anyhow::Result<crate::bench::Figure> {
    eprintln!("baseline: the reservation's SQL alone, {concurrency} in flight...");
    let fig = crate::bench::raw_ceiling(backend, concurrency, seats.clamp(1000, 20_000)).await?;
    println!("\nbaseline: the reservation's SQL alone, {concurrency} in flight: {:.0}/s (p50 {:.2} ms); the platform {what} {rate:.0}/s over HTTP: \
        {:.2} x the ceiling", fig.per_sec, fig.p50_ms, rate / fig.per_sec.max(1e-9));
    Ok(fig)
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
        if nines.fract() == 0.0 {
            format!("{}%", (p * 1000.0).round() / 1000.0)
        } else {
            String::new()
        }
    };
    chart.configure_mesh().x_desc("percentile").y_desc("ms").x_labels(2 * x_max as usize + 1).x_label_formatter(&percentile).draw()?;
    for (i, r) in rows.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(r.curve.iter().map(|&(x, y)| (x, y.max(y_min))), color.stroke_width(2)))?
            .label(format!("{}  p50 {:.2} ms  p99 {:.2} ms", r.endpoint, r.p50_ms, r.p99_ms))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()?;
    println!("latency plot: {}", path.display());
    Ok(())
}

pub async fn run(args: LoadgenArgs) -> anyhow::Result<bool> {
    anyhow::ensure!(args.rate.is_none_or(|r| r > 0.0) && args.poll_rate.is_none_or(|r| r > 0.0), "--rate and --poll-rate must be above 0");
    anyhow::ensure!(args.declined.is_none_or(|d| (0.0..=1.0).contains(&d)), "--declined must be between 0 and 1");
    let http = reqwest::Client::builder().pool_max_idle_per_host(4096).timeout(Duration::from_secs(60)).build()?;
    let base = args.url.trim_end_matches('/').to_string();
    let args = LoadgenArgs { url: base.clone(), ..args };
    let (s, login) =
        post(&http, format!("{base}/api/auth/login"), None, json!({"email": args.admin_email, "password": args.admin_password})).await?;
    anyhow::ensure!(s == StatusCode::OK, "admin login at {base} failed ({s}): set --admin-email/--admin-password");
    let admin = login["accessToken"].as_str().unwrap_or_default().to_string();
    match args.scenario {
        Scenario::Sale => sale::run_sale(args, http, admin).await,
        Scenario::Queue => queue::run_queue(args, http, admin).await,
        Scenario::Hotspot | Scenario::Field | Scenario::Contended => spot::run_spot(args, http, admin).await,
        Scenario::Purchase => purchase::run_purchase(args, http, admin).await,
    }
}
