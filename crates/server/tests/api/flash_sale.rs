//! The flash sale: 300 buyers with their own accounts fight for 60 seats through the gateway. Each
//! reserves 1-4 seats, and every winner confirms twice at once with one idempotency key, a quarter
//! of them with a card that is declined. At the end: no seat sold twice, the seat map agrees with the
//! bookings, no hold is left, and the payment ledger equals the confirmed bookings plus refunds.

use crate::helpers::*;
use futures::future::join_all;
use futures::stream::{self, StreamExt};
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::Barrier;

const BUYERS: usize = 300;

async fn post(http: &reqwest::Client, url: String, token: Option<&str>, key: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut r = http.post(url).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let resp = r.send().await.expect("sent");
    let s = resp.status();
    (s, resp.json().await.unwrap_or(Value::Null))
}

/// Register and log in `n` buyers (16 at a time: password hashing is slow on purpose).
async fn accounts(app: &TestApp, n: usize) -> Vec<String> {
    let run = common::ids::random_token(3);
    stream::iter(0..n)
        .map(|i| {
            let (http, url, email) = (app.http.clone(), app.url.clone(), format!("fan{i}-{run}@example.com"));
            async move {
                let (s, b) = post(
                    &http,
                    format!("{url}/api/auth/register"),
                    None,
                    None,
                    json!({"email": email, "password": "password123", "name": "Fan"}),
                )
                .await;
                assert_eq!(s, StatusCode::CREATED, "{b}");
                let (s, b) =
                    post(&http, format!("{url}/api/auth/login"), None, None, json!({"email": email, "password": "password123"})).await;
                assert_eq!(s, StatusCode::OK, "{b}");
                b["accessToken"].as_str().unwrap().to_string()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await
}

async fn flash_sale(nodes: &[&TestApp]) {
    let main = nodes[0];
    let admin = main.admin_token().await;
    let event = main.event_on_sale(&admin, 3, 20).await;
    let seats = main.seat_numbers(&event).await;
    assert_eq!(seats.len(), 60);
    let tokens = accounts(main, BUYERS).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let barrier = Arc::new(Barrier::new(BUYERS));
    let mut tasks = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let n = rng.gen_range(1..=4);
        let mut pick = HashSet::new();
        while pick.len() < n {
            pick.insert(seats[rng.gen_range(0..seats.len())].clone());
        }
        let declined = rng.gen_bool(0.25);
        let (http, url, token, barrier, event) =
            (main.http.clone(), nodes[i % nodes.len()].url.clone(), token.clone(), barrier.clone(), event.clone());
        let other = nodes[(i + 1) % nodes.len()].url.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let (s, r) = post(&http, format!("{url}/api/inventory/reservations"), Some(&token), None,
                json!({"eventId": event, "seatNumbers": pick.iter().collect::<Vec<_>>()})).await;
            if s != StatusCode::CREATED {
                // Lost the race; or, on MariaDB, a transaction the server gave up on after its
                // retries (deadlock, lock wait): 503 with nothing changed, which a client retries.
                let busy = s == StatusCode::SERVICE_UNAVAILABLE && r["error"] == "UNAVAILABLE";
                assert!(busy || (s == StatusCode::CONFLICT && lost_the_race(&r)), "{s} {r}");
                return (token, None);
            }
            let ids: Vec<Value> = r["reservations"].as_array().unwrap().iter().map(|x| x["reservationId"].clone()).collect();
            let card = if declined { "4000000000000002" } else { "4242424242424242" };
            let body = json!({"reservationIds": ids, "paymentMethod": {"type": "CREDIT_CARD", "cardNumber": card, "expiryMonth": 12, "expiryYear": 2099, "cvv": "123"}});
            let key = common::ids::new_id();
            // The same confirmation twice at once (a double click), on two gateways when there are two.
            let (a, b) = tokio::join!(
                post(&http, format!("{url}/api/bookings/confirm"), Some(&token), Some(&key), body.clone()),
                post(&http, format!("{other}/api/bookings/confirm"), Some(&token), Some(&key), body.clone()),
            );
            (token, Some((declined, pick.len(), a, b)))
        }));
    }
    let results: Vec<_> = join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
    let mut winners = 0;
    for (_, r) in &results {
        let Some((declined, _, a, b)) = r else { continue };
        winners += 1;
        let answers = [a, b];
        // One key, one outcome: never two different bookings, never a second charge.
        let ids: HashSet<&str> = answers.iter().filter_map(|(_, v)| v["bookingId"].as_str()).collect();
        assert!(ids.len() <= 1, "one key made two bookings: {a:?} {b:?}");
        for (s, v) in answers {
            match (declined, s.as_u16()) {
                (false, 200 | 201) => assert_eq!(v["status"], "CONFIRMED", "{v}"),
                (true, 402) => assert_eq!(v["error"], "PAYMENT_FAILED", "{v}"),
                (_, 409) => assert_eq!(v["error"], "IDEMPOTENCY_KEY_IN_USE", "{v}"),
                other => panic!("unexpected answer {other:?}: {v}"),
            }
        }
        assert!(answers.iter().any(|(s, _)| matches!(s.as_u16(), 200 | 201 | 402)), "neither confirm finished: {a:?} {b:?}");
    }
    assert!(winners > 0 && winners < BUYERS, "{winners} winners");

    // Every buyer's bookings, as the API shows them.
    let mut sold: HashMap<String, String> = HashMap::new();
    let (mut confirmed, mut failed) = (0, 0);
    for (token, _) in &results {
        let (s, b) = main.get("/api/bookings/me", Some(token)).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        for bk in b["bookings"].as_array().unwrap() {
            match bk["status"].as_str().unwrap() {
                "CONFIRMED" => {
                    confirmed += 1;
                    assert_eq!(bk["paymentStatus"], "SUCCESS", "{bk}");
                    for s in bk["seats"].as_array().unwrap() {
                        let n = s["seatNumber"].as_str().unwrap().to_string();
                        assert!(sold.insert(n.clone(), bk["bookingId"].to_string()).is_none(), "seat {n} sold twice");
                    }
                }
                "FAILED" => {
                    failed += 1;
                    assert!(bk["paymentStatus"] == "FAILED" || bk["paymentStatus"] == "REFUNDED", "{bk}");
                }
                other => panic!("booking left {other}: {bk}"),
            }
        }
    }
    assert!(confirmed > 0 && failed > 0, "{confirmed} confirmed, {failed} failed");
    // The seat map agrees, and no hold is left.
    let (_, map) = main.get(&format!("/api/inventory/events/{event}/seats"), None).await;
    for s in map["seats"].as_array().unwrap() {
        let n = s["seatNumber"].as_str().unwrap();
        let want = if sold.contains_key(n) { "BOOKED" } else { "AVAILABLE" };
        assert_eq!(s["status"], want, "seat {n}");
    }
    // The payment ledger: successful charges are exactly the confirmed bookings; nothing else kept money.
    let pdb = main.node.services.payment.as_ref().unwrap().db().clone();
    let (ok,): (i64,) =
        store::run!(pdb.read(), p => sqlx::query_as("SELECT COUNT(*) FROM payments WHERE status = 'SUCCESS'").fetch_one(p).await).unwrap();
    assert_eq!(ok, confirmed, "successful charges vs confirmed bookings");
    // And the platform's own audit (`ticketing audit`, shared/API.md §15) agrees.
    let report = audit(main).await;
    assert!(report.bookings as i64 >= confirmed, "the audit read the bookings: {report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn flash_sale_on_sqlite() {
    let app = spawn_app().await;
    flash_sale(&[&app]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn flash_sale_on_mariadb_and_redis_with_two_nodes() {
    let Some((a, b)) = two_shared_nodes().await else { return };
    flash_sale(&[&a, &b]).await;
}
