//! Booking and payment through the gateway: the saga, idempotency, compensation, cancellation,
//! webhooks and crash recovery.

use crate::helpers::*;
use futures::future::join_all;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const OK: &str = "4242424242424242";
const DECLINED: &str = "4000000000000002";
const NO_FUNDS: &str = "4000000000009995";
const WEBHOOK_SECRET: &str = "webhook-secret-webhook-secret-0123456789";

fn card(number: &str) -> Value {
    json!({"type": "CREDIT_CARD", "cardNumber": number, "expiryMonth": 12, "expiryYear": 2099, "cvv": "123", "cardholderName": "Fan"})
}

/// Reserve named seats; returns the reservation ids.
async fn reserve(app: &TestApp, token: &str, event: &str, seats: &[String]) -> Vec<String> {
    let (s, b) = app.post("/api/inventory/reservations", Some(token), json!({"eventId": event, "seatNumbers": seats})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["reservations"].as_array().unwrap().iter().map(|r| r["reservationId"].as_str().unwrap().to_string()).collect()
}

async fn confirm_raw(http: &reqwest::Client, url: &str, token: &str, key: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req = http.post(format!("{url}/api/bookings/confirm")).bearer_auth(token).json(&body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let resp = req.send().await.expect("sent");
    let s = resp.status();
    (s, resp.json().await.unwrap_or(Value::Null))
}

async fn confirm(app: &TestApp, token: &str, key: &str, ids: &[String], number: &str) -> (StatusCode, Value) {
    confirm_raw(&app.http, &app.url, token, Some(key), json!({"reservationIds": ids, "paymentMethod": card(number)})).await
}

async fn seat_status(app: &TestApp, event: &str) -> std::collections::HashMap<String, String> {
    let (s, b) = app.get(&format!("/api/inventory/events/{event}/seats"), None).await;
    assert_eq!(s, StatusCode::OK);
    b["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["seatNumber"].as_str().unwrap().to_string(), s["status"].as_str().unwrap().to_string()))
        .collect()
}

/// Payments the gateway really attempted (not the fences written when settling an unknown key).
async fn payments(app: &TestApp) -> Vec<(String, String, Option<String>)> {
    let db = app.node.services.payment.as_ref().expect("payment runs here").db().clone();
    store::run!(db.read(), p => sqlx::query_as(
        "SELECT payment_id, status, booking_id FROM payments WHERE decline_code IS NULL OR decline_code <> 'ABANDONED'")
        .fetch_all(p).await)
    .unwrap()
}

async fn outbox_count(db: &store::Db, event_type: &str) -> i64 {
    let (n,): (i64,) = store::run!(db.read(), p => sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE event_type = ?")
        .bind(event_type).fetch_one(p).await)
    .unwrap();
    n
}

/// The payment service's webhooks of one kind (`payment.refunded`): one per move of a payment.
async fn webhook_count(db: &store::Db, event_type: &str) -> i64 {
    let (n,): (i64,) = store::run!(db.read(), p => sqlx::query_as("SELECT COUNT(*) FROM webhook_deliveries WHERE event_type = ?")
        .bind(event_type).fetch_one(p).await)
    .unwrap();
    n
}

/// Every successful charge belongs to a confirmed booking or was refunded; every confirmed booking
/// has a successful charge; no booking is left in an intermediate step.
async fn assert_ledger(app: &TestApp) {
    let bdb = app.node.services.booking.as_ref().unwrap().db().clone();
    let rows: Vec<(String, String, String, Option<String>, String)> = store::run!(bdb.read(), p => sqlx::query_as(
        "SELECT booking_id, status, step, payment_id, payment_status FROM bookings").fetch_all(p).await)
    .unwrap();
    let pays = payments(app).await;
    for (id, status, step, pid, pstatus) in &rows {
        assert_eq!(step, "DONE", "booking {id} left at {step}");
        let pay = pid.as_ref().and_then(|p| pays.iter().find(|x| &x.0 == p));
        match status.as_str() {
            "CONFIRMED" => assert_eq!(pay.map(|p| p.1.as_str()), Some("SUCCESS"), "confirmed {id} without a charge"),
            "CANCELLED" => assert_eq!(pay.map(|p| p.1.as_str()), Some("REFUNDED")),
            "FAILED" => assert!(pay.is_none_or(|p| p.1 == "FAILED" || p.1 == "REFUNDED"), "failed {id} kept money: {pstatus}"),
            other => panic!("booking {id} is {other}"),
        }
    }
    for (pid, status, booking) in &pays {
        if status == "SUCCESS" {
            let b = rows.iter().find(|r| Some(&r.0) == booking.as_ref()).expect("a charge belongs to a booking");
            assert_eq!(b.1, "CONFIRMED", "payment {pid} charged without seats");
        }
    }
}

async fn wait_for<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn confirm_books_the_seats_and_replays_after_a_restart() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 2, 10).await;
    let seats = app.seat_numbers(&event).await;
    let (token, user_id, _) = app.new_user("buyer@example.com").await;
    let ids = reserve(&app, &token, &event, &seats[..2]).await;

    let (s, b) = confirm(&app, &token, "key-1", &ids, OK).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["status"], "CONFIRMED");
    assert_eq!(b["paymentStatus"], "SUCCESS");
    assert_eq!(b["userId"], user_id.as_str());
    assert_eq!(b["eventId"], event.as_str());
    assert_eq!(b["totalAmount"], json!(100.0));
    assert_eq!(b["seats"].as_array().unwrap().len(), 2);
    let reference = b["bookingReference"].as_str().unwrap().to_string();
    assert_eq!(reference.len(), 8);
    assert!(b["confirmedAt"].is_string());
    let booking_id = b["bookingId"].as_str().unwrap().to_string();
    let st = seat_status(&app, &event).await;
    assert_eq!(st[&seats[0]], "BOOKED");
    assert_eq!(st[&seats[1]], "BOOKED");
    let (s, r) = app.get(&format!("/api/inventory/reservations/{}", ids[0]), Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["status"], "CONFIRMED");

    // The payment: owner or admin; only the last four digits.
    let pid = b["paymentId"].as_str().unwrap().to_string();
    let (s, p) = app.get(&format!("/api/payment/{pid}"), Some(&token)).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["status"], "SUCCESS");
    assert_eq!(p["cardLast4"], "4242");
    assert_eq!(p["amount"], json!(100.0));
    assert!(p["transactionId"].is_string() && p["processedAt"].is_string());
    assert!(!p.to_string().contains("4242424242424242"));
    let (other, _, _) = app.new_user("other@example.com").await;
    let (s, e) = app.get(&format!("/api/payment/{pid}"), Some(&other)).await;
    assert_error(s, &e, 403, "FORBIDDEN");
    let (s, _) = app.get(&format!("/api/payment/{pid}"), Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = app.get(&format!("/api/bookings/{booking_id}"), Some(&other)).await;
    assert_error(s, &e, 403, "FORBIDDEN");
    let (s, e) = app.get("/api/bookings/nope", Some(&token)).await;
    assert_error(s, &e, 404, "NOT_FOUND");

    // Replay: same booking, 200, no second charge; key in the body works too.
    let (s, again) = confirm(&app, &token, "key-1", &ids, OK).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["bookingId"], booking_id.as_str());
    let (s, again) = confirm_raw(
        &app.http,
        &app.url,
        &token,
        None,
        json!({"idempotencyKey": "key-1", "reservationIds": ids, "paymentMethod": card(OK)}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(payments(&app).await.len(), 1);
    // Same key, another request.
    let (s, e) = confirm(&app, &token, "key-1", &ids[..1], OK).await;
    assert_error(s, &e, 422, "IDEMPOTENCY_KEY_REUSED");
    // The key is the user's: another user with the same key is a new request (and not the owner).
    let (s, e) = confirm(&app, &other, "key-1", &ids, OK).await;
    assert_error(s, &e, 403, "FORBIDDEN");

    // Restart on the same data dir: the replay still answers the same booking.
    let TestApp { node, dir, .. } = app;
    node.stop().await;
    let app = start(test_config(dir.path()), dir).await;
    let (s, again) = confirm(&app, &token, "key-1", &ids, OK).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["bookingId"], booking_id.as_str());
    assert_eq!(again["bookingReference"], reference.as_str());
    let (s, list) = app.get("/api/bookings/me", Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["bookings"].as_array().unwrap().len(), 1);
    assert_eq!(payments(&app).await.len(), 1);
    assert_ledger(&app).await;
}

