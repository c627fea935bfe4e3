//! Calls to the platform that set a run up or read its outcome: the event, its seat map, the
//! buyers and their tokens.

use super::*;
use futures::stream::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub(crate) async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> anyhow::Result<(StatusCode, Value)> {
    let mut r = http.post(url).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await?;
    Ok((resp.status(), resp.json().await.unwrap_or(Value::Null)))
}

/// A request that counts only by its status (the body is read, so the connection is reused).
pub(crate) async fn status_of(req: reqwest::RequestBuilder) -> Result<StatusCode, String> {
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
pub(crate) async fn setup_event(args: &LoadgenArgs, http: &reqwest::Client, admin: &str) -> anyhow::Result<String> {
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
pub(crate) struct MapSeat {
    pub(crate) seat_id: String,
    pub(crate) seat_number: String,
    pub(crate) status: String,
}

impl MapSeat {
    /// Held or sold: not free for anyone else.
    pub(crate) fn taken(&self) -> bool {
        self.status == "RESERVED" || self.status == "BOOKED"
    }
}

/// The event's seat map, in the map's order.
pub(crate) async fn seat_map(http: &reqwest::Client, base: &str, event: &str) -> anyhow::Result<Vec<MapSeat>> {
    #[derive(serde::Deserialize)]
    struct Map {
        seats: Vec<MapSeat>,
    }
    let resp = http.get(format!("{base}/api/inventory/events/{event}/seats")).send().await?;
    anyhow::ensure!(resp.status() == StatusCode::OK, "seat map of {event}: {}", resp.status());
    Ok(resp.json::<Map>().await?.seats)
}

/// Register and log in `n` buyers, 16 at a time (password hashing is deliberately slow).
pub(crate) async fn buyers(args: &LoadgenArgs, http: &reqwest::Client, n: usize) -> anyhow::Result<Vec<String>> {
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
pub(crate) async fn post_through_outage(http: &reqwest::Client, url: String, body: Value) -> anyhow::Result<(StatusCode, Value)> {
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
pub(crate) fn minted_tokens(secret: &str, prefix: &str, n: usize) -> Vec<String> {
    let keys = common::auth::JwtKeys::new(secret.as_bytes(), 86_400);
    (0..n).map(|i| keys.issue(&format!("{prefix}-{i}"), common::auth::Role::User)).collect()
}

/// `--url` and each `--also-url` (the processes a run's requests go to, round robin), without a
/// trailing slash.
pub(crate) fn processes(args: &LoadgenArgs) -> impl Iterator<Item = &str> {
    std::iter::once(&args.url).chain(&args.also_url).map(|u| u.trim_end_matches('/'))
}

/// `--buyers` tokens: identities `prefix-0`, `prefix-1`... minted with `--jwt-secret`, or
/// registered accounts (new ones each run) without it.
pub(crate) async fn buyer_tokens(args: &LoadgenArgs, http: &reqwest::Client, prefix: &str) -> anyhow::Result<Vec<String>> {
    match &args.jwt_secret {
        Some(secret) => Ok(minted_tokens(secret, prefix, args.buyers)),
        None => {
            eprintln!("registering {} buyers (--jwt-secret mints tokens instead)...", args.buyers);
            buyers(args, http, args.buyers).await
        }
    }
}
