//! Security checks as tests (issue 10): what one user may see of another's, what a user's token may
//! reach, tokens that are not ours on every service (auth.rs covers /api/auth/me, the events admin
//! calls and the reservations list), login failures (alike, and rate limited), and no secret in the
//! logs of a whole flow.

use crate::helpers::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use common::config::Secret;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const CARD_OK: &str = "4242424242424242";

fn card() -> Value {
    json!({"type": "CREDIT_CARD", "cardNumber": CARD_OK, "expiryMonth": 12, "expiryYear": 2099, "cvv": "123", "cardholderName": "Fan"})
}

async fn reserve(app: &TestApp, token: &str, event: &str, seats: &[&str]) -> Vec<String> {
    let (s, b) = app.post("/api/inventory/reservations", Some(token), json!({"eventId": event, "seatNumbers": seats})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["reservations"].as_array().unwrap().iter().map(|r| r["reservationId"].as_str().unwrap().to_string()).collect()
}

async fn confirm(app: &TestApp, token: &str, key: &str, ids: &[String]) -> (StatusCode, Value) {
    let resp = app
        .http
        .post(format!("{}/api/bookings/confirm", app.url))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({"reservationIds": ids, "paymentMethod": card()}))
        .send()
        .await
        .unwrap();
    let s = resp.status();
    (s, resp.json().await.unwrap_or(Value::Null))
}

fn denied(s: StatusCode, b: &Value, what: &str) {
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND, "{what}: {s} {b}");
    assert!(b["error"] == "FORBIDDEN" || b["error"] == "NOT_FOUND", "{what}: {b}");
    assert!(b["message"].is_string(), "{what}: {b}");
}

#[tokio::test]
async fn another_users_reservation_booking_payment_and_notifications_are_out_of_reach() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 6).await;
    let (alice, _, _) = app.new_user("alice@example.com").await;
    let (mallory, _, _) = app.new_user("mallory@example.com").await;

    let held = reserve(&app, &alice, &event, &["A-1-1"]).await;
    let paid = reserve(&app, &alice, &event, &["A-1-2"]).await;
    let (s, booking) = confirm(&app, &alice, "alice-1", &paid).await;
    assert_eq!(s, StatusCode::CREATED, "{booking}");
    let booking_id = booking["bookingId"].as_str().unwrap();
    let payment_id = booking["paymentId"].as_str().unwrap();
    let r = &held[0];

    let (s, b) = app.get(&format!("/api/inventory/reservations/{r}"), Some(&mallory)).await;
    denied(s, &b, "reading another's reservation");
    let (s, b) = app.delete(&format!("/api/inventory/reservations/{r}"), Some(&mallory)).await;
    denied(s, &b, "cancelling another's reservation");
    let (s, b) = app.post("/api/inventory/reservations/cancel", Some(&mallory), json!({"reservationIds": [r]})).await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND || (s == StatusCode::OK && b["cancelled"] == 0),
        "bulk cancel of another's: {s} {b}"
    );
    let (s, b) = confirm(&app, &mallory, "mallory-1", &held).await;
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND || s == StatusCode::CONFLICT, "paying for another's hold: {s} {b}");
    let (s, b) = app.get(&format!("/api/bookings/{booking_id}"), Some(&mallory)).await;
    denied(s, &b, "reading another's booking");
    let (s, b) = app.post(&format!("/api/bookings/{booking_id}/cancel"), Some(&mallory), json!({})).await;
    denied(s, &b, "cancelling another's booking");
    let (s, b) = app.get(&format!("/api/payment/{payment_id}"), Some(&mallory)).await;
    denied(s, &b, "reading another's payment");

    // Lists show the caller's own only.
    let (_, b) = app.get("/api/inventory/reservations/me", Some(&mallory)).await;
    assert_eq!(b["reservations"], json!([]), "{b}");
    let (_, b) = app.get("/api/bookings/me", Some(&mallory)).await;
    // At most her own refused attempt: nothing of alice's, nothing confirmed.
    for mine in b["bookings"].as_array().unwrap() {
        assert_ne!(mine["bookingId"], booking["bookingId"], "{b}");
        assert_ne!(mine["status"], "CONFIRMED", "{b}");
    }

    // Alice's things are untouched, and her notification is hers alone.
    let (s, b) = app.get(&format!("/api/inventory/reservations/{r}"), Some(&alice)).await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("ACTIVE")), "{b}");
    let (s, b) = app.get(&format!("/api/bookings/{booking_id}"), Some(&alice)).await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("CONFIRMED")), "{b}");
    let mut alice_has_mail = false;
    for _ in 0..50 {
        let (_, b) = app.get("/api/notifications/me", Some(&alice)).await;
        if b["notifications"].as_array().is_some_and(|n| !n.is_empty()) {
            alice_has_mail = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(alice_has_mail, "alice got no notification");
    let (s, b) = app.get("/api/notifications/me", Some(&mallory)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["notifications"], json!([]), "mallory sees: {b}");
}

#[tokio::test]
async fn user_and_admin_tokens_cannot_reach_internal_endpoints() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (user, user_id, _) = app.new_user("fan@example.com").await;
    let hold = json!({"reservationIds": ["x"], "userId": user_id, "bookingId": "b"});
    let calls: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "/internal/auth/users/someone", None),
        (Method::GET, "/internal/events/outbox", None),
        (Method::GET, "/internal/inventory/outbox", None),
        (Method::GET, "/internal/inventory/events/x/counts", None),
        (Method::POST, "/internal/inventory/reservations/confirm", Some(hold.clone())),
        (Method::POST, "/internal/inventory/reservations/release", Some(hold.clone())),
        (Method::POST, "/internal/inventory/reservations/free", Some(hold.clone())),
        (Method::POST, "/internal/inventory/cleanup", Some(json!({}))),
        (Method::GET, "/internal/bookings/outbox", None),
        (Method::GET, "/internal/bookings/events/x/holders", None),
        (
            Method::POST,
            "/internal/payment/charges",
            Some(json!({"idempotencyKey": "k", "userId": user_id, "bookingId": "b", "amount": 1, "currency": "USD", "card": card()})),
        ),
        (Method::POST, "/internal/payment/charges/settle", Some(json!({"idempotencyKey": "k", "userId": user_id, "bookingId": "b"}))),
        (Method::GET, "/internal/payment/payments/x", None),
        (Method::POST, "/internal/payment/payments/x/refund", Some(json!({}))),
    ];
    for (m, p, body) in &calls {
        for (who, token) in [("user", Some(user.as_str())), ("admin", Some(admin.as_str())), ("anonymous", None)] {
            let (s, b) = app.call(m.clone(), p, token, body.clone()).await;
            assert!(matches!(s.as_u16(), 401 | 403 | 404) && b["error"].is_string(), "{who} reached {m} {p}: {s} {b}");
            if token.is_some() {
                denied(s, &b, &format!("{who} on {m} {p}"));
            }
        }
    }
    // The admin API stays closed to a user (auth.rs covers events and layouts the same way).
    let (s, b) = app.post("/api/events", Some(&user), json!({"eventName": "X"})).await;
    assert_error(s, &b, 403, "FORBIDDEN");
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

