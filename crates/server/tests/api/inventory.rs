//! The inventory through the gateway: layouts, reservations, bad input, and races that really race.

use crate::helpers::*;
use futures::future::join_all;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::Barrier;

/// No seat held by two live reservations, checked in the database itself.
async fn assert_no_double_holds(app: &TestApp) {
    let db = app.node.services.inventory.as_ref().expect("inventory runs here").db().clone();
    let dup: Vec<(String, i64)> = store::run!(db.read(), p => sqlx::query_as(
        "SELECT seat_id, COUNT(*) FROM reservations WHERE status IN ('ACTIVE', 'CONFIRMED') GROUP BY seat_id HAVING COUNT(*) > 1")
        .fetch_all(p).await)
    .unwrap();
    // Two ACTIVE rows for one seat are legal only if all but one have expired; ask the seat who holds it.
    for (seat, _) in &dup {
        let live: Vec<(String,)> = store::run!(db.read(), p => sqlx::query_as(
            "SELECT reservation_id FROM reservations WHERE seat_id = ? AND (status = 'CONFIRMED' OR (status = 'ACTIVE' AND expires_at > ?))")
            .bind(seat).bind(common::time::now_ms()).fetch_all(p).await).unwrap();
        assert!(live.len() <= 1, "seat {seat} has {} live reservations", live.len());
    }
}

async fn availability(app: &TestApp, event: &str) -> Value {
    let (s, a) = app.get(&format!("/api/inventory/events/{event}/availability"), None).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let sum = ["available", "reserved", "booked", "blocked"].iter().map(|k| a[*k].as_i64().unwrap()).sum::<i64>();
    assert_eq!(sum, a["total"].as_i64().unwrap(), "counts do not add up: {a}");
    a
}

/// `n` more nodes running only the inventory, on the same MariaDB + Redis as `main`.
async fn inventory_nodes(main: &TestApp, db: &str, n: usize) -> Vec<TestApp> {
    let mut nodes = Vec::new();
    for _ in 0..n {
        let url = main.url.clone();
        nodes.push(
            spawn_shared(db, |c| {
                c.services = vec![common::config::Service::Inventory];
                c.events_url = Some(url);
            })
            .await,
        );
    }
    nodes
}

/// One racing request: (user, wanted seat numbers or quantity) -> (status, seats got).
async fn reserve(http: &reqwest::Client, url: &str, token: &str, body: Value) -> (StatusCode, Vec<String>, Value) {
    let resp = http.post(format!("{url}/api/inventory/reservations")).bearer_auth(token).json(&body).send().await.expect("sent");
    let status = resp.status();
    let b: Value = resp.json().await.unwrap_or(Value::Null);
    let seats =
        b["reservations"].as_array().map(|a| a.iter().map(|r| r["seatNumber"].as_str().unwrap().to_string()).collect()).unwrap_or_default();
    (status, seats, b)
}

