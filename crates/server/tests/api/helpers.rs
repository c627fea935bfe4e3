//! `spawn_app()`: a whole node on port 0 with a temp data dir (zero2prod's helper), and small HTTP
//! helpers. Storage is SQLite unless a test asks for MariaDB + Redis (`TICKETING_TEST_MYSQL_URL`,
//! `TICKETING_TEST_REDIS_URL`), each test then getting databases of its own.

#![allow(dead_code)]

use common::auth::Role;
use common::config::{Config, Secret};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::Node;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin-password";
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

pub struct TestApp {
    pub node: Node,
    pub url: String,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
}

pub fn mysql_url() -> Option<String> {
    std::env::var("TICKETING_TEST_MYSQL_URL").ok().filter(|s| !s.is_empty())
}

pub fn redis_url() -> Option<String> {
    std::env::var("TICKETING_TEST_REDIS_URL").ok().filter(|s| !s.is_empty())
}

/// A MySQL URL whose database prefix is new (so each test has its own databases).
pub fn fresh_mysql(base: &str) -> String {
    format!("{}/t_{}", base.trim_end_matches('/'), &common::ids::random_token(6))
}

pub fn test_config(dir: &std::path::Path) -> Config {
    let mut cfg = Config::for_tests(dir.to_path_buf());
    cfg.admin_email = Some(ADMIN_EMAIL.into());
    cfg.admin_password = Some(Secret::new(ADMIN_PASSWORD));
    cfg.rate_limit_per_minute = 0;
    cfg.web_dir = Some(dir.join("no-web"));
    cfg
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(f: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = test_config(dir.path());
    f(&mut cfg);
    start(cfg, dir).await
}

/// A node on MariaDB + Redis (or `None` when the test environment has neither).
pub async fn spawn_shared(mysql: &str, f: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = test_config(dir.path());
    cfg.mysql_url = Some(Secret::new(mysql));
    cfg.redis_url = redis_url().map(Secret::new);
    cfg.jwt_secret = Some(Secret::new(JWT_SECRET));
    // Tests run many nodes against one server at once: keep each pool small.
    cfg.db_pool_size = 8;
    f(&mut cfg);
    start(cfg, dir).await
}

pub async fn start(cfg: Config, dir: tempfile::TempDir) -> TestApp {
    // `TEST_LOG=1 cargo test ...` shows the nodes' logs.
    if std::env::var("TEST_LOG").is_ok() {
        common::telemetry::init_logging("pretty");
    }
    let node = server::start(cfg).await.expect("node starts");
    let url = node.url();
    let http = reqwest::Client::builder().pool_max_idle_per_host(512).build().unwrap();
    TestApp { node, url, http, dir }
}

impl TestApp {
    /// A valid access token for a user id (no account needed: services trust the token).
    pub fn token_for(&self, user_id: &str) -> String {
        self.node.keys.issue(user_id, Role::User)
    }

    pub fn admin_token_unchecked(&self) -> String {
        self.node.keys.issue("admin-id", Role::Admin)
    }

    pub async fn admin_token(&self) -> String {
        let (s, b) =
            self.call(Method::POST, "/api/auth/login", None, Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b["accessToken"].as_str().unwrap().to_string()
    }

    /// Register and log in; returns (access token, user id, refresh token).
    pub async fn new_user(&self, email: &str) -> (String, String, String) {
        let (s, b) = self
            .call(Method::POST, "/api/auth/register", None, Some(json!({"email": email, "password": "password123", "name": "Fan"})))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let (s, b) = self.call(Method::POST, "/api/auth/login", None, Some(json!({"email": email, "password": "password123"}))).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        (
            b["accessToken"].as_str().unwrap().into(),
            b["user"]["userId"].as_str().unwrap().into(),
            b["refreshToken"].as_str().unwrap().into(),
        )
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{}", self.url, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Create an event (UPCOMING), with `extra` fields merged into the body.
    pub async fn create_event(&self, admin: &str, extra: Value) -> Value {
        let mut body = json!({
            "eventName": "Test Concert", "description": "A test", "category": "CONCERT", "venueName": "Test Arena",
            "city": "Lisbon", "eventDate": "2030-06-01T20:00:00Z", "saleStartTime": "2030-05-01T10:00:00Z", "tags": ["rock"],
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let (s, ev) = self.post("/api/events", Some(admin), body).await;
        assert_eq!(s, StatusCode::CREATED, "{ev}");
        ev
    }

    /// An event on sale with `rows` rows of `per_row` seats in section A at 50.00.
    pub async fn event_on_sale(&self, admin: &str, rows: i64, per_row: i64) -> String {
        let ev = self.create_event(admin, json!({})).await;
        let id = ev["eventId"].as_str().unwrap().to_string();
        let layout = json!({"sections": [{"section": "A", "seatType": "REGULAR", "price": 50.00,
            "rows": (1..=rows).map(|r| json!({"rowNumber": r, "seats": per_row})).collect::<Vec<_>>()}]});
        let (s, b) = self.put(&format!("/api/inventory/events/{id}/seats"), Some(admin), layout).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, b) = self.put(&format!("/api/events/{id}/status"), Some(admin), json!({"status": "ON_SALE"})).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        id
    }

    pub async fn seat_numbers(&self, event_id: &str) -> Vec<String> {
        let (s, b) = self.get(&format!("/api/inventory/events/{event_id}/seats"), None).await;
        assert_eq!(s, StatusCode::OK);
        b["seats"].as_array().unwrap().iter().map(|s| s["seatNumber"].as_str().unwrap().to_string()).collect()
    }
}

/// Assert the contract's error shape and code.
/// A reservation that lost a race is refused with 409: the seats are taken, or, once the events
/// service has seen the last seat go and marked the event SOLD_OUT, the sale is over.
pub fn lost_the_race(body: &Value) -> bool {
    body["error"] == "SEAT_UNAVAILABLE"
        || (body["error"] == "EVENT_NOT_ON_SALE" && body["message"].as_str().unwrap_or_default().contains("SOLD_OUT"))
}

pub fn assert_error(status: StatusCode, body: &Value, want_status: u16, code: &str) {
    assert_eq!(status.as_u16(), want_status, "body: {body}");
    assert_eq!(body["error"], code, "body: {body}");
    assert!(body["message"].is_string(), "error without message: {body}");
}

/// A card the simulated gateway always accepts.
pub const GOOD_CARD: &str = "4242424242424242";

impl TestApp {
    /// Hold these seats and pay for them with a good card; the booking (CONFIRMED).
    pub async fn buy(&self, token: &str, event_id: &str, seats: &[&str]) -> Value {
        let (s, r) = self.post("/api/inventory/reservations", Some(token), json!({"eventId": event_id, "seatNumbers": seats})).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let ids: Vec<&str> = r["reservations"].as_array().unwrap().iter().map(|x| x["reservationId"].as_str().unwrap()).collect();
        self.pay(token, &ids).await
    }

    /// Pay for holds with a good card; the booking (CONFIRMED).
    pub async fn pay(&self, token: &str, reservation_ids: &[&str]) -> Value {
        let card = json!({"type": "CREDIT_CARD", "cardNumber": GOOD_CARD, "expiryMonth": 12, "expiryYear": 2099, "cvv": "123"});
        let body = json!({"reservationIds": reservation_ids, "paymentMethod": card, "idempotencyKey": common::ids::new_id()});
        let (s, b) = self.post("/api/bookings/confirm", Some(token), body).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["status"], "CONFIRMED", "{b}");
        b
    }
}

/// Two nodes on one fresh MariaDB (and Redis): processes of one platform. `None` (the test is
/// skipped, and says so) when the environment has neither.
pub async fn two_shared_nodes() -> Option<(TestApp, TestApp)> {
    let (Some(base), Some(_)) = (mysql_url(), redis_url()) else {
        eprintln!("skipped: TICKETING_TEST_MYSQL_URL / TICKETING_TEST_REDIS_URL not set");
        return None;
    };
    let db = fresh_mysql(&base);
    Some((spawn_shared(&db, |_| {}).await, spawn_shared(&db, |_| {}).await))
}

/// The platform's own audit (`ticketing audit`, shared/API.md §15) over this node's databases.
pub async fn audit(app: &TestApp) -> server::audit::Report {
    let cfg = common::config::Config::for_tests(app.dir.path().to_path_buf());
    let report = server::audit::Sources::open(&cfg, &app.node.services).await.unwrap().run().await.unwrap();
    assert!(report.ok, "{:?}", report.violations);
    report
}