#[tokio::test]
async fn bad_requests_are_refused_before_anything_happens() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 10).await;
    let seats = app.seat_numbers(&event).await;
    let (token, _, _) = app.new_user("buyer@example.com").await;
    let ids = reserve(&app, &token, &event, &seats[..1]).await;
    let body = json!({"reservationIds": ids, "paymentMethod": card(OK)});

    let (s, e) = confirm_raw(&app.http, &app.url, &token, None, body.clone()).await;
    assert_error(s, &e, 400, "IDEMPOTENCY_KEY_MISSING");
    let (s, e) = confirm(&app, &token, "k", &ids, "4242424242424241").await;
    assert_error(s, &e, 400, "VALIDATION_ERROR");
    for bad in [
        json!({"reservationIds": ids}),
        json!({"reservationIds": [], "paymentMethod": card(OK)}),
        json!({"reservationIds": "x", "paymentMethod": card(OK)}),
        json!({"reservationIds": ids, "paymentMethod": {"type": "CREDIT_CARD", "cardNumber": OK, "expiryMonth": 13, "expiryYear": 2099, "cvv": "123"}}),
        json!({"reservationIds": ids, "paymentMethod": {"type": "CREDIT_CARD", "cardNumber": OK, "expiryMonth": 1, "expiryYear": 2020, "cvv": "123"}}),
        json!({"reservationIds": ids, "paymentMethod": {"type": "CREDIT_CARD", "cardNumber": OK, "expiryMonth": 1, "expiryYear": 2099, "cvv": "12"}}),
        json!({"reservationIds": ids, "paymentMethod": {"type": "CREDIT_CARD", "cardNumber": OK, "expiryMonth": "x", "expiryYear": 2099, "cvv": "123"}}),
        json!({"reservationIds": ids, "paymentMethod": {"type": "PAYPAL", "cardNumber": OK, "expiryMonth": 1, "expiryYear": 2099, "cvv": "123"}}),
    ] {
        let (s, e) = confirm_raw(&app.http, &app.url, &token, Some("k2"), bad.clone()).await;
        assert_error(s, &e, 400, "VALIDATION_ERROR");
    }
    // `field` names the field, never echoes a value (a card number sent as a number included).
    for (bad, field) in [
        (
            json!({"type": "CREDIT_CARD", "cardNumber": OK, "expiryMonth": "x", "expiryYear": 2099, "cvv": "123"}),
            "paymentMethod.expiryMonth",
        ),
        (json!({"type": "CREDIT_CARD", "cardNumber": OK, "expiryMonth": 1, "expiryYear": -1, "cvv": "123"}), "paymentMethod.expiryYear"),
        (
            json!({"type": "CREDIT_CARD", "cardNumber": 4242424242424242u64, "expiryMonth": 1, "expiryYear": 2099, "cvv": "123"}),
            "paymentMethod.cardNumber",
        ),
        (json!({"type": "CREDIT_CARD", "cardNumber": OK, "expiryMonth": 1, "expiryYear": 2099}), "paymentMethod.cvv"),
    ] {
        let (s, e) = confirm_raw(&app.http, &app.url, &token, Some("k2"), json!({"reservationIds": ids, "paymentMethod": bad})).await;
        assert_error(s, &e, 400, "VALIDATION_ERROR");
        assert_eq!(e["field"], field, "{e}");
        assert!(!e.to_string().contains("4242424242424242"), "the card number is echoed: {e}");
    }
    let resp = app
        .http
        .post(format!("{}/api/bookings/confirm", app.url))
        .bearer_auth(&token)
        .header("Idempotency-Key", "k3")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let (s, e) = confirm_raw(&app.http, &app.url, "bad-token", Some("k"), body).await;
    assert_error(s, &e, 401, "UNAUTHORIZED");
    assert!(payments(&app).await.is_empty());
    // The hold is untouched and can still be booked.
    let (s, b) = confirm(&app, &token, "k4", &ids, OK).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