/// 500 buyers, 50 seats, overlapping requests of 1-4 seats (some best-available), all released at
/// once by a barrier, spread over the given URLs. Then the invariants.
async fn race(urls: Vec<String>, check: &TestApp, event: &str, tokens: Vec<String>) {
    let seats = check.seat_numbers(event).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let barrier = Arc::new(Barrier::new(tokens.len()));
    let mut tasks = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let body = if i % 5 == 4 {
            json!({"eventId": event, "quantity": rng.gen_range(1..=4)})
        } else {
            // Overlapping picks concentrated on a hot spot: the first 20 seats.
            let n = rng.gen_range(1..=4);
            let mut pick = HashSet::new();
            while pick.len() < n {
                let k = if rng.gen_bool(0.6) { rng.gen_range(0..20) } else { rng.gen_range(0..seats.len()) };
                pick.insert(seats[k].clone());
            }
            json!({"eventId": event, "seatNumbers": pick.into_iter().collect::<Vec<_>>()})
        };
        let (http, url, token, barrier) = (check.http.clone(), urls[i % urls.len()].clone(), token.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let (s, got, b) = reserve(&http, &url, &token, body.clone()).await;
            (token, body, s, got, b)
        }));
    }
    let results: Vec<_> = join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
    let mut owner: HashMap<String, usize> = HashMap::new();
    let mut won = 0;
    for (i, (_, body, s, got, b)) in results.iter().enumerate() {
        match s.as_u16() {
            201 => {
                won += 1;
                let asked = body["seatNumbers"].as_array().map(|a| a.len()).or(body["quantity"].as_u64().map(|q| q as usize)).unwrap();
                assert_eq!(got.len(), asked, "a successful request got all its seats: {b}");
                for seat in got {
                    assert!(owner.insert(seat.clone(), i).is_none(), "seat {seat} sold twice");
                }
            }
            409 => assert!(lost_the_race(b), "{b}"),
            other => panic!("unexpected status {other}: {b}"),
        }
    }
    assert!(won > 0 && won < results.len(), "the race had winners and losers ({won})");
    // What the seat map says is exactly what the winners got.
    let (_, map) = check.get(&format!("/api/inventory/events/{event}/seats"), None).await;
    for s in map["seats"].as_array().unwrap() {
        let n = s["seatNumber"].as_str().unwrap();
        let held = s["status"] == "RESERVED";
        assert_eq!(held, owner.contains_key(n), "seat {n} status {} vs winners", s["status"]);
    }
    // Losers hold nothing.
    for (token, _, s, _, _) in results.iter().filter(|r| r.2 != StatusCode::CREATED).take(50) {
        let (_, mine) = check.get("/api/inventory/reservations/me", Some(token)).await;
        assert_eq!(mine["reservations"].as_array().unwrap().len(), 0, "a failed request ({s}) left a hold");
    }
    let a = availability(check, event).await;
    assert_eq!(a["reserved"].as_i64().unwrap() as usize, owner.len());
    assert_no_double_holds(check).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_buyers_fifty_seats_on_sqlite() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 5, 10).await;
    let tokens: Vec<String> = (0..500).map(|_| app.token_for(&common::ids::new_id())).collect();
    race(vec![app.url.clone()], &app, &event, tokens).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_buyers_three_inventory_nodes_on_mariadb_and_redis() {
    let (Some(base), Some(_)) = (mysql_url(), redis_url()) else {
        eprintln!("skipped: TICKETING_TEST_MYSQL_URL / TICKETING_TEST_REDIS_URL not set");
        return;
    };
    let db = fresh_mysql(&base);
    let main = spawn_shared(&db, |_| {}).await;
    let inv_nodes = inventory_nodes(&main, &db, 2).await;
    let admin = main.admin_token().await;
    let event = main.event_on_sale(&admin, 5, 10).await;
    let tokens: Vec<String> = (0..500).map(|_| main.token_for(&common::ids::new_id())).collect();
    let mut urls = vec![main.url.clone()];
    urls.extend(inv_nodes.iter().map(|n| n.url.clone()));
    race(urls, &main, &event, tokens).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_flushed_mid_race_still_sells_each_seat_once() {
    let (Some(base), Some(redis)) = (mysql_url(), redis_url()) else {
        eprintln!("skipped: TICKETING_TEST_MYSQL_URL / TICKETING_TEST_REDIS_URL not set");
        return;
    };
    let db = fresh_mysql(&base);
    let main = spawn_shared(&db, |_| {}).await;
    let other = inventory_nodes(&main, &db, 1).await.remove(0);
    let admin = main.admin_token().await;
    let event = main.event_on_sale(&admin, 5, 10).await;
    // Drop every seat lock over and over while the race runs: only the database guards the seats.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flusher = {
        let stop = stop.clone();
        let client = redis::Client::open(redis.as_str()).unwrap();
        tokio::spawn(async move {
            let mut conn = client.get_multiplexed_async_connection().await.unwrap();
            let mut flushes = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let keys: Vec<String> =
                    redis::cmd("KEYS").arg("lock:{*}:seat:*".to_string()).query_async(&mut conn).await.unwrap_or_default();
                if !keys.is_empty() {
                    let _: Result<i64, _> = redis::cmd("DEL").arg(&keys).query_async(&mut conn).await;
                }
                flushes += 1;
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            flushes
        })
    };
    let tokens: Vec<String> = (0..500).map(|_| main.token_for(&common::ids::new_id())).collect();
    race(vec![main.url.clone(), other.url.clone()], &main, &event, tokens).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(flusher.await.unwrap() > 0);
}