#[tokio::test]
async fn tokens_that_are_not_ours_are_401_on_every_service() {
    let app = spawn_app_with(|c| c.jwt_secret = Some(Secret::new(JWT_SECRET))).await;
    let (user, user_id, _) = app.new_user("fan@example.com").await;
    let t = chrono::Utc::now().timestamp();
    let admin_claims = json!({"sub": user_id, "role": "ADMIN", "iat": t, "exp": t + 600, "iss": "ticketing"});
    let enc = |v: &Value| B64.encode(serde_json::to_vec(v).unwrap());
    let parts: Vec<&str> = user.split('.').collect();
    let mut tampered: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    tampered["role"] = json!("ADMIN");
    tampered["exp"] = json!(t + 86_400);
    let tokens = [
        ("another secret", sign(&admin_claims, "another-secret-another-secret-0123456789")),
        ("alg none", format!("{}.{}.", enc(&json!({"alg": "none", "typ": "JWT"})), enc(&admin_claims))),
        ("tampered claims", format!("{}.{}.{}", parts[0], enc(&tampered), parts[2])),
        ("expired", sign(&json!({"sub": user_id, "role": "USER", "iat": t - 7200, "exp": t - 1, "iss": "ticketing"}), JWT_SECRET)),
    ];
    // Control: a real token reaches every one of these (not 401).
    let calls: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "/api/bookings/me", None),
        (Method::GET, "/api/bookings/some-booking", None),
        (Method::POST, "/api/bookings/some-booking/cancel", Some(json!({}))),
        (Method::POST, "/api/bookings/confirm", Some(json!({"reservationIds": ["x"], "paymentMethod": card()}))),
        (Method::GET, "/api/payment/some-payment", None),
        (Method::GET, "/api/notifications/me", None),
        (Method::POST, "/api/inventory/reservations", Some(json!({"eventId": "e", "quantity": 1}))),
        (Method::GET, "/api/inventory/reservations/some-reservation", None),
        (Method::DELETE, "/api/inventory/reservations/some-reservation", None),
        (Method::POST, "/api/inventory/reservations/cancel", Some(json!({"reservationIds": ["x"]}))),
        (Method::PUT, "/api/inventory/events/e/seats", Some(json!({"sections": []}))),
        (Method::POST, "/api/auth/logout", Some(json!({"refreshToken": "x"}))),
        (Method::GET, "/api/search?q=rock", None),
    ];
    for (m, p, body) in &calls {
        let (s, b) = app.call(m.clone(), p, Some(&user), body.clone()).await;
        assert_ne!(s, StatusCode::UNAUTHORIZED, "control {m} {p}: {b}");
        for (what, token) in &tokens {
            let (s, b) = app.call(m.clone(), p, Some(token), body.clone()).await;
            assert_error(s, &b, 401, "UNAUTHORIZED");
            let _ = what;
        }
    }
}