#[tokio::test]
async fn twenty_concurrent_confirms_with_one_key_make_one_booking_and_one_charge() {
    let app = spawn_app_with(|c| c.payment_latency_ms = common::config::LatencyRange { min_ms: 300, max_ms: 300 }).await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 10).await;
    let seats = app.seat_numbers(&event).await;
    let (token, _, _) = app.new_user("buyer@example.com").await;
    let ids = reserve(&app, &token, &event, &seats[..3]).await;
    let body = json!({"reservationIds": ids, "paymentMethod": card(OK)});
    let tasks = (0..20).map(|_| {
        let (http, url, token, body) = (app.http.clone(), app.url.clone(), token.clone(), body.clone());
        tokio::spawn(async move { confirm_raw(&http, &url, &token, Some("same-key"), body).await })
    });
    let results: Vec<(StatusCode, Value)> = join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
    let created: Vec<&Value> = results.iter().filter(|r| r.0 == StatusCode::CREATED).map(|r| &r.1).collect();
    assert_eq!(created.len(), 1, "{results:?}");
    let id = created[0]["bookingId"].as_str().unwrap();
    for (s, b) in &results {
        match s.as_u16() {
            201 => {}
            200 => assert_eq!(b["bookingId"], id),
            409 => assert_eq!(b["error"], "IDEMPOTENCY_KEY_IN_USE", "{b}"),
            other => panic!("unexpected {other}: {b}"),
        }
    }
    assert_eq!(payments(&app).await.len(), 1);
    let (s, list) = app.get("/api/bookings/me", Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["bookings"].as_array().unwrap().len(), 1);
    let (s, b) = confirm_raw(&app.http, &app.url, &token, Some("same-key"), body).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["bookingId"], id);
    assert_ledger(&app).await;
}