#[tokio::test]
async fn redis_down_is_a_clear_503_not_a_hang() {
    // Our own Redis on a free port, so stopping it disturbs nobody.
    let Ok(port) = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()) else { return };
    let Ok(mut child) = std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .spawn()
    else {
        eprintln!("skipped: no redis-server binary");
        return;
    };
    let url = format!("redis://127.0.0.1:{port}");
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let app = spawn_app_with(|c| c.redis_url = Some(common::config::Secret::new(url))).await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 10).await;
    // Under a per-buyer limit a reservation takes the seat and buyer locks. (On SQLite, holds
    // without a limit are decided by the group commit, which needs no lock.)
    let (s, b) = app.put(&format!("/api/events/{event}"), Some(&admin), json!({"maxTicketsPerUser": 4})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let user = app.token_for("u1");
    let (s, _, b) = reserve(&app.http, &app.url, &user, json!({"eventId": event, "quantity": 1})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    child.kill().unwrap();
    child.wait().unwrap();
    let started = std::time::Instant::now();
    let (s, _, b) = reserve(&app.http, &app.url, &user, json!({"eventId": event, "quantity": 1})).await;
    assert_error(s, &b, 503, "UNAVAILABLE");
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "503 came only after {:?}", started.elapsed());
    // Nothing was reserved by the refused request.
    let (_, mine) = app.get("/api/inventory/reservations/me", Some(&user)).await;
    assert_eq!(mine["reservations"].as_array().unwrap().len(), 1);
}

/// Holds of 1 s; at the moment they run out, the owner confirms while other buyers reserve the same
/// seats and the cleanup job runs. Never two owners, never a confirmed expired hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expiry_races_never_give_a_seat_two_owners() {
    let app = spawn_app_with(|c| c.reservation_ttl_secs = 1).await;
    let admin = app.admin_token().await;
    let inv = app.node.services.inventory.clone().unwrap();
    for round in 0..4u64 {
        // A fresh event each round: nothing a round leaves behind (a hold still running, a booking)
        // can decide the next one.
        let event = app.event_on_sale(&admin, 2, 10).await;
        let seats = app.seat_numbers(&event).await;
        // Each first owner holds one seat.
        let mut holds = Vec::new();
        for (k, seat) in seats.iter().enumerate() {
            let owner = format!("owner-{round}-{k}");
            let (s, _, b) = reserve(&app.http, &app.url, &app.token_for(&owner), json!({"eventId": event, "seatNumbers": [seat]})).await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            holds.push((owner, b["reservations"][0]["reservationId"].as_str().unwrap().to_string(), seat.clone()));
        }
        // Wake near the expiry, with a different offset each round.
        tokio::time::sleep(std::time::Duration::from_millis(900 + round * 40)).await;
        let barrier = Arc::new(Barrier::new(holds.len() * 2 + 1));
        let mut tasks = Vec::new();
        for (owner, rid, seat) in holds.clone() {
            let (inv, b, seat2) = (inv.clone(), barrier.clone(), seat.clone());
            tasks.push(tokio::spawn(async move {
                let seat = seat2;
                b.wait().await;
                let ok = inv.confirm(std::slice::from_ref(&rid), &owner, &format!("booking-{rid}")).await.is_ok();
                (seat, "confirm", ok)
            }));
            let (http, url, tok, b, ev) =
                (app.http.clone(), app.url.clone(), app.token_for(&format!("rival-{round}-{seat}")), barrier.clone(), event.clone());
            tasks.push(tokio::spawn(async move {
                b.wait().await;
                let (s, _, _) = reserve(&http, &url, &tok, json!({"eventId": ev, "seatNumbers": [seat.clone()]})).await;
                (seat, "rival", s == StatusCode::CREATED)
            }));
        }
        let (inv2, b) = (inv.clone(), barrier.clone());
        let cleanup = tokio::spawn(async move {
            b.wait().await;
            inv2.cleanup_once().await.unwrap()
        });
        let results: Vec<_> = join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
        cleanup.await.unwrap();
        for seat in &seats {
            let confirmed = results.iter().any(|(s, who, ok)| s == seat && *who == "confirm" && *ok);
            let rival = results.iter().any(|(s, who, ok)| s == seat && *who == "rival" && *ok);
            assert!(!(confirmed && rival), "round {round}: seat {seat} went to its owner and to a rival");
        }
        assert_no_double_holds(&app).await;
        availability(&app, &event).await;
    }
}