#[tokio::test]
async fn login_failures_reveal_nothing_and_are_rate_limited_per_email_and_client() {
    let app = spawn_app().await;
    app.new_user("fan@example.com").await;
    let login = |email: &'static str, pw: &'static str| {
        let http = app.http.clone();
        let url = format!("{}/api/auth/login", app.url);
        async move {
            let r = http.post(url).json(&json!({"email": email, "password": pw})).send().await.unwrap();
            let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
            (r.status(), retry, r.json::<Value>().await.unwrap())
        }
    };
    // Wrong password and unknown email: the same answer, and the same limit.
    for email in ["fan@example.com", "nobody@example.com"] {
        let mut first = None;
        for i in 0..10 {
            let (s, _, b) = login(email, "wrong-password").await;
            assert_error(s, &b, 401, "UNAUTHORIZED");
            if let Some(f) = &first {
                assert_eq!(&b, f, "attempt {i} answered differently");
            }
            first = Some(b);
        }
        let (s, retry, b) = login(email, "wrong-password").await;
        assert_error(s, &b, 429, "RATE_LIMITED");
        let secs: u64 = retry.expect("Retry-After").parse().unwrap();
        assert!((1..=60).contains(&secs), "Retry-After {secs}");
    }
    // Limited even with the right password now; other accounts are not.
    let (s, _, b) = login("fan@example.com", "password123").await;
    assert_error(s, &b, 429, "RATE_LIMITED");
    app.new_user("other@example.com").await;
    let (s, _, b) = login("other@example.com", "password123").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // A success clears the count: nine failures, a success, nine more are all 401.
    app.new_user("third@example.com").await;
    for _ in 0..9 {
        let (s, _, _) = login("third@example.com", "wrong-password").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, _) = login("third@example.com", "password123").await;
    assert_eq!(s, StatusCode::OK);
    for _ in 0..9 {
        let (s, _, _) = login("third@example.com", "wrong-password").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
}

/// A JSON call against a base URL: (status, body).
async fn call(
    http: &reqwest::Client,
    m: Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
    key: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = http.request(m, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request sent");
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// The real binary (`target/debug/ticketing serve`, built with the workspace) at RUST_LOG=debug:
/// a whole flow, then its stdout and stderr must hold no card number, cvv, password or token.
#[tokio::test]
async fn no_card_number_cvv_password_or_token_in_the_logs_of_a_full_flow() {
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/ticketing");
    assert!(bin.exists(), "{} is missing: cargo build -p cli (cargo test --workspace builds it)", bin.display());
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = std::process::Command::new(&bin)
        .arg("serve")
        .env("TICKETING_BIND", "127.0.0.1")
        .env("TICKETING_PORT", port.to_string())
        .env("TICKETING_DATA_DIR", dir.path())
        .env("TICKETING_WEB_DIR", dir.path().join("no-web"))
        .env("TICKETING_RATE_LIMIT_PER_MINUTE", "0")
        .env("TICKETING_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("TICKETING_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("TICKETING_PAYMENT_SUCCESS_RATE", "1")
        .env("RUST_LOG", "debug")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("the binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if http.get(format!("{base}/ready")).send().await.is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if !up {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server did not come up: {}", std::fs::read_to_string(&log_path).unwrap_or_default());
    }
    let u = |p: &str| format!("{base}{p}");

    const PASSWORD: &str = "Sup3r-Secret-Passw0rd!";
    const CVV: &str = "937";
    const NUMBER: &str = "4242424242424242";
    let (s, b) =
        call(&http, Method::POST, u("/api/auth/login"), None, Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let admin = b["accessToken"].as_str().unwrap().to_string();
    let ev = json!({"eventName": "Log Test", "category": "CONCERT", "venueName": "Arena", "city": "Lisbon",
        "eventDate": "2030-06-01T20:00:00Z", "saleStartTime": "2030-05-01T10:00:00Z"});
    let (s, b) = call(&http, Method::POST, u("/api/events"), Some(&admin), Some(ev), None).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let event = b["eventId"].as_str().unwrap().to_string();
    let layout = json!({"sections": [{"section": "A", "seatType": "REGULAR", "price": 50, "rows": [{"rowNumber": 1, "seats": 4}]}]});
    let (s, b) = call(&http, Method::PUT, u(&format!("/api/inventory/events/{event}/seats")), Some(&admin), Some(layout), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) =
        call(&http, Method::PUT, u(&format!("/api/events/{event}/status")), Some(&admin), Some(json!({"status": "ON_SALE"})), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");

    let (s, b) = call(
        &http,
        Method::POST,
        u("/api/auth/register"),
        None,
        Some(json!({"email": "secret@example.com", "password": PASSWORD, "name": "Fan"})),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, _) = call(
        &http,
        Method::POST,
        u("/api/auth/login"),
        None,
        Some(json!({"email": "secret@example.com", "password": "Wrong-Passw0rd-Xyz"})),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) =
        call(&http, Method::POST, u("/api/auth/login"), None, Some(json!({"email": "secret@example.com", "password": PASSWORD})), None)
            .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let access = b["accessToken"].as_str().unwrap().to_string();
    let refresh = b["refreshToken"].as_str().unwrap().to_string();
    let (s, b) = call(&http, Method::POST, u("/api/auth/refresh"), None, Some(json!({"refreshToken": refresh})), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let access2 = b["accessToken"].as_str().unwrap().to_string();
    let refresh2 = b["refreshToken"].as_str().unwrap().to_string();
    let (s, b) = call(
        &http,
        Method::POST,
        u("/api/inventory/reservations"),
        Some(&access),
        Some(json!({"eventId": event, "seatNumbers": ["A-1-1", "A-1-2"]})),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let ids: Vec<Value> = b["reservations"].as_array().unwrap().iter().map(|r| r["reservationId"].clone()).collect();
    let card = json!({"type": "CREDIT_CARD", "cardNumber": NUMBER, "expiryMonth": 12, "expiryYear": 2099, "cvv": CVV});
    let (s, booking) = call(
        &http,
        Method::POST,
        u("/api/bookings/confirm"),
        Some(&access2),
        Some(json!({"reservationIds": ids, "paymentMethod": card})),
        Some("log-flow-1"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{booking}");
    let id = booking["bookingId"].as_str().unwrap();
    let (s, b) = call(&http, Method::POST, u(&format!("/api/bookings/{id}/cancel")), Some(&access), Some(json!({})), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // A card the Luhn check refuses.
    let (s, b) = call(
        &http,
        Method::POST,
        u("/api/inventory/reservations"),
        Some(&access),
        Some(json!({"eventId": event, "seatNumbers": ["A-1-3"]})),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let ids: Vec<Value> = b["reservations"].as_array().unwrap().iter().map(|r| r["reservationId"].clone()).collect();
    let bad = json!({"type": "CREDIT_CARD", "cardNumber": "4242424242424241", "expiryMonth": 12, "expiryYear": 2099, "cvv": CVV});
    let (s, _) = call(
        &http,
        Method::POST,
        u("/api/bookings/confirm"),
        Some(&access),
        Some(json!({"reservationIds": ids, "paymentMethod": bad})),
        Some("log-flow-2"),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(&http, Method::POST, u("/api/auth/logout"), Some(&access), Some(json!({"refreshToken": refresh2})), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let _ = child.kill();
    let _ = child.wait();

    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(text.lines().count() > 20 && text.contains("/api/bookings/confirm"), "the logs show no requests:\n{text}");
    for (what, secret) in [
        ("card number", NUMBER),
        ("refused card number", "4242424242424241"),
        ("password", PASSWORD),
        ("wrong password", "Wrong-Passw0rd-Xyz"),
        ("admin password", ADMIN_PASSWORD),
        ("access token", access.as_str()),
        ("refreshed access token", access2.as_str()),
        ("admin token", admin.as_str()),
        ("refresh token", refresh.as_str()),
        ("rotated refresh token", refresh2.as_str()),
        ("token signature", access.rsplit('.').next().unwrap()),
    ] {
        assert!(!text.contains(secret), "the {what} appears in the logs");
    }
    for line in text.lines() {
        let l = line.to_lowercase();
        assert!(!(l.contains("cvv") && l.contains(CVV)), "the cvv appears in the logs: {line}");
        assert!(!l.contains(&format!("\"{CVV}\"")), "the cvv appears in the logs: {line}");
    }
}