#[tokio::test]
async fn a_client_that_drops_the_connection_mid_charge_still_gets_its_booking() {
    // The charge takes 1.5 s; the fan's connection goes after 0.3 s (a train enters a tunnel).
    let app = spawn_app_with(|c| c.payment_latency_ms = common::config::LatencyRange { min_ms: 1500, max_ms: 1500 }).await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 10).await;
    let seats = app.seat_numbers(&event).await;
    let (token, _, _) = app.new_user("tunnel@example.com").await;
    let ids = reserve(&app, &token, &event, &seats[..2]).await;
    let body = json!({"reservationIds": ids, "paymentMethod": card(OK)});
    let quick = reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
    let dropped = quick
        .post(format!("{}/api/bookings/confirm", app.url))
        .bearer_auth(&token)
        .header("Idempotency-Key", "tunnel")
        .json(&body)
        .send()
        .await;
    assert!(dropped.is_err_and(|e| e.is_timeout()), "the client should have given up first");
    // The saga goes on without the client: within seconds the booking is CONFIRMED.
    wait_for("the abandoned confirmation to finish", || async {
        let (_, list) = app.get("/api/bookings/me", Some(&token)).await;
        list["bookings"].as_array().is_some_and(|b| b.len() == 1 && b[0]["status"] == "CONFIRMED")
    })
    .await;
    let status = seat_status(&app, &event).await;
    assert!(seats[..2].iter().all(|n| status[n] == "BOOKED"), "{status:?}");
    // The fan comes back with the same key and gets the final answer.
    let (s, b) = confirm_raw(&app.http, &app.url, &token, Some("tunnel"), body).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "CONFIRMED");
    assert_eq!(payments(&app).await.len(), 1);
    assert_ledger(&app).await;
}

#[tokio::test]
async fn the_same_holds_confirmed_under_many_keys_at_once_are_charged_once() {
    let app = spawn_app_with(|c| c.payment_latency_ms = common::config::LatencyRange { min_ms: 50, max_ms: 50 }).await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 10).await;
    let seats = app.seat_numbers(&event).await;
    let (token, _, _) = app.new_user("twice@example.com").await;
    let ids = reserve(&app, &token, &event, &seats[..2]).await;
    let body = json!({"reservationIds": ids, "paymentMethod": card(OK)});
    // Ten keys (a double-click, a second tab, a retry after a timeout) race for the same holds.
    let tasks = (0..10).map(|i| {
        let (http, url, token, body) = (app.http.clone(), app.url.clone(), token.clone(), body.clone());
        tokio::spawn(async move { confirm_raw(&http, &url, &token, Some(&format!("key-{i}")), body).await })
    });
    let results: Vec<(StatusCode, Value)> = join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
    let created = results.iter().filter(|r| r.0 == StatusCode::CREATED).count();
    assert_eq!(created, 1, "exactly one key wins: {results:?}");
    for (s, b) in results.iter().filter(|r| r.0 != StatusCode::CREATED) {
        assert_eq!(*s, StatusCode::CONFLICT, "the others are refused: {b}");
    }
    // One charge: the losers were refused before any money moved (or refunded, never kept).
    let charged: Vec<_> = payments(&app).await.into_iter().filter(|p| p.1 == "SUCCESS").collect();
    assert_eq!(charged.len(), 1, "{charged:?}");
    let status = seat_status(&app, &event).await;
    assert!(seats[..2].iter().all(|n| status[n] == "BOOKED"), "{status:?}");
    assert_ledger(&app).await;
}