#[tokio::test]
async fn a_reservation_is_all_or_nothing_and_expired_holds_free_at_once() {
    let app = spawn_app_with(|c| c.reservation_ttl_secs = 1).await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 5).await;
    let seats = app.seat_numbers(&event).await;
    let (a, b) = (app.token_for("a"), app.token_for("b"));
    let (s, _, r) = reserve(&app.http, &app.url, &a, json!({"eventId": event, "seatNumbers": [seats[0], seats[1]]})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["totalAmount"], json!(100.0));
    assert!(r["expiresAt"].is_string());
    // b wants seats 1 and 2: seat 1 is taken, so b gets nothing, and is told which seat.
    let (s, _, r) = reserve(&app.http, &app.url, &b, json!({"eventId": event, "seatNumbers": [seats[1], seats[2]]})).await;
    assert_error(s, &r, 409, "SEAT_UNAVAILABLE");
    assert_eq!(r["unavailableSeats"], json!([seats[1]]));
    let (_, mine) = app.get("/api/inventory/reservations/me", Some(&b)).await;
    assert_eq!(mine["reservations"], json!([]));
    // After the hold runs out (no cleanup has run), the seats are free at once.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, avail) = app.get(&format!("/api/inventory/events/{event}/seats/available"), None).await;
    assert_eq!(avail["seats"].as_array().unwrap().len(), 5);
    let (s, _, r) = reserve(&app.http, &app.url, &b, json!({"eventId": event, "seatNumbers": [seats[1], seats[2]]})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
}

