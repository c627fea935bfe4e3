//! The waiting room (shared/API.md §12) through the gateway: the gate, fairness at the opening,
//! the admission rate, pause, expiry, a restart, and two nodes sharing one Redis queue.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// An event with a waiting room and 2 rows of 10 seats; on sale when `open`.
async fn room_event(app: &TestApp, admin: &str, rate: i64, open: bool) -> String {
    let ev = app.create_event(admin, json!({"waitingRoom": {"enabled": true, "admitPerMinute": rate}})).await;
    assert_eq!(ev["waitingRoom"]["enabled"], true, "{ev}");
    let id = ev["eventId"].as_str().unwrap().to_string();
    let layout = json!({"sections": [{"section": "A", "seatType": "REGULAR", "price": 10, "rows": [{"rowNumber": 1, "seats": 10}, {"rowNumber": 2, "seats": 10}]}]});
    let (s, b) = app.put(&format!("/api/inventory/events/{id}/seats"), Some(admin), layout).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    if open {
        open_sale(app, admin, &id).await;
    }
    id
}

async fn open_sale(app: &TestApp, admin: &str, id: &str) {
    let (s, b) = app.put(&format!("/api/events/{id}/status"), Some(admin), json!({"status": "ON_SALE"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn join(app: &TestApp, token: &str, id: &str) -> Value {
    let (s, b) = app.post(&format!("/api/queue/events/{id}/join"), Some(token), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

async fn me(app: &TestApp, token: &str, id: &str) -> Value {
    let (s, b) = app.get(&format!("/api/queue/events/{id}/me"), Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

async fn room(app: &TestApp, admin: &str, id: &str) -> Value {
    let (s, b) = app.get(&format!("/api/queue/events/{id}"), Some(admin)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

async fn controls(app: &TestApp, admin: &str, id: &str, body: Value) -> Value {
    let (s, b) = app.put(&format!("/api/queue/events/{id}"), Some(admin), body).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

async fn reserve(app: &TestApp, token: &str, id: &str) -> (StatusCode, Value) {
    app.post("/api/inventory/reservations", Some(token), json!({"eventId": id, "quantity": 1})).await
}

/// Poll the fan's place until `status` (or panic after `secs`).
async fn wait_status(app: &TestApp, token: &str, id: &str, status: &str, secs: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let p = me(app, token, id).await;
        if p["status"] == status {
            return p;
        }
        assert!(Instant::now() < deadline, "still {p} after {secs}s, wanted {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn place_shape(p: &Value) {
    for k in ["eventId", "status", "position", "aheadOfYou", "estimatedWaitSecs", "admittedAt", "admittedUntil", "pollAfterMs"] {
        assert!(p.get(k).is_some(), "place without {k}: {p}");
    }
}

#[tokio::test]
async fn the_gate_refuses_until_admitted_then_lets_the_fan_reserve() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = room_event(&app, &admin, 6000, true).await;
    let fan = app.token_for("fan-1");

    let (s, b) = reserve(&app, &fan, &id).await;
    assert_error(s, &b, 403, "NOT_ADMITTED");
    assert_eq!(b["queueUrl"], format!("/api/queue/events/{id}/join"));
    // The seat map stays readable by anyone.
    assert_eq!(app.get(&format!("/api/inventory/events/{id}/seats"), None).await.0, StatusCode::OK);
    assert_eq!(app.get(&format!("/api/inventory/events/{id}/availability"), None).await.0, StatusCode::OK);

    let p = join(&app, &fan, &id).await;
    place_shape(&p);
    assert_eq!(p["eventId"], id.as_str());
    let p = wait_status(&app, &fan, &id, "ADMITTED", 10).await;
    place_shape(&p);
    assert!(p["admittedAt"].is_string() && p["admittedUntil"].is_string(), "{p}");
    let (s, b) = reserve(&app, &fan, &id).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    // An event without a waiting room is not gated.
    let plain = app.event_on_sale(&admin, 1, 5).await;
    let (s, b) = reserve(&app, &app.token_for("fan-2"), &plain).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

#[tokio::test]
async fn joining_twice_returns_the_same_place_and_bad_calls_get_the_right_4xx() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = room_event(&app, &admin, 1000, true).await;
    controls(&app, &admin, &id, json!({"paused": true})).await;
    let (a, b) = (app.token_for("a"), app.token_for("b"));
    let first = join(&app, &a, &id).await;
    join(&app, &b, &id).await;
    let again = join(&app, &a, &id).await;
    assert_eq!(first["position"], again["position"]);
    assert_eq!(first["status"], "WAITING");
    assert_eq!(me(&app, &a, &id).await["position"], first["position"]);
    assert_eq!(room(&app, &admin, &id).await["waiting"], 2);

    let (s, b) = app.get(&format!("/api/queue/events/{id}/me"), Some(&app.token_for("never-joined"))).await;
    assert_error(s, &b, 404, "NOT_FOUND");
    let (s, b) = app.post("/api/queue/events/no-such-event/join", Some(&a), json!({})).await;
    assert_error(s, &b, 404, "NOT_FOUND");
    let plain = app.event_on_sale(&admin, 1, 2).await;
    let (s, b) = app.post(&format!("/api/queue/events/{plain}/join"), Some(&a), json!({})).await;
    assert_error(s, &b, 409, "CONFLICT");
    let (s, b) = app.post(&format!("/api/queue/events/{id}/join"), None, json!({})).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
    let (s, b) = app.get(&format!("/api/queue/events/{id}"), Some(&a)).await;
    assert_error(s, &b, 403, "FORBIDDEN");
    let (s, b) = app.put(&format!("/api/queue/events/{id}"), Some(&a), json!({"paused": false})).await;
    assert_error(s, &b, 403, "FORBIDDEN");
    for bad in [
        json!({"admitPerMinute": -5}),
        json!({"admitPerMinute": 0}),
        json!({"admitPerMinute": 1_000_000_000_000i64}),
        json!({"admitPerMinute": "fast"}),
        json!({"paused": "yes"}),
    ] {
        let (s, b) = app.put(&format!("/api/queue/events/{id}"), Some(&admin), bad.clone()).await;
        assert_error(s, &b, 400, "VALIDATION_ERROR");
    }
    let (s, b) = app.get("/api/queue/events/no-such-event", Some(&admin)).await;
    assert_error(s, &b, 404, "NOT_FOUND");
    let v = room(&app, &admin, &plain).await;
    assert_eq!(v["enabled"], false);
}

#[tokio::test]
async fn the_pre_queue_is_shuffled_into_the_first_places_when_the_sale_opens() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = room_event(&app, &admin, 1000, false).await;
    let fans: Vec<String> = (0..12).map(|i| app.token_for(&format!("early-{i}"))).collect();
    for f in &fans {
        let p = join(&app, f, &id).await;
        assert_eq!(p["status"], "PRE_QUEUE", "{p}");
        assert!(p["position"].is_null(), "{p}");
    }
    // Paused, so the order can be read before anyone is admitted.
    controls(&app, &admin, &id, json!({"paused": true})).await;
    open_sale(&app, &admin, &id).await;
    let mut positions = Vec::new();
    for f in &fans {
        positions.push(wait_status(&app, f, &id, "WAITING", 10).await["position"].as_u64().unwrap());
    }
    let mut sorted = positions.clone();
    sorted.sort();
    assert_eq!(sorted, (1..=12).collect::<Vec<u64>>(), "positions {positions:?}");
    assert_ne!(positions, sorted, "the early fans kept their arrival order");
    let late = join(&app, &app.token_for("late"), &id).await;
    assert_eq!(late["position"], 13);
    assert_eq!(late["aheadOfYou"], 12);
}

#[tokio::test]
async fn admission_follows_the_rate_never_passes_anyone_and_pause_stops_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // 120 a minute: two a second.
    let id = room_event(&app, &admin, 120, true).await;
    controls(&app, &admin, &id, json!({"paused": true})).await;
    let fans: Vec<String> = (0..20).map(|i| app.token_for(&format!("fan-{i}"))).collect();
    for (i, f) in fans.iter().enumerate() {
        assert_eq!(join(&app, f, &id).await["position"], i as u64 + 1);
    }
    let started = Instant::now();
    let v = controls(&app, &admin, &id, json!({"paused": false})).await;
    assert_eq!(v["admitPerMinute"], 120);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let v = controls(&app, &admin, &id, json!({"paused": true})).await;
    let elapsed = started.elapsed().as_secs_f64();
    let admitted = v["admittedTotal"].as_u64().unwrap();
    assert!(admitted >= 3, "only {admitted} admitted in {elapsed:.1}s at 2/s");
    assert!(admitted as f64 <= 2.0 + 2.0 * elapsed, "{admitted} admitted in {elapsed:.1}s at 2/s");
    // In order: exactly the first `admitted` positions are in.
    for (i, f) in fans.iter().enumerate() {
        let p = me(&app, f, &id).await;
        let want = if (i as u64) < admitted { "ADMITTED" } else { "WAITING" };
        assert_eq!(p["status"], want, "fan {i}: {p}");
    }
    // Paused: nobody more.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(room(&app, &admin, &id).await["admittedTotal"], admitted);
    let w = me(&app, &fans[19], &id).await;
    assert_eq!(w["aheadOfYou"], 19 - admitted);
    // A faster rate takes effect at once.
    controls(&app, &admin, &id, json!({"paused": false, "admitPerMinute": 60000})).await;
    wait_status(&app, &fans[19], &id, "ADMITTED", 5).await;
    let v = room(&app, &admin, &id).await;
    assert_eq!((v["admittedTotal"].as_u64(), v["admitted"].as_u64(), v["waiting"].as_u64()), (Some(20), Some(20), Some(0)), "{v}");
}

#[tokio::test]
async fn the_window_runs_out_into_expired_and_the_gate_closes_again() {
    let app = spawn_app_with(|c| c.admission_window_secs = 2).await;
    let admin = app.admin_token().await;
    let id = room_event(&app, &admin, 60000, true).await;
    let fan = app.token_for("brief");
    join(&app, &fan, &id).await;
    let p = wait_status(&app, &fan, &id, "ADMITTED", 5).await;
    let first = p["position"].as_u64().unwrap();
    assert_eq!(reserve(&app, &fan, &id).await.0, StatusCode::CREATED);
    let p = wait_status(&app, &fan, &id, "EXPIRED", 5).await;
    assert_eq!(p["position"], first, "the position stays with the place");
    let (s, b) = reserve(&app, &fan, &id).await;
    assert_error(s, &b, 403, "NOT_ADMITTED");
    // Joining again goes to the back, and in again.
    join(&app, &app.token_for("other"), &id).await;
    let again = join(&app, &fan, &id).await;
    assert!(again["position"].as_u64().unwrap() > first + 1, "{again}");
    wait_status(&app, &fan, &id, "ADMITTED", 5).await;
    assert_eq!(reserve(&app, &fan, &id).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn a_restart_keeps_every_place() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = room_event(&app, &admin, 1000, false).await;
    controls(&app, &admin, &id, json!({"paused": true})).await;
    let early: Vec<String> = (0..5).map(|i| app.token_for(&format!("early-{i}"))).collect();
    for f in &early {
        join(&app, f, &id).await;
    }
    open_sale(&app, &admin, &id).await;
    let mut before = Vec::new();
    for f in &early {
        before.push(wait_status(&app, f, &id, "WAITING", 10).await);
    }
    let late = app.token_for("late");
    before.push(join(&app, &late, &id).await);
    let pre = app.token_for("pre");
    let upcoming = room_event(&app, &admin, 1000, false).await;
    let pre_place = join(&app, &pre, &upcoming).await;

    let TestApp { node, dir, .. } = app;
    node.stop().await;
    let app = start(test_config(dir.path()), dir).await;
    for (f, p) in early.iter().chain([&late]).zip(&before) {
        let now = me(&app, f, &id).await;
        assert_eq!((&now["status"], &now["position"]), (&p["status"], &p["position"]), "{now} vs {p}");
    }
    assert_eq!(me(&app, &pre, &upcoming).await["status"], pre_place["status"]);
    let v = room(&app, &admin, &id).await;
    assert_eq!((v["paused"].as_bool(), v["waiting"].as_u64()), (Some(true), Some(6)), "{v}");
}

#[tokio::test]
async fn two_nodes_share_one_redis_queue_and_admit_each_fan_once_in_order() {
    let (Some(mysql), Some(_)) = (mysql_url(), redis_url()) else {
        eprintln!("skipped: set TICKETING_TEST_MYSQL_URL and TICKETING_TEST_REDIS_URL");
        return;
    };
    let db = fresh_mysql(&mysql);
    let a = spawn_shared(&db, |_| {}).await;
    let b = spawn_shared(&db, |_| {}).await;
    let admin = a.admin_token().await;
    let id = room_event(&a, &admin, 600, false).await;
    let nodes = [&a, &b];
    let fans: Vec<String> = (0..30).map(|i| a.token_for(&format!("shared-{i}"))).collect();
    // Pre-queue through both nodes; joining again on the other node is the same place.
    for (i, f) in fans.iter().enumerate().take(10) {
        assert_eq!(join(nodes[i % 2], f, &id).await["status"], "PRE_QUEUE");
        assert_eq!(join(nodes[(i + 1) % 2], f, &id).await["status"], "PRE_QUEUE");
    }
    controls(&b, &admin, &id, json!({"paused": true})).await;
    open_sale(&a, &admin, &id).await;
    for f in fans.iter().take(10) {
        wait_status(nodes[0], f, &id, "WAITING", 10).await;
    }
    for (i, f) in fans.iter().enumerate().skip(10) {
        let p = join(nodes[i % 2], f, &id).await;
        assert_eq!(p["position"], i as u64 + 1, "{p}");
        assert_eq!(join(nodes[(i + 1) % 2], f, &id).await["position"], p["position"]);
    }
    let mut positions: Vec<u64> = Vec::new();
    for f in &fans {
        positions.push(me(&b, f, &id).await["position"].as_u64().unwrap());
    }
    let mut sorted = positions.clone();
    sorted.sort();
    assert_eq!(sorted, (1..=30).collect::<Vec<u64>>());
    // The gate on either node refuses before admission.
    let (s, body) = reserve(&b, &fans[0], &id).await;
    assert_error(s, &body, 403, "NOT_ADMITTED");
    // Both nodes tick the same room: 600 a minute is ten a second, whoever runs the script.
    controls(&a, &admin, &id, json!({"paused": false})).await;
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let v = controls(&b, &admin, &id, json!({"paused": true})).await;
    let elapsed = started.elapsed().as_secs_f64();
    let admitted = v["admittedTotal"].as_u64().unwrap();
    assert!(admitted >= 5 && admitted as f64 <= 2.0 + 10.0 * elapsed, "{admitted} admitted in {elapsed:.1}s at 10/s");
    // Exactly the first `admitted` positions are in, seen from either node.
    for (f, pos) in fans.iter().zip(&positions) {
        let want = if *pos <= admitted { "ADMITTED" } else { "WAITING" };
        assert_eq!(me(&a, f, &id).await["status"], want);
        assert_eq!(me(&b, f, &id).await["status"], want);
    }
    let first = fans.iter().zip(&positions).find(|(_, p)| **p == 1).unwrap().0;
    let (s, body) = reserve(&b, first, &id).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    controls(&a, &admin, &id, json!({"paused": false, "admitPerMinute": 60000})).await;
    let last = fans.iter().zip(&positions).find(|(_, p)| **p == 30).unwrap().0;
    wait_status(&b, last, &id, "ADMITTED", 10).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Each fan once: the total is the number of fans, on both nodes.
    assert_eq!(room(&a, &admin, &id).await["admittedTotal"], 30);
    assert_eq!(room(&b, &admin, &id).await["admittedTotal"], 30);
}

/// The waitlist goes around the waiting room: an offer is seats held for the fan, bought at the
/// usual checkout without being admitted; the fan still cannot hold seats by themselves.
#[tokio::test]
async fn a_waitlist_offer_is_bought_without_passing_the_waiting_room() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = room_event(&app, &admin, 6000, true).await;
    let holder = app.token_for("room-holder");
    join(&app, &holder, &id).await;
    wait_status(&app, &holder, &id, "ADMITTED", 10).await;
    let mut held = Vec::new();
    for row in 1..=2 {
        let seats: Vec<String> = (1..=10).map(|n| format!("A-{row}-{n}")).collect();
        let (s, b) = app.post("/api/inventory/reservations", Some(&holder), json!({"eventId": id, "seatNumbers": seats})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        held.push(b["reservations"].as_array().unwrap().iter().map(|r| r["reservationId"].clone()).collect::<Vec<_>>());
    }
    let (fan, _, _) = app.new_user("room-waitlist@example.com").await;
    let (s, entry) = app.post(&format!("/api/events/{id}/waitlist"), Some(&fan), json!({"quantity": 2})).await;
    assert_eq!((s, entry["status"].as_str()), (StatusCode::CREATED, Some("WAITING")), "{entry}");
    let (s, b) = app.post("/api/inventory/reservations/cancel", Some(&holder), json!({"reservationIds": held[0]})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, mine) = app.get("/api/waitlist/me", Some(&fan)).await;
    let offer = &mine["entries"][0]["offer"];
    let ids: Vec<&str> = offer["reservationIds"].as_array().expect("an offer").iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{mine}");
    app.pay(&fan, &ids).await;
    let (s, b) = reserve(&app, &fan, &id).await;
    assert_error(s, &b, 403, "NOT_ADMITTED");
}