#[tokio::test]
async fn a_declined_card_frees_the_seats() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 10).await;
    let seats = app.seat_numbers(&event).await;
    let (token, _, _) = app.new_user("buyer@example.com").await;
    for (i, (number, code)) in [(DECLINED, "CARD_DECLINED"), (NO_FUNDS, "INSUFFICIENT_FUNDS")].into_iter().enumerate() {
        let ids = reserve(&app, &token, &event, &seats[i * 2..i * 2 + 2]).await;
        let key = format!("decline-{i}");
        let (s, e) = confirm(&app, &token, &key, &ids, number).await;
        assert_error(s, &e, 402, "PAYMENT_FAILED");
        assert_eq!(e["declineCode"], code);
        let pid = e["paymentId"].as_str().expect("paymentId").to_string();
        let st = seat_status(&app, &event).await;
        assert_eq!(st[&seats[i * 2]], "AVAILABLE");
        assert_eq!(st[&seats[i * 2 + 1]], "AVAILABLE");
        let (_, r) = app.get(&format!("/api/inventory/reservations/{}", ids[0]), Some(&token)).await;
        assert_eq!(r["status"], "CANCELLED");
        let (s, p) = app.get(&format!("/api/payment/{pid}"), Some(&token)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(p["status"], "FAILED");
        assert_eq!(p["declineCode"], code);
        assert_eq!(p["cardLast4"], &number[12..]);
        // A replay answers the same decline, without charging again.
        let (s, again) = confirm(&app, &token, &key, &ids, number).await;
        assert_error(s, &again, 402, "PAYMENT_FAILED");
        assert_eq!(again["paymentId"], pid.as_str());
    }
    assert_eq!(payments(&app).await.len(), 2);
    let (_, list) = app.get("/api/bookings/me", Some(&token)).await;
    assert!(list["bookings"].as_array().unwrap().iter().all(|b| b["status"] == "FAILED" && b["paymentStatus"] == "FAILED"));
    assert_ledger(&app).await;
}

#[tokio::test]
async fn an_expired_or_foreign_reservation_is_refused_with_no_payment() {
    let app = spawn_app_with(|c| c.reservation_ttl_secs = 1).await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 10).await;
    let seats = app.seat_numbers(&event).await;
    let (token, _, _) = app.new_user("buyer@example.com").await;
    let (thief, _, _) = app.new_user("thief@example.com").await;
    let ids = reserve(&app, &token, &event, &seats[..1]).await;
    let (s, e) = confirm(&app, &thief, "t", &ids, OK).await;
    assert_error(s, &e, 403, "FORBIDDEN");
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let (s, e) = confirm(&app, &token, "late", &ids, OK).await;
    assert_error(s, &e, 409, "RESERVATION_EXPIRED");
    let (s, e) = confirm(&app, &token, "unknown", &["no-such-reservation".to_string()], OK).await;
    assert_error(s, &e, 404, "NOT_FOUND");
    assert!(payments(&app).await.is_empty());
    assert_ledger(&app).await;
}

#[tokio::test]
async fn a_hold_cannot_expire_between_charge_and_confirm() {
    let app = spawn_app_with(|c| {
        c.reservation_ttl_secs = 1;
        c.payment_latency_ms = common::config::LatencyRange { min_ms: 2000, max_ms: 2000 };
    })
    .await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 10).await;
    let seats = app.seat_numbers(&event).await;
    let (token, _, _) = app.new_user("buyer@example.com").await;
    let ids = reserve(&app, &token, &event, &seats[..2]).await;
    let (s, b) = confirm(&app, &token, "slow", &ids, OK).await;
    if s == StatusCode::CREATED {
        assert_eq!(b["status"], "CONFIRMED");
        let st = seat_status(&app, &event).await;
        assert_eq!(st[&seats[0]], "BOOKED");
    } else {
        assert_eq!(b["paymentStatus"], "REFUNDED", "{b}");
    }
    // Meanwhile another buyer could not take the seats booked for the payment.
    assert_ledger(&app).await;
}

fn sign(secret: &str, ts: i64, body: &str) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(format!("{ts}.{body}").as_bytes());
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