#[tokio::test]
async fn reservations_read_cancel_and_belong_to_their_owner() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 2, 10).await;
    let (a, b) = (app.token_for("alice"), app.token_for("bob"));
    let (s, got, r) = reserve(&app.http, &app.url, &a, json!({"eventId": event, "quantity": 3})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    // Best available: a central block of the front row.
    assert_eq!(got, vec!["A-1-4", "A-1-5", "A-1-6"]);
    let ids: Vec<String> = r["reservations"].as_array().unwrap().iter().map(|x| x["reservationId"].as_str().unwrap().to_string()).collect();
    let (s, one) = app.get(&format!("/api/inventory/reservations/{}", ids[0]), Some(&a)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(one["status"], "ACTIVE");
    let (s, e) = app.get(&format!("/api/inventory/reservations/{}", ids[0]), Some(&b)).await;
    assert_error(s, &e, 403, "FORBIDDEN");
    let (s, _) = app.get(&format!("/api/inventory/reservations/{}", ids[0]), Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = app.get("/api/inventory/reservations/nope", Some(&a)).await;
    assert_error(s, &e, 404, "NOT_FOUND");
    let (s, e) = app.delete(&format!("/api/inventory/reservations/{}", ids[0]), Some(&b)).await;
    assert_error(s, &e, 403, "FORBIDDEN");
    let (s, _) = app.delete(&format!("/api/inventory/reservations/{}", ids[0]), Some(&a)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, one) = app.get(&format!("/api/inventory/reservations/{}", ids[0]), Some(&a)).await;
    assert_eq!(one["status"], "CANCELLED");
    let (s, r) = app.post("/api/inventory/reservations/cancel", Some(&a), json!({"reservationIds": [ids[1], ids[2]]})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["cancelled"], 2);
    let a2 = availability(&app, &event).await;
    assert_eq!(a2["available"], 20);
    assert_eq!(a2["sections"][0]["section"], "A");
    // The events service follows the inventory's counts within seconds.
    let mut seen = Value::Null;
    for _ in 0..50 {
        let (_, ev) = app.get(&format!("/api/events/{event}"), None).await;
        if ev["totalSeats"] == 20 && ev["availableSeats"] == 20 {
            seen = ev;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen["minPrice"], json!(50.0), "{seen}");
    // Internal calls are not reachable through the gateway.
    let (s, _) = app.post("/internal/inventory/reservations/confirm", Some(&a), json!({})).await;
    assert!(s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_reservation_and_layout_input_is_the_right_4xx() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 2, 10).await;
    let seats = app.seat_numbers(&event).await;
    let u = app.token_for("u");
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"eventId": event, "seatNumbers": [seats[0], seats[0]]}), 400, "VALIDATION_ERROR"),
        (json!({"eventId": event, "seatNumbers": seats[..11]}), 400, "VALIDATION_ERROR"),
        (json!({"eventId": event, "seatNumbers": []}), 400, "VALIDATION_ERROR"),
        (json!({"eventId": event, "seatNumbers": ["Z-9-99"]}), 400, "VALIDATION_ERROR"),
        (json!({"eventId": "no-such-event", "seatNumbers": [seats[0]]}), 404, "NOT_FOUND"),
        (json!({"eventId": event, "quantity": 0}), 400, "VALIDATION_ERROR"),
        (json!({"eventId": event, "quantity": 11}), 400, "VALIDATION_ERROR"),
        (json!({"eventId": event, "quantity": "two"}), 400, "VALIDATION_ERROR"),
        (json!({"eventId": event, "quantity": 2, "section": "NOPE"}), 400, "VALIDATION_ERROR"),
        (json!({"eventId": event}), 400, "VALIDATION_ERROR"),
        (json!({"eventId": event, "quantity": 1, "seatNumbers": [seats[0]]}), 400, "VALIDATION_ERROR"),
        (json!({"seatNumbers": [seats[0]]}), 400, "VALIDATION_ERROR"),
        (json!({"eventId": "", "quantity": 1}), 400, "VALIDATION_ERROR"),
        (json!({"eventId": event, "seatNumbers": ["x".repeat(1000)]}), 400, "VALIDATION_ERROR"),
    ];
    for (body, status, code) in cases {
        let (s, _, b) = reserve(&app.http, &app.url, &u, body.clone()).await;
        assert_error(s, &b, status, code);
    }
    // No token: 401. An event not on sale: 409.
    let (s, b) = app.post("/api/inventory/reservations", None, json!({"eventId": event, "quantity": 1})).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
    let upcoming = app.create_event(&admin, json!({})).await;
    let up_id = upcoming["eventId"].as_str().unwrap();
    let (s, _, b) = reserve(&app.http, &app.url, &u, json!({"eventId": up_id, "quantity": 1})).await;
    assert_error(s, &b, 409, "EVENT_NOT_ON_SALE");
    // Layouts: admin only, validated, only while UPCOMING.
    let good = json!({"sections": [{"section": "A", "seatType": "VIP", "price": 10.5, "rows": [{"rowNumber": 1, "seats": 3}]}]});
    let (s, b) = app.put(&format!("/api/inventory/events/{up_id}/seats"), Some(&u), good.clone()).await;
    assert_error(s, &b, 403, "FORBIDDEN");
    let bad_layouts = vec![
        json!({"sections": []}),
        json!({"sections": [{"section": "A", "seatType": "GOLD", "price": 10, "rows": [{"rowNumber": 1, "seats": 3}]}]}),
        json!({"sections": [{"section": "A", "seatType": "VIP", "price": 10.555, "rows": [{"rowNumber": 1, "seats": 3}]}]}),
        json!({"sections": [{"section": "A", "seatType": "VIP", "price": -1, "rows": [{"rowNumber": 1, "seats": 3}]}]}),
        json!({"sections": [{"section": "A", "seatType": "VIP", "price": 10, "rows": [{"rowNumber": 1, "seats": 0}]}]}),
        json!({"sections": [{"section": "A", "seatType": "VIP", "price": 10, "rows": [{"rowNumber": 1, "seats": 2001}]}]}),
        json!({"sections": [{"section": "A", "seatType": "VIP", "price": 10, "rows": [{"rowNumber": 1, "seats": 3}, {"rowNumber": 1, "seats": 3}]}]}),
        json!({"sections": [{"section": "A", "seatType": "VIP", "price": 10, "rows": [{"rowNumber": 1, "seats": 3}]},
                            {"section": "A", "seatType": "VIP", "price": 10, "rows": [{"rowNumber": 1, "seats": 3}]}]}),
        json!({"sections": (0..60).map(|i| json!({"section": format!("S{i}"), "seatType": "REGULAR", "price": 1,
            "rows": (1..=2).map(|r| json!({"rowNumber": r, "seats": 2000})).collect::<Vec<_>>()})).collect::<Vec<_>>()}),
        json!({"sections": "A"}),
        json!("layout"),
    ];
    for l in bad_layouts {
        let (s, b) = app.put(&format!("/api/inventory/events/{up_id}/seats"), Some(&admin), l.clone()).await;
        assert_error(s, &b, 400, "VALIDATION_ERROR");
    }
    let (s, b) = app.put(&format!("/api/inventory/events/{up_id}/seats"), Some(&admin), good.clone()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["totalSeats"], 3);
    let (s, b) = app.put("/api/inventory/events/no-such/seats", Some(&admin), good.clone()).await;
    assert_error(s, &b, 404, "NOT_FOUND");
    // The event on sale cannot change its layout.
    let (s, b) = app.put(&format!("/api/inventory/events/{event}/seats"), Some(&admin), good).await;
    assert_error(s, &b, 409, "CONFLICT");
    let (s, b) = app.get("/api/inventory/events/no-such/seats", None).await;
    assert_error(s, &b, 404, "NOT_FOUND");
    let (s, b) = app.get("/api/inventory/events/no-such/availability", None).await;
    assert_error(s, &b, 404, "NOT_FOUND");
}

