//! `ticketing loadgen`: a flash sale against a running platform, with an audit at the end.
//!
//! It creates an event of `--seats` seats (or uses `--event`), registers `--buyers` accounts, then
//! lets them loose: each journey reads the availability, reserves (specific seats with a hot spot,
//! or best available), and confirms with a good or a declined card, or abandons the hold. Closed
//! model (`--buyers` concurrent journeys, each starting when the last ended) by default; open model
//! with `--rate` journeys per second, however slowly the platform answers. Runs stop at
//! `--duration` seconds or `--requests` requests, whichever comes first, and target only `--url`.
//!
//! The audit fails the run (exit code 1) when a seat is sold twice, when the seat map disagrees with
//! the confirmed bookings, when sold + held exceeds capacity, or when a successful charge has neither
//! a confirmed booking nor a refund.

use hdrhistogram::Histogram;
use rand::seq::SliceRandom;
use rand::Rng;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Buyers browse, reserve, pay or abandon (the default).
    Sale,
    /// `--users` fans join a waiting room before the sale opens, then poll their place.
    Queue,
}

#[derive(clap::Args, Clone)]
pub struct LoadgenArgs {
    #[arg(long, value_enum, default_value = "sale")]
    pub scenario: Scenario,
    /// Queue scenario: fans that join the waiting room.
    #[arg(long, default_value = "100000")]
    pub users: usize,
    /// Queue scenario: requests in flight at once.
    #[arg(long, default_value = "256")]
    pub concurrency: usize,
    /// Queue scenario: the platform's JWT secret, to act as `--users` distinct accounts without
    /// registering each (read from `<data dir>/jwt_secret` in embedded mode).
    #[arg(long, env = "TICKETING_JWT_SECRET")]
    pub jwt_secret: Option<String>,
    /// Queue scenario: the server's process id, to report its memory per waiting fan.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// The platform's base URL (this machine only).
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    pub url: String,
    /// Stop after this many seconds.
    #[arg(long, default_value = "30")]
    pub duration: u64,
    /// Stop after this many requests (all endpoints).
    #[arg(long, default_value = "1000000")]
    pub requests: u64,
    /// Buyers (accounts); in the closed model, also the journeys in flight.
    #[arg(long, default_value = "200")]
    pub buyers: usize,
    /// Open model: start this many journeys per second instead.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Seats of the event to create (ignored with --event).
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
    #[arg(long, env = "TICKETING_ADMIN_EMAIL", default_value = "admin@example.com")]
    pub admin_email: String,
    #[arg(long, env = "TICKETING_ADMIN_PASSWORD", default_value = "admin-password")]
    pub admin_password: String,
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
}

struct Ctx {
    args: LoadgenArgs,
    http: reqwest::Client,
    event: String,
    seats: Vec<String>,
    stats: Mutex<Stats>,
    sent: AtomicU64,
    deadline: Instant,
    progress: indicatif::ProgressBar,
}