async fn post_webhook(app: &TestApp, ts: i64, sig: &str, body: &str) -> (StatusCode, Value) {
    let resp = app
        .http
        .post(format!("{}/api/bookings/webhooks/payment", app.url))
        .header("content-type", "application/json")
        .header("X-Webhook-Timestamp", ts.to_string())
        .header("X-Webhook-Signature", sig)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let s = resp.status();
    (s, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn webhooks_are_signed_and_delivered_once() {
    let app = spawn_app_with(|c| c.webhook_secret = Some(common::config::Secret::new(WEBHOOK_SECRET))).await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 10).await;
    let seats = app.seat_numbers(&event).await;
    let (token, _, _) = app.new_user("buyer@example.com").await;
    let ids = reserve(&app, &token, &event, &seats[..1]).await;
    let (s, b) = confirm(&app, &token, "w", &ids, OK).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // The payment service's own webhook reaches the booking service.
    let booking = app.node.services.booking.clone().unwrap();
    wait_for("the payment webhook", || {
        let booking = booking.clone();
        async move { booking.webhook_count().await.unwrap() >= 1 }
    })
    .await;

    let now = chrono::Utc::now().timestamp();
    let body = json!({"id": "wh-test-1", "type": "payment.succeeded", "paymentId": b["paymentId"], "bookingId": b["bookingId"], "status": "SUCCESS", "amount": 50.00, "currency": "USD"}).to_string();
    let (s, e) = post_webhook(&app, now, &sign("wrong-secret", now, &body), &body).await;
    assert_error(s, &e, 401, "UNAUTHORIZED");
    let (s, e) = post_webhook(&app, now - 600, &sign(WEBHOOK_SECRET, now - 600, &body), &body).await;
    assert_error(s, &e, 401, "UNAUTHORIZED");
    let (s, e) = post_webhook(&app, now, "garbage", &body).await;
    assert_error(s, &e, 401, "UNAUTHORIZED");
    let tampered = body.replace("SUCCESS", "FAILED");
    let (s, e) = post_webhook(&app, now, &sign(WEBHOOK_SECRET, now, &body), &tampered).await;
    assert_error(s, &e, 401, "UNAUTHORIZED");
    let before = booking.webhook_count().await.unwrap();
    let (s, r) = post_webhook(&app, now, &sign(WEBHOOK_SECRET, now, &body), &body).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["duplicate"], false);
    let (s, r) = post_webhook(&app, now, &sign(WEBHOOK_SECRET, now, &body), &body).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["duplicate"], true);
    assert_eq!(booking.webhook_count().await.unwrap(), before + 1);
    // The booking is unchanged by webhooks.
    let (_, after) = app.get(&format!("/api/bookings/{}", b["bookingId"].as_str().unwrap()), Some(&token)).await;
    assert_eq!(after["status"], "CONFIRMED");
    // No signature at all.
    let resp = app.http.post(format!("{}/api/bookings/webhooks/payment", app.url)).body(body).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cancel_twice_at_once_refunds_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 10).await;
    let seats = app.seat_numbers(&event).await;
    let (token, _, _) = app.new_user("buyer@example.com").await;
    let (other, _, _) = app.new_user("other@example.com").await;
    let ids = reserve(&app, &token, &event, &seats[..2]).await;
    let (s, b) = confirm(&app, &token, "c", &ids, OK).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["bookingId"].as_str().unwrap().to_string();
    let (s, e) = app.post(&format!("/api/bookings/{id}/cancel"), Some(&other), json!({})).await;
    assert_error(s, &e, 403, "FORBIDDEN");
    let tasks = (0..2).map(|i| {
        let (http, url, t, id) = (app.http.clone(), app.url.clone(), if i == 0 { token.clone() } else { admin.clone() }, id.clone());
        tokio::spawn(async move {
            let r = http.post(format!("{url}/api/bookings/{id}/cancel")).bearer_auth(t).send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        })
    });
    for r in join_all(tasks).await {
        let (s, b) = r.unwrap();
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["status"], "CANCELLED");
        assert_eq!(b["paymentStatus"], "REFUNDED");
    }
    let pdb = app.node.services.payment.as_ref().unwrap().db().clone();
    assert_eq!(webhook_count(&pdb, "PaymentRefunded").await, 1);
    let bdb = app.node.services.booking.as_ref().unwrap().db().clone();
    assert_eq!(outbox_count(&bdb, "BookingCancelled").await, 1);
    let st = seat_status(&app, &event).await;
    assert_eq!(st[&seats[0]], "AVAILABLE");
    assert_eq!(st[&seats[1]], "AVAILABLE");
    let (s, p) = app.get(&format!("/api/payment/{}", b["paymentId"].as_str().unwrap()), Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["status"], "REFUNDED");
    // The seats can be sold again.
    let again = reserve(&app, &other, &event, &seats[..1]).await;
    assert_eq!(again.len(), 1);
    assert_ledger(&app).await;
}

