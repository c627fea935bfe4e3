//! The waitlist through the gateway (shared/API.md §14): freed seats offered in order of joining
//! before anyone else may hold them, one fan at a time, an offer not taken passing on, and the
//! same under concurrency on SQLite and on MariaDB with two nodes.

use crate::helpers::*;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

async fn join(app: &TestApp, token: &str, event: &str, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/events/{event}/waitlist"), Some(token), body).await
}

async fn entry(app: &TestApp, token: &str, event: &str) -> Value {
    let (s, b) = app.get("/api/waitlist/me", Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["entries"].as_array().unwrap().iter().find(|e| e["eventId"] == event).cloned().expect("an entry for the event")
}

/// Hold `seats` for a new fan; their reservation ids.
async fn hold(app: &TestApp, token: &str, event: &str, seats: &[&str]) -> Vec<String> {
    let (s, b) = app.post("/api/inventory/reservations", Some(token), json!({"eventId": event, "seatNumbers": seats})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["reservations"].as_array().unwrap().iter().map(|r| r["reservationId"].as_str().unwrap().to_string()).collect()
}

async fn let_go(app: &TestApp, token: &str, id: &str) {
    let (s, b) = app.delete(&format!("/api/inventory/reservations/{id}"), Some(token)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
}

#[tokio::test]
async fn freed_seats_go_to_the_waitlist_in_order_of_joining() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let upcoming = app.create_event(&admin, json!({})).await["eventId"].as_str().unwrap().to_string();
    let event = app.event_on_sale(&admin, 1, 3).await;
    let (holder, _, _) = app.new_user("wl-holder@example.com").await;
    let held = hold(&app, &holder, &event, &["A-1-1", "A-1-2", "A-1-3"]).await;
    let mut fans = Vec::new();
    for name in ["b", "c", "d", "e"] {
        fans.push(app.new_user(&format!("wl-{name}@example.com")).await.0);
    }
    let (b, c, d, e) = (&fans[0], &fans[1], &fans[2], &fans[3]);

    // The rules of joining.
    let (s, body) = join(&app, b, &upcoming, json!({"quantity": 1})).await;
    assert_error(s, &body, 409, "INVALID_STATE_TRANSITION");
    for bad in [json!({"quantity": 0}), json!({"quantity": 11}), json!({"quantity": "two"}), json!({"quantity": 1, "section": "Z"})] {
        let (s, body) = join(&app, b, &event, bad.clone()).await;
        assert_error(s, &body, 400, "VALIDATION_ERROR");
    }
    let (s, first) = join(&app, b, &event, json!({"quantity": 1})).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!((first["status"].as_str(), first["position"].as_i64()), (Some("WAITING"), Some(1)), "{first}");
    assert!(first["offer"].is_null());
    let (s, again) = join(&app, b, &event, json!({"quantity": 3})).await;
    assert_eq!((s, &again["entryId"]), (StatusCode::OK, &first["entryId"]), "one entry per account and event");
    let (s, cj) = join(&app, c, &event, json!({"quantity": 2})).await;
    assert_eq!((s, cj["position"].as_i64()), (StatusCode::CREATED, Some(2)));
    join(&app, d, &event, json!({"quantity": 1, "section": "A"})).await;

    // A seat comes back: the first fan gets it, held for them; nobody else may take it.
    let_go(&app, &holder, &held[0]).await;
    let offered = entry(&app, b, &event).await;
    assert_eq!(offered["status"], "OFFERED", "{offered}");
    let ids: Vec<&str> = offered["offer"]["reservationIds"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(ids.len(), 1);
    assert!(offered["offer"]["expiresAt"].is_string());
    let (s, body) = app.post("/api/inventory/reservations", Some(e), json!({"eventId": event, "seatNumbers": ["A-1-1"]})).await;
    assert_error(s, &body, 409, "SEAT_UNAVAILABLE");
    let (s, body) = app.post("/api/inventory/reservations", Some(e), json!({"eventId": event, "quantity": 1})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    // The next seat: C wants two, so D (one, in order after C) is served and C keeps its place.
    let_go(&app, &holder, &held[1]).await;
    assert_eq!(entry(&app, d, &event).await["status"], "OFFERED");
    assert_eq!(entry(&app, c, &event).await["status"], "WAITING");
    // B leaves: its seat goes on, but one seat does not serve C, so it is free to all.
    let (s, _) = app.delete(&format!("/api/waitlist/{}", first["entryId"].as_str().unwrap()), Some(c)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the owner leaves");
    let (s, _) = app.delete(&format!("/api/waitlist/{}", first["entryId"].as_str().unwrap()), Some(b)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(entry(&app, b, &event).await["status"], "CANCELLED");
    assert_eq!(entry(&app, c, &event).await["status"], "WAITING");
    let taken = hold(&app, e, &event, &["A-1-1"]).await;
    // Two seats back together: C (first now that B left) is served both, and buys them.
    let_go(&app, e, &taken[0]).await;
    let_go(&app, &holder, &held[2]).await;
    let c_entry = entry(&app, c, &event).await;
    assert_eq!((c_entry["status"].as_str(), c_entry["position"].as_i64()), (Some("OFFERED"), Some(1)), "{c_entry}");
    let ids: Vec<&str> = c_entry["offer"]["reservationIds"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    let booking = app.pay(c, &ids).await;
    assert_eq!(booking["seats"].as_array().unwrap().len(), 2);
    assert_eq!(entry(&app, c, &event).await["status"], "FULFILLED");
}

#[tokio::test]
async fn an_offer_not_taken_passes_to_the_next_fan() {
    let app = spawn_app_with(|c| {
        c.waitlist_offer_secs = 1;
        c.cleanup_interval_secs = 1;
    })
    .await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 1).await;
    let (holder, _, _) = app.new_user("pass-holder@example.com").await;
    let (b, _, _) = app.new_user("pass-b@example.com").await;
    let (c, _, _) = app.new_user("pass-c@example.com").await;
    let held = hold(&app, &holder, &event, &["A-1-1"]).await;
    join(&app, &b, &event, json!({"quantity": 1})).await;
    join(&app, &c, &event, json!({"quantity": 1})).await;
    let_go(&app, &holder, &held[0]).await;
    assert_eq!(entry(&app, &b, &event).await["status"], "OFFERED");
    // B lets it run out; the cleanup job passes the seat to C.
    let mut c_entry = Value::Null;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        c_entry = entry(&app, &c, &event).await;
        if c_entry["status"] == "OFFERED" {
            break;
        }
    }
    assert_eq!(c_entry["status"], "OFFERED", "{c_entry}");
    assert_eq!(entry(&app, &b, &event).await["status"], "EXPIRED");
    let id = c_entry["offer"]["reservationIds"][0].as_str().unwrap();
    app.pay(&c, &[id]).await;
}

/// Many seats come back at once while many fans wait and others refresh the map: each seat goes
/// to one entry, the entries served are the first ones, nobody gets two offers, and the refreshers
/// get nothing.
async fn many_freed_at_once(apps: &[&TestApp]) {
    let main = apps[0];
    let admin = main.admin_token().await;
    const SEATS: usize = 30;
    let event = main.event_on_sale(&admin, 3, 10).await;
    let numbers: Vec<String> = (1..=3).flat_map(|r| (1..=10).map(move |n| format!("A-{r}-{n}"))).collect();
    let holder = main.token_for("many-holder");
    let mut held = Vec::new();
    for chunk in numbers.chunks(10) {
        held.extend(hold(main, &holder, &event, &chunk.iter().map(String::as_str).collect::<Vec<_>>()).await);
    }
    let waiting: Vec<String> = (0..45).map(|i| main.token_for(&format!("many-fan-{i}"))).collect();
    let joins = waiting.iter().enumerate().map(|(i, t)| join(apps[i % apps.len()], t, &event, json!({"quantity": 1})));
    for (s, b) in join_all(joins).await {
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let lets = held.iter().enumerate().map(|(i, id)| {
        let app = apps[i % apps.len()];
        let holder = holder.clone();
        async move { app.delete(&format!("/api/inventory/reservations/{id}"), Some(&holder)).await }
    });
    let refreshers = (0..60).map(|i| {
        let app = apps[i % apps.len()];
        let token = app.token_for(&format!("refresher-{i}"));
        let seat = numbers[i % SEATS].clone();
        let event = event.clone();
        async move { app.post("/api/inventory/reservations", Some(&token), json!({"eventId": event, "seatNumbers": [seat]})).await }
    });
    let (released, refreshed) = futures::join!(join_all(lets), join_all(refreshers));
    for (s, b) in released {
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    }
    for (s, b) in refreshed {
        assert!(s == StatusCode::CONFLICT || s == StatusCode::SERVICE_UNAVAILABLE, "a refresher got a seat a fan waited for: {s} {b}");
    }
    // The database's order of joining: the first 30 are offered one seat each, the rest wait.
    let db = main.node.services.inventory.as_ref().unwrap().db().clone();
    let rows: Vec<(String, String, Option<String>)> = store::run!(db.read(), p => sqlx::query_as(
        "SELECT user_id, status, offer_reservation_ids FROM waitlist WHERE event_id = ? ORDER BY seq")
        .bind(&event).fetch_all(p).await)
    .unwrap();
    assert_eq!(rows.len(), 45);
    for (i, (user, status, offer)) in rows.iter().enumerate() {
        let want = if i < SEATS { "OFFERED" } else { "WAITING" };
        assert_eq!(status, want, "entry {i} ({user})");
        let n = offer.as_deref().map(|o| serde_json::from_str::<Vec<String>>(o).unwrap().len()).unwrap_or(0);
        assert_eq!(n, usize::from(i < SEATS), "entry {i} has {n} offered holds");
    }
    // Every seat is held once, by the fan it was offered to.
    let (held_seats,): (i64,) = store::run!(db.read(), p => sqlx::query_as(
        "SELECT COUNT(DISTINCT seat_id) FROM reservations WHERE event_id = ? AND status = 'ACTIVE' AND waitlist_entry_id IS NOT NULL")
        .bind(&event).fetch_one(p).await)
    .unwrap();
    assert_eq!(held_seats, SEATS as i64);
    audit(main).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_seats_freed_at_once_go_to_one_fan_each_on_sqlite() {
    let app = spawn_app().await;
    many_freed_at_once(&[&app]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_seats_freed_at_once_go_to_one_fan_each_on_mariadb_with_two_nodes() {
    let Some((a, b)) = two_shared_nodes().await else { return };
    many_freed_at_once(&[&a, &b]).await;
}

#[tokio::test]
async fn the_per_buyer_limit_counts_offered_seats() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let ev = app.create_event(&admin, json!({"maxTicketsPerUser": 2})).await;
    let event = ev["eventId"].as_str().unwrap().to_string();
    let layout = json!({"sections": [{"section": "A", "seatType": "REGULAR", "price": 50.00, "rows": [{"rowNumber": 1, "seats": 4}]}]});
    assert_eq!(app.put(&format!("/api/inventory/events/{event}/seats"), Some(&admin), layout).await.0, StatusCode::OK);
    assert_eq!(app.put(&format!("/api/events/{event}/status"), Some(&admin), json!({"status": "ON_SALE"})).await.0, StatusCode::OK);
    let (holder, _, _) = app.new_user("limit-holder@example.com").await;
    let (fan, _, _) = app.new_user("limit-fan@example.com").await;
    let held = hold(&app, &holder, &event, &["A-1-1", "A-1-2"]).await;
    hold(&app, &fan, &event, &["A-1-3"]).await;
    let (s, b) = app.post("/api/inventory/reservations", Some(&holder), json!({"eventId": event, "seatNumbers": ["A-1-4"]})).await;
    assert_error(s, &b, 409, "TICKET_LIMIT_EXCEEDED");
    // The fan holds one of two: joining for two more would pass the limit; for one it does not.
    let (s, b) = join(&app, &fan, &event, json!({"quantity": 2})).await;
    assert_error(s, &b, 409, "TICKET_LIMIT_EXCEEDED");
    assert_eq!((b["limit"].as_i64(), b["held"].as_i64()), (Some(2), Some(1)), "{b}");
    let (s, b) = join(&app, &fan, &event, json!({"quantity": 1})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // A-1-4 was free all along: the fan is served it at once, and holds two now.
    assert_eq!(b["status"], "OFFERED", "{b}");
    // A seat comes back (nobody waits: it is free to all), but not for the fan, at the limit.
    let_go(&app, &holder, &held[0]).await;
    let (s, b) = app.post("/api/inventory/reservations", Some(&fan), json!({"eventId": event, "quantity": 1})).await;
    assert_error(s, &b, 409, "TICKET_LIMIT_EXCEEDED");
    assert_eq!(b["held"], 2, "the offered seat counts as held: {b}");
}