impl Ctx {
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
            Err(e) => (if e.is_timeout() { "timeout".into() } else { "connect".into() }, None),
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

async fn setup_event(args: &LoadgenArgs, http: &reqwest::Client, admin: &str) -> anyhow::Result<String> {
    let base = &args.url;
    let (s, ev) = post(http, format!("{base}/api/events"), Some(admin), json!({
        "eventName": format!("Flash sale {}", chrono::Utc::now().format("%H:%M:%S")), "category": "CONCERT",
        "venueName": "Loadgen Arena", "city": "Loadtown", "eventDate": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339(),
        "saleStartTime": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(), "tags": ["loadgen"]})).await?;
    anyhow::ensure!(s == StatusCode::CREATED, "creating the event: {s} {ev}");
    let id = ev["eventId"].as_str().unwrap_or_default().to_string();
    let per_row = 50.min(args.seats.max(1));
    let rows = (args.seats + per_row - 1) / per_row;
    let layout = json!({"sections": [{"section": "A", "seatType": "REGULAR", "price": 49.99,
        "rows": (1..=rows).map(|r| json!({"rowNumber": r, "seats": per_row})).collect::<Vec<_>>()}]});
    let resp = http.put(format!("{base}/api/inventory/events/{id}/seats")).bearer_auth(admin).json(&layout).send().await?;
    anyhow::ensure!(resp.status().is_success(), "seat layout: {}", resp.text().await.unwrap_or_default());
    let resp = http.put(format!("{base}/api/events/{id}/status")).bearer_auth(admin).json(&json!({"status": "ON_SALE"})).send().await?;
    anyhow::ensure!(resp.status().is_success(), "opening the sale: {}", resp.text().await.unwrap_or_default());
    Ok(id)
}

/// Register and log in `n` buyers, 16 at a time (password hashing is deliberately slow).
async fn buyers(args: &LoadgenArgs, http: &reqwest::Client, n: usize) -> anyhow::Result<Vec<String>> {
    use futures::stream::{self, StreamExt};
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

#[derive(serde::Serialize)]
struct Row {
    endpoint: String,
    count: u64,
    per_sec: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    outcomes: BTreeMap<String, u64>,
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

async fn audit(ctx: &Ctx, tokens: &[String]) -> anyhow::Result<Audit> {
    let base = &ctx.args.url;
    let mut a = Audit::default();
    let map: Value = ctx.http.get(format!("{base}/api/inventory/events/{}/seats", ctx.event)).send().await?.json().await?;
    let mut status_of: HashMap<String, String> = HashMap::new();
    for s in map["seats"].as_array().cloned().unwrap_or_default() {
        status_of.insert(s["seatId"].as_str().unwrap_or_default().into(), s["status"].as_str().unwrap_or_default().into());
    }
    a.seats = status_of.len() as i64;
    a.booked_on_map = status_of.values().filter(|s| *s == "BOOKED").count() as i64;
    a.held_on_map = status_of.values().filter(|s| *s == "RESERVED").count() as i64;
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
        if status_of.get(seat).map(String::as_str) != Some("BOOKED") {
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

/// `n` requests made by `make(i)`, `concurrency` in flight; returns the latency histogram (µs),
/// failures by outcome, and the elapsed seconds.
async fn blast<F, Fut>(n: usize, concurrency: usize, make: F) -> (Histogram<u64>, BTreeMap<String, u64>, f64)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<StatusCode, String>>,
{
    use futures::stream::{self, StreamExt};
    let started = Instant::now();
    let mut h = Histogram::<u64>::new(3).expect("histogram");
    let mut outcomes = BTreeMap::new();
    let mut s = stream::iter(0..n)
        .map(|i| {
            let fut = make(i);
            async move {
                let t = Instant::now();
                (fut.await, t.elapsed())
            }
        })
        .buffer_unordered(concurrency.max(1));
    while let Some((r, took)) = s.next().await {
        let _ = h.record(took.as_micros() as u64);
        let key = match r {
            Ok(code) => code.as_u16().to_string(),
            Err(e) => e,
        };
        *outcomes.entry(key).or_insert(0u64) += 1;
    }
    (h, outcomes, started.elapsed().as_secs_f64())
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
    let call = |method: reqwest::Method, path: String, tok: String| {
        let http = http.clone();
        async move {
            match http.request(method, path).bearer_auth(tok).send().await {
                Ok(r) => Ok(r.status()),
                Err(e) => Err(if e.is_timeout() { "timeout".to_string() } else { "connect".to_string() }),
            }
        }
    };
    let (joins, join_out, join_secs) = blast(args.users, args.concurrency, |i| call(reqwest::Method::POST, format!("{base}/api/queue/events/{event}/join"), token(i))).await;
    let rss_after = args.server_pid.and_then(rss_bytes);
    let resp = http.put(format!("{base}/api/events/{event}/status")).bearer_auth(&admin).json(&json!({"status": "ON_SALE"})).send().await?;
    anyhow::ensure!(resp.status().is_success(), "opening the sale: {}", resp.text().await.unwrap_or_default());
    let polls_n = (args.users).min(200_000);
    let stride = (args.users / polls_n.max(1)).max(1);
    let (polls, poll_out, poll_secs) = blast(polls_n, args.concurrency, |i| call(reqwest::Method::GET, format!("{base}/api/queue/events/{event}/me"), token((i * stride) % args.users))).await;
    let view: Value = http.get(format!("{base}/api/queue/events/{event}")).bearer_auth(&admin).send().await?.json().await.unwrap_or(Value::Null);
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!("\n{:<6} {:>9} {:>10} {:>8} {:>8} {:>8}  outcomes", "call", "count", "per sec", "p50 ms", "p99 ms", "max ms");
    for (name, h, out, secs) in [("join", &joins, &join_out, join_secs), ("poll", &polls, &poll_out, poll_secs)] {
        let o: Vec<String> = out.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        println!("{:<6} {:>9} {:>10.0} {:>8.2} {:>8.2} {:>8.2}  {}", name, h.len(), h.len() as f64 / secs, ms(h, 0.5), ms(h, 0.99), h.max() as f64 / 1000.0, o.join(", "));
    }
    println!("queue after opening: {view}");
    let per_fan = match (rss_before, rss_after) {
        (Some(a), Some(b)) if args.users > 0 => Some(b.saturating_sub(a) as f64 / args.users as f64),
        _ => None,
    };
    if let Some(p) = per_fan {
        println!("server memory: {:.0} bytes per waiting fan (resident set growth over the joins)", p);
    }
    let ok = join_out.keys().all(|k| k == "200") && poll_out.keys().all(|k| k == "200");
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&json!({
            "scenario": "queue", "users": args.users, "concurrency": args.concurrency,
            "joins_per_sec": joins.len() as f64 / join_secs, "join_p50_ms": ms(&joins, 0.5), "join_p99_ms": ms(&joins, 0.99),
            "polls_per_sec": polls.len() as f64 / poll_secs, "poll_p50_ms": ms(&polls, 0.5), "poll_p99_ms": ms(&polls, 0.99),
            "bytes_per_fan": per_fan, "join_outcomes": join_out, "poll_outcomes": poll_out,
        }))?)?;
    }
    Ok(ok)
}

pub async fn run(args: LoadgenArgs) -> anyhow::Result<bool> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .timeout(Duration::from_secs(60))
        .build()?;
    let base = args.url.trim_end_matches('/').to_string();
    let args = LoadgenArgs { url: base.clone(), ..args };
    let (s, login) = post(&http, format!("{base}/api/auth/login"), None, json!({"email": args.admin_email, "password": args.admin_password})).await?;
    anyhow::ensure!(s == StatusCode::OK, "admin login at {base} failed ({s}): set --admin-email/--admin-password");
    let admin = login["accessToken"].as_str().unwrap_or_default().to_string();
    if args.scenario == Scenario::Queue {
        return run_queue(args, http, admin).await;
    }
    let event = match &args.event {
        Some(e) => e.clone(),
        None => setup_event(&args, &http, &admin).await?,
    };
    let map: Value = http.get(format!("{base}/api/inventory/events/{event}/seats")).send().await?.json().await?;
    let seats: Vec<String> = map["seats"].as_array().cloned().unwrap_or_default().iter().map(|s| s["seatNumber"].as_str().unwrap_or_default().to_string()).collect();
    anyhow::ensure!(!seats.is_empty(), "event {event} has no seats");
    eprintln!("event {event}: {} seats; registering {} buyers...", seats.len(), args.buyers);
    let tokens = Arc::new(buyers(&args, &http, args.buyers).await?);

    let progress = indicatif::ProgressBar::new(args.requests.min(10_000_000));
    progress.set_style(indicatif::ProgressStyle::with_template("{elapsed_precise} {pos} requests ({per_sec})").expect("template"));
    let ctx = Arc::new(Ctx {
        args: args.clone(),
        http: http.clone(),
        event: event.clone(),
        seats,
        stats: Mutex::new(Stats::default()),
        sent: AtomicU64::new(0),
        deadline: Instant::now() + Duration::from_secs(args.duration),
        progress,
    });
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

    let mut rows = Vec::new();
    {
        let stats = ctx.stats.lock().expect("stats");
        for ep in ["availability", "reserve", "confirm"] {
            let Some(h) = stats.hist.get(ep) else { continue };
            let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
            rows.push(Row {
                endpoint: ep.into(),
                count: h.len(),
                per_sec: h.len() as f64 / secs,
                p50_ms: ms(0.5),
                p95_ms: ms(0.95),
                p99_ms: ms(0.99),
                max_ms: h.max() as f64 / 1000.0,
                outcomes: stats.codes.get(ep).cloned().unwrap_or_default(),
            });
        }
    }
    println!("\n{:<13} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8}  outcomes", "endpoint", "count", "per sec", "p50 ms", "p95 ms", "p99 ms", "max ms");
    for r in &rows {
        let outcomes: Vec<String> = r.outcomes.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        println!("{:<13} {:>8} {:>9.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1}  {}", r.endpoint, r.count, r.per_sec, r.p50_ms, r.p95_ms, r.p99_ms, r.max_ms, outcomes.join(", "));
    }
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
    let ok = a.problems.is_empty();
    for p in &a.problems {
        println!("AUDIT FAILED: {p}");
    }
    if ok {
        println!("audit passed");
    }
    if let Some(p) = &args.json {
        std::fs::write(p, serde_json::to_string_pretty(&json!({
            "url": base, "event": event, "seconds": secs, "endpoints": rows, "audit": a, "baseline": baseline,
        }))?)?;
    }
    Ok(ok)
}