#[tokio::test]
async fn a_cancelled_event_cancels_and_refunds_its_bookings() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 10).await;
    let seats = app.seat_numbers(&event).await;
    let mut booked = Vec::new();
    for i in 0..3 {
        let (token, _, _) = app.new_user(&format!("fan{i}@example.com")).await;
        let ids = reserve(&app, &token, &event, &seats[i..i + 1]).await;
        let (s, b) = confirm(&app, &token, "k", &ids, OK).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        booked.push((token, b["bookingId"].as_str().unwrap().to_string()));
    }
    let (s, e) = app.put(&format!("/api/events/{event}/status"), Some(&admin), json!({"status": "CANCELLED"})).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    for (token, id) in &booked {
        let (http, url, token, id) = (app.http.clone(), app.url.clone(), token.clone(), id.clone());
        wait_for("the booking to be cancelled", move || {
            let (http, url, token, id) = (http.clone(), url.clone(), token.clone(), id.clone());
            async move {
                let b: Value = http.get(format!("{url}/api/bookings/{id}")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
                b["status"] == "CANCELLED" && b["paymentStatus"] == "REFUNDED"
            }
        })
        .await;
    }
    let pdb = app.node.services.payment.as_ref().unwrap().db().clone();
    assert_eq!(webhook_count(&pdb, "PaymentRefunded").await, 3);
    assert_ledger(&app).await;
}

/// The process dies between two saga steps; a new process on the same data finishes or compensates.
#[tokio::test]
async fn a_saga_killed_between_steps_is_finished_or_compensated_after_restart() {
    for point in ["before_book", "before_charge", "after_charge", "before_confirm", "hold_cancelled"] {
        let dir = tempfile::tempdir().unwrap();
        let configure = |d: &std::path::Path| {
            let mut c = test_config(d);
            c.booking_lease_secs = 1;
            c.booking_sweep_secs = 1;
            c
        };
        let app = start(configure(dir.path()), dir).await;
        let admin = app.admin_token().await;
        let event = app.event_on_sale(&admin, 1, 10).await;
        let seats = app.seat_numbers(&event).await;
        let (token, _, _) = app.new_user("buyer@example.com").await;
        let ids = reserve(&app, &token, &event, &seats[..2]).await;
        let crash = if point == "hold_cancelled" { "before_confirm" } else { point };
        app.node.services.booking.as_ref().unwrap().crash_at(crash);
        let (s, b) = confirm(&app, &token, "crash", &ids, OK).await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{point}: {b}");
        if point == "hold_cancelled" {
            // While the process is down, the buyer tries to let go of the holds: they were booked
            // for the booking before the charge, so they cannot be taken from a charged fan.
            for id in &ids {
                let (s, e) = app.delete(&format!("/api/inventory/reservations/{id}"), Some(&token)).await;
                assert_eq!(s, StatusCode::CONFLICT, "{e}");
                assert_eq!(e["error"], "RESERVATION_NOT_ACTIVE", "{e}");
            }
        }
        let TestApp { node, dir, .. } = app;
        node.stop().await;
        let app = start(configure(dir.path()), dir).await;
        let bdb = app.node.services.booking.as_ref().unwrap().db().clone();
        wait_for("recovery", || {
            let bdb = bdb.clone();
            async move {
                let (n,): (i64,) = store::run!(bdb.read(), p => sqlx::query_as("SELECT COUNT(*) FROM bookings WHERE step <> 'DONE'")
                    .fetch_one(p).await)
                .unwrap();
                n == 0
            }
        })
        .await;
        let (_, list) = app.get("/api/bookings/me", Some(&token)).await;
        let bookings = list["bookings"].as_array().unwrap().clone();
        let st = seat_status(&app, &event).await;
        match point {
            "before_book" | "before_charge" => {
                assert!(bookings.iter().all(|b| b["status"] == "FAILED"), "{point}: {bookings:?}");
                assert_eq!(st[&seats[0]], "AVAILABLE", "{point}");
            }
            _ => {
                // Charged before the crash: the seats were booked first, so the booking completes.
                assert_eq!(bookings.len(), 1, "{point}");
                assert_eq!(bookings[0]["status"], "CONFIRMED", "{point}: {bookings:?}");
                assert_eq!(st[&seats[0]], "BOOKED", "{point}");
            }
        }
        assert_ledger(&app).await;
        app.node.stop().await;
    }
}