/// One account, 20 concurrent requests of 2 seats against `maxTicketsPerUser: 4`, spread over the
/// given nodes: never more than 4 held; after a release it can reserve again.
async fn buyer_limit_race(main: &TestApp, urls: Vec<String>) {
    let admin = main.admin_token().await;
    let ev = main.create_event(&admin, json!({"maxTicketsPerUser": 4})).await;
    let id = ev["eventId"].as_str().unwrap().to_string();
    let layout = json!({"sections": [{"section": "A", "seatType": "REGULAR", "price": 5, "rows": [{"rowNumber": 1, "seats": 50}]}]});
    assert_eq!(main.put(&format!("/api/inventory/events/{id}/seats"), Some(&admin), layout).await.0, StatusCode::OK);
    assert_eq!(main.put(&format!("/api/events/{id}/status"), Some(&admin), json!({"status": "ON_SALE"})).await.0, StatusCode::OK);
    let u = main.token_for(&common::ids::new_id());
    let barrier = Arc::new(Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (http, url, u, id, b) = (main.http.clone(), urls[i % urls.len()].clone(), u.clone(), id.clone(), barrier.clone());
            tokio::spawn(async move {
                b.wait().await;
                reserve(&http, &url, &u, json!({"eventId": id, "quantity": 2})).await
            })
        })
        .collect();
    let results: Vec<_> = join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
    let won: Vec<_> = results.iter().filter(|r| r.0 == StatusCode::CREATED).collect();
    assert_eq!(won.len(), 2, "two requests of 2 seats fill a limit of 4");
    let refused = results.iter().find(|r| r.0 == StatusCode::CONFLICT).unwrap();
    assert_eq!(refused.2["error"], "TICKET_LIMIT_EXCEEDED");
    assert_eq!(refused.2["limit"], 4);
    assert_eq!(refused.2["held"], 4);
    let (_, mine) = main.get("/api/inventory/reservations/me", Some(&u)).await;
    assert_eq!(mine["reservations"].as_array().unwrap().len(), 4);
    // Let go of one request's seats: the buyer may reserve 2 again, and no more.
    let ids: Vec<Value> = won[0].2["reservations"].as_array().unwrap().iter().map(|r| r["reservationId"].clone()).collect();
    let (s, _) = main.post("/api/inventory/reservations/cancel", Some(&u), json!({"reservationIds": ids})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, b) = reserve(&main.http, &urls[urls.len() - 1], &u, json!({"eventId": id, "quantity": 2})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, _, b) = reserve(&main.http, &main.url, &u, json!({"eventId": id, "quantity": 1})).await;
    assert_error(s, &b, 409, "TICKET_LIMIT_EXCEEDED");
}

#[tokio::test]
async fn the_per_buyer_limit_holds_under_concurrency() {
    let app = spawn_app().await;
    buyer_limit_race(&app, vec![app.url.clone()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_per_buyer_limit_holds_across_three_inventory_nodes_on_mariadb() {
    let (Some(base), Some(_)) = (mysql_url(), redis_url()) else {
        eprintln!("skipped: TICKETING_TEST_MYSQL_URL / TICKETING_TEST_REDIS_URL not set");
        return;
    };
    let db = fresh_mysql(&base);
    let main = spawn_shared(&db, |_| {}).await;
    let nodes = inventory_nodes(&main, &db, 2).await;
    let mut urls = vec![main.url.clone()];
    urls.extend(nodes.iter().map(|n| n.url.clone()));
    buyer_limit_race(&main, urls).await;
}
