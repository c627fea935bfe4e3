//! The same scenario against one embedded `ticketing serve` and against the services split over
//! several `ticketing serve --services ...` processes sharing MariaDB + Redis: clients see the same
//! API. Also: a bad setting stops start-up with one line naming it.

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ticketing");
/// The services of the third process: all but gateway, auth and events.
const REST: &str = "inventory,booking,payment,notification,queue";
const SECRET: &str = "topology-secret-topology-secret-0123456789";

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn<K: AsRef<std::ffi::OsStr>>(envs: &[(K, String)], data: &std::path::Path) -> Proc {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TICKETING_DATA_DIR", data)
        .env("TICKETING_RATE_LIMIT_PER_MINUTE", "0")
        .env("TICKETING_ADMIN_EMAIL", "admin@example.com")
        .env("TICKETING_ADMIN_PASSWORD", "admin-password")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    Proc(cmd.spawn().expect("ticketing starts"))
}

/// Poll /health until it answers (start-up is not a fixed sleep); fail at once if the process died.
async fn wait_healthy(p: &mut Proc, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = p.0.try_wait() {
            panic!("the process for {url} exited: {status}");
        }
        if let Ok(r) = reqwest::get(format!("{url}/health")).await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not become healthy");
}

async fn call(c: &reqwest::Client, method: reqwest::Method, url: String, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut r = c.request(method, url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let s = resp.status().as_u16();
    (s, resp.json().await.unwrap_or(Value::Null))
}

/// The caller's active reservations (ids).
async fn active_reservation_ids(c: &reqwest::Client, base: &str, token: &str) -> Vec<Value> {
    let (_, b) = call(c, reqwest::Method::GET, format!("{base}/api/inventory/reservations/me"), Some(token), None).await;
    b["reservations"]
        .as_array()
        .map(|l| l.iter().filter(|r| r["status"] == "ACTIVE").map(|r| r["reservationId"].clone()).collect())
        .unwrap_or_default()
}

/// The scenario; returns (step, status, the keys of the body) for comparison across topologies.
async fn scenario(base: &str) -> Vec<(String, u16, Vec<String>)> {
    use reqwest::Method as M;
    let c = reqwest::Client::new();
    let mut out = Vec::new();
    let mut log = |step: &str, s: u16, b: &Value| {
        let mut keys: Vec<String> = b.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
        keys.sort();
        out.push((step.to_string(), s, keys));
    };
    let (s, b) = call(
        &c,
        M::POST,
        format!("{base}/api/auth/register"),
        None,
        Some(json!({"email": "fan@example.com", "password": "password123", "name": "Fan"})),
    )
    .await;
    log("register", s, &b);
    let (s, b) = call(
        &c,
        M::POST,
        format!("{base}/api/auth/register"),
        None,
        Some(json!({"email": "FAN@example.com ", "password": "password123", "name": "Fan"})),
    )
    .await;
    log("register again", s, &b);
    let (s, b) =
        call(&c, M::POST, format!("{base}/api/auth/login"), None, Some(json!({"email": "fan@example.com", "password": "password123"})))
            .await;
    log("login", s, &b);
    let user = b["accessToken"].as_str().unwrap_or_default().to_string();
    let refresh = b["refreshToken"].as_str().unwrap_or_default().to_string();
    let (s, b) = call(&c, M::GET, format!("{base}/api/auth/me"), Some(&user), None).await;
    log("me", s, &b);
    let (s, b) = call(&c, M::POST, format!("{base}/api/auth/refresh"), None, Some(json!({"refreshToken": refresh}))).await;
    log("refresh", s, &b);
    let (s, b) = call(
        &c,
        M::POST,
        format!("{base}/api/auth/login"),
        None,
        Some(json!({"email": "admin@example.com", "password": "admin-password"})),
    )
    .await;
    log("admin login", s, &b);
    let admin = b["accessToken"].as_str().unwrap_or_default().to_string();
    let (s, b) = call(&c, M::POST, format!("{base}/api/events"), Some(&user), Some(json!({}))).await;
    log("create as user", s, &b);
    let (s, ev) = call(
        &c,
        M::POST,
        format!("{base}/api/events"),
        Some(&admin),
        Some(json!({"eventName": "Split", "category": "CONCERT",
        "venueName": "Hall", "city": "Porto", "eventDate": "2031-01-01T20:00:00Z", "saleStartTime": "2030-12-01T10:00:00Z"})),
    )
    .await;
    log("create", s, &ev);
    let id = ev["eventId"].as_str().unwrap_or_default().to_string();
    let (s, b) = call(&c, M::GET, format!("{base}/api/events?city=porto"), None, None).await;
    log("list", s, &b);
    let (s, b) = call(
        &c,
        M::PUT,
        format!("{base}/api/inventory/events/{id}/seats"),
        Some(&admin),
        Some(json!({"sections": [
        {"section": "A", "seatType": "REGULAR", "price": 20.5, "rows": [{"rowNumber": 1, "seats": 10}]}]})),
    )
    .await;
    log("layout", s, &b);
    let (s, b) =
        call(&c, M::POST, format!("{base}/api/inventory/reservations"), Some(&user), Some(json!({"eventId": id, "quantity": 2}))).await;
    log("reserve before sale", s, &b);
    let (s, b) = call(&c, M::PUT, format!("{base}/api/events/{id}/status"), Some(&admin), Some(json!({"status": "ON_SALE"}))).await;
    log("open sale", s, &b);
    let (s, b) =
        call(&c, M::POST, format!("{base}/api/inventory/reservations"), Some(&user), Some(json!({"eventId": id, "quantity": 2}))).await;
    log("reserve", s, &b);
    assert_eq!(b["totalAmount"], json!(41.0), "{b}");
    let (s, b) = call(&c, M::GET, format!("{base}/api/inventory/events/{id}/availability"), None, None).await;
    log("availability", s, &b);
    assert_eq!(b["reserved"], 2, "{b}");
    // The events service follows the inventory's counts, across processes too.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, e) = call(&c, M::GET, format!("{base}/api/events/{id}"), None, None).await;
        if e["availableSeats"] == 8 && e["totalSeats"] == 10 {
            break;
        }
        assert!(Instant::now() < deadline, "counts never followed: {e}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A booking is mailed: the notifier reads the booking outbox, the event and the account
    // (over HTTP from other processes when split); here the mail goes to the spool.
    let ids: Vec<Value> = active_reservation_ids(&c, base, &user).await;
    let (s, b) = call(
        &c,
        M::POST,
        format!("{base}/api/bookings/confirm"),
        Some(&user),
        Some(json!({"reservationIds": ids,
        "idempotencyKey": "topology-1", "paymentMethod": {"type": "CREDIT_CARD", "cardNumber": "4242424242424242",
        "expiryMonth": 12, "expiryYear": 2035, "cvv": "123"}})),
    )
    .await;
    log("confirm", s, &b);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (s, b) = call(&c, M::GET, format!("{base}/api/notifications/me"), Some(&user), None).await;
        let sent =
            b["notifications"].as_array().is_some_and(|l| l.iter().any(|n| n["type"] == "BOOKING_CONFIRMED" && n["status"] == "SENT"));
        if sent {
            log("notifications", s, &b);
            break;
        }
        assert!(Instant::now() < deadline, "no notification was sent: {s} {b}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (s, b) = call(&c, M::GET, format!("{base}/api/nothing-here"), None, None).await;
    log("unknown route", s, &b);
    let (s, b) = call(&c, M::POST, format!("{base}/internal/inventory/reservations/confirm"), Some(&user), Some(json!({}))).await;
    log("internal from outside", if s == 403 { 404 } else { s }, &Value::Null);
    let _ = b;
    out
}

#[tokio::test]
async fn split_processes_answer_like_one_embedded_process() {
    let (Ok(mysql), Ok(redis)) = (std::env::var("TICKETING_TEST_MYSQL_URL"), std::env::var("TICKETING_TEST_REDIS_URL")) else {
        eprintln!("skipped: TICKETING_TEST_MYSQL_URL / TICKETING_TEST_REDIS_URL not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // One embedded process.
    let p0 = free_port();
    let mut embedded = spawn(&[("TICKETING_PORT", p0.to_string())], &dir.path().join("embedded"));
    let embedded_url = format!("http://127.0.0.1:{p0}");
    wait_healthy(&mut embedded, &embedded_url).await;
    let want = scenario(&embedded_url).await;

    // The same services split over three processes on MariaDB + Redis: auth alone, the gateway with
    // events, and every other service in a third process.
    let db = format!("{}/t_{}", mysql.trim_end_matches('/'), std::process::id());
    let (pa, pg, pr) = (free_port(), free_port(), free_port());
    let url = |p: u16| format!("http://127.0.0.1:{p}");
    let mut shared = vec![
        ("TICKETING_MYSQL_URL".to_string(), db.clone()),
        ("TICKETING_REDIS_URL".to_string(), redis.clone()),
        ("TICKETING_JWT_SECRET".to_string(), SECRET.to_string()),
        ("TICKETING_AUTH_URL".to_string(), url(pa)),
        ("TICKETING_EVENTS_URL".to_string(), url(pg)),
    ];
    for s in REST.split(',') {
        shared.push((format!("TICKETING_{}_URL", s.to_uppercase()), url(pr)));
    }
    let with = |services: &str, port: u16| {
        let mut v = shared.clone();
        v.push(("TICKETING_SERVICES".to_string(), services.to_string()));
        v.push(("TICKETING_PORT".to_string(), port.to_string()));
        v
    };
    let mut procs = [
        (spawn(&with("auth", pa), &dir.path().join("a")), pa),
        (spawn(&with(REST, pr), &dir.path().join("r")), pr),
        (spawn(&with("gateway,events", pg), &dir.path().join("g")), pg),
    ];
    for (p, port) in procs.iter_mut() {
        wait_healthy(p, &url(*port)).await;
    }
    let got = scenario(&url(pg)).await;
    assert_eq!(got, want);
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line() {
    let out = Command::new(BIN).arg("serve").env("TICKETING_PORT", "eighty").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("TICKETING_PORT"), "{err}");
    let out = Command::new(BIN).arg("serve").env("TICKETING_MYSQL_URL", "postgres://user:hunter2@x").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TICKETING_MYSQL_URL") && !err.contains("hunter2"), "{err}");
    let out = Command::new(BIN)
        .arg("serve")
        .env("TICKETING_MYSQL_URL", "mysql://root@127.0.0.1:3306/x")
        .env_remove("TICKETING_JWT_SECRET")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("TICKETING_JWT_SECRET"), "{err}");
}

#[test]
fn help_documents_every_setting() {
    let out = Command::new(BIN).args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for v in [
        "TICKETING_PORT",
        "TICKETING_DATA_DIR",
        "TICKETING_MYSQL_URL",
        "TICKETING_REDIS_URL",
        "TICKETING_JWT_SECRET",
        "TICKETING_RESERVATION_TTL_SECS",
        "TICKETING_RATE_LIMIT_PER_MINUTE",
        "TICKETING_CORS_ORIGINS",
    ] {
        assert!(help.contains(v), "{v} missing from --help");
    }
}