/// Two nodes sharing MariaDB + Redis: one key confirmed on both at once books once and charges
/// once; a cancel on both at once refunds once. Skipped without `TICKETING_TEST_MYSQL_URL`.
#[tokio::test]
async fn two_nodes_on_mariadb_book_and_cancel_once() {
    let Some(base) = mysql_url() else { return };
    let db = fresh_mysql(&base);
    let a = spawn_shared(&db, |_| {}).await;
    let b = spawn_shared(&db, |_| {}).await;
    let admin = a.admin_token().await;
    let event = a.event_on_sale(&admin, 1, 10).await;
    let seats = a.seat_numbers(&event).await;
    let (token, _, _) = a.new_user("buyer@example.com").await;
    let ids = reserve(&a, &token, &event, &seats[..2]).await;
    let body = json!({"reservationIds": ids, "paymentMethod": card(OK)});
    let tasks = (0..10).map(|i| {
        let (http, url, token, body) =
            (a.http.clone(), if i % 2 == 0 { a.url.clone() } else { b.url.clone() }, token.clone(), body.clone());
        tokio::spawn(async move { confirm_raw(&http, &url, &token, Some("k"), body).await })
    });
    let results: Vec<(StatusCode, Value)> = join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
    let created: Vec<&Value> = results.iter().filter(|r| r.0 == StatusCode::CREATED).map(|r| &r.1).collect();
    assert_eq!(created.len(), 1, "{results:?}");
    assert!(results.iter().all(|(s, _)| [200, 201, 409].contains(&s.as_u16())), "{results:?}");
    let id = created[0]["bookingId"].as_str().unwrap().to_string();
    assert_eq!(payments(&a).await.len(), 1);
    let tasks = [a.url.clone(), b.url.clone()].into_iter().map(|url| {
        let (http, token, id) = (a.http.clone(), token.clone(), id.clone());
        tokio::spawn(async move {
            let r = http.post(format!("{url}/api/bookings/{id}/cancel")).bearer_auth(token).send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        })
    });
    for r in join_all(tasks).await {
        let (s, body) = r.unwrap();
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "CANCELLED");
    }
    let pdb = a.node.services.payment.as_ref().unwrap().db().clone();
    assert_eq!(webhook_count(&pdb, "PaymentRefunded").await, 1);
    assert_ledger(&a).await;
}

/// With Redis, a replay is answered from the fast path; losing the Redis entry changes no answer.
#[tokio::test]
async fn replays_use_the_redis_fast_path_and_survive_its_loss() {
    let (Some(base), Some(redis_url)) = (mysql_url(), redis_url()) else {
        eprintln!("skipped: TICKETING_TEST_MYSQL_URL / TICKETING_TEST_REDIS_URL not set");
        return;
    };
    let app = spawn_shared(&fresh_mysql(&base), |_| {}).await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 10).await;
    let seats = app.seat_numbers(&event).await;
    let user_id = common::ids::new_id();
    let token = app.token_for(&user_id);
    let ids = reserve(&app, &token, &event, &seats[..2]).await;
    let key = common::ids::new_id();
    let (s, first) = confirm(&app, &token, &key, &ids, OK).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let mut conn = redis::Client::open(redis_url.as_str()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let cached: Option<String> = redis::cmd("GET").arg(format!("idempotency:{user_id}:{key}")).query_async(&mut conn).await.unwrap();
    assert!(cached.is_some_and(|c| c.contains(first["bookingId"].as_str().unwrap())));
    let (s, again) = confirm(&app, &token, &key, &ids, OK).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["bookingId"], first["bookingId"]);
    let (s, other) = confirm(&app, &token, &key, &ids[..1], OK).await;
    assert_eq!((s, other["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("IDEMPOTENCY_KEY_REUSED")));
    // Redis forgets: the database still answers the same.
    let _: i64 = redis::cmd("DEL").arg(format!("idempotency:{user_id}:{key}")).query_async(&mut conn).await.unwrap();
    let (s, third) = confirm(&app, &token, &key, &ids, OK).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(third["bookingId"], first["bookingId"]);
    let (s, other) = confirm(&app, &token, &key, &ids[..1], OK).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{other}");
}
