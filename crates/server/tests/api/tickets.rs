//! Tickets and check-in through the gateway (shared/API.md §13): codes a gate verifies offline,
//! their pictures, scans admitted exactly once however many gates race, revocation, scanners,
//! offline gates.

use crate::helpers::*;
use base64::Engine;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;

async fn tickets(app: &TestApp, token: &str, booking: &Value) -> Vec<Value> {
    let (s, b) = app.get(&format!("/api/bookings/{}/tickets", booking["bookingId"].as_str().unwrap()), Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["tickets"].as_array().unwrap().clone()
}

async fn scan(app: &TestApp, token: &str, event: &str, code: &str, gate: &str) -> (StatusCode, Value) {
    app.post(&format!("/api/checkin/events/{event}/scans"), Some(token), json!({"code": code, "gate": gate})).await
}

async fn raw(app: &TestApp, path: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
    let r = app.http.get(format!("{}{path}", app.url)).bearer_auth(token).send().await.unwrap();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (r.status(), ct, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn tickets_verify_offline_scan_once_and_are_revoked_with_their_booking() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 2, 5).await;
    let other_event = app.event_on_sale(&admin, 1, 5).await;
    let (fan, _, _) = app.new_user("ticket-fan@example.com").await;
    let (stranger, stranger_id, _) = app.new_user("ticket-stranger@example.com").await;
    let booking = app.buy(&fan, &event, &["A-1-1", "A-1-2"]).await;
    let list = tickets(&app, &fan, &booking).await;
    assert_eq!(list.len(), 2);
    for t in &list {
        assert_eq!(t["status"], "VALID", "{t}");
        assert_eq!(t["eventId"], event.as_str());
        assert!(t["usedAt"].is_null() && t["gate"].is_null(), "{t}");
    }
    // The code verifies with the published key alone, and says which ticket, event and seat.
    let (s, key) = app.get("/api/tickets/public-key", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(key["algorithm"], "Ed25519");
    let bytes: [u8; 32] = base64::engine::general_purpose::STANDARD.decode(key["publicKey"].as_str().unwrap()).unwrap().try_into().unwrap();
    let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes).unwrap();
    let claims = booking::tickets::code::verify_with(&key, list[0]["code"].as_str().unwrap()).expect("the code verifies offline");
    assert_eq!(claims.ticket_id, list[0]["ticketId"].as_str().unwrap());
    assert_eq!(claims.event_id, event);
    assert_eq!(claims.seat_number, list[0]["seatNumber"].as_str().unwrap());

    // Pictures, for the owner (and an admin) only.
    let id = list[0]["ticketId"].as_str().unwrap();
    let (s, ct, png) = raw(&app, &format!("/api/tickets/{id}/qr"), &fan).await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "image/png"));
    assert!(png.starts_with(b"\x89PNG"));
    let (s, ct, svg) = raw(&app, &format!("/api/tickets/{id}/qr?format=svg"), &admin).await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "image/svg+xml"));
    assert!(String::from_utf8(svg).unwrap().contains("<svg"));
    let (s, ct, pdf) = raw(&app, &format!("/api/tickets/{id}/pdf"), &fan).await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "application/pdf"));
    assert!(pdf.starts_with(b"%PDF-"));
    let (s, b) = app.get(&format!("/api/tickets/{id}/pdf"), Some(&stranger)).await;
    assert_error(s, &b, 403, "FORBIDDEN");
    let (s, b) = app.get(&format!("/api/bookings/{}/tickets", booking["bookingId"].as_str().unwrap()), Some(&stranger)).await;
    assert_error(s, &b, 403, "FORBIDDEN");
    let (s, b) = app.get("/api/tickets/nope-t1/qr", Some(&fan)).await;
    assert_error(s, &b, 404, "NOT_FOUND");
    let (s, b) = app.get(&format!("/api/tickets/{id}/qr?format=gif"), Some(&fan)).await;
    assert_error(s, &b, 400, "VALIDATION_ERROR");

    // At the door: admitted once; the second scan names the first one's time and gate.
    let code = list[0]["code"].as_str().unwrap();
    let (s, first) = scan(&app, &admin, &event, code, "North").await;
    assert_eq!((s, first["result"].as_str()), (StatusCode::OK, Some("ADMITTED")), "{first}");
    assert_eq!(first["seatNumber"], list[0]["seatNumber"]);
    let (_, again) = scan(&app, &admin, &event, code, "South").await;
    assert_eq!(again["result"], "ALREADY_USED", "{again}");
    assert_eq!((&again["usedAt"], &again["gate"]), (&first["usedAt"], &json!("North")));
    assert_eq!(tickets(&app, &fan, &booking).await[0]["status"], "USED");
    // Another event's door, a forged code, garbage.
    let (_, b) = scan(&app, &admin, &other_event, list[1]["code"].as_str().unwrap(), "North").await;
    assert_eq!(b["result"], "WRONG_EVENT", "{b}");
    let mut forged = list[1]["code"].as_str().unwrap().to_string();
    forged.replace_range(forged.len() - 4.., "AAAA");
    for bad in [forged.as_str(), "TK1.e30.AAAA", "hello"] {
        let (s, b) = scan(&app, &admin, &event, bad, "North").await;
        assert_eq!((s, b["result"].as_str()), (StatusCode::OK, Some("INVALID")), "{bad}: {b}");
    }
    let (s, b) = scan(&app, &admin, &event, code, "").await;
    assert_error(s, &b, 400, "VALIDATION_ERROR");

    // Scanners: only the event an admin granted.
    let (s, b) = scan(&app, &stranger, &event, code, "North").await;
    assert_error(s, &b, 403, "FORBIDDEN");
    let (s, b) = app.put(&format!("/api/checkin/events/{event}/scanners/{stranger_id}"), Some(&fan), json!({})).await;
    assert_error(s, &b, 403, "FORBIDDEN");
    let (s, _) = app.put(&format!("/api/checkin/events/{event}/scanners/{stranger_id}"), Some(&admin), json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, b) = scan(&app, &stranger, &event, code, "North").await;
    assert_eq!(b["result"], "ALREADY_USED");
    let (s, b) = scan(&app, &stranger, &other_event, code, "North").await;
    assert_error(s, &b, 403, "FORBIDDEN");
    let (_, mine) = app.get("/api/checkin/me", Some(&stranger)).await;
    assert_eq!(mine["eventIds"], json!([event]));
    let (s, counts) = app.get(&format!("/api/checkin/events/{event}"), Some(&stranger)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((counts["expected"].as_i64(), counts["admitted"].as_i64()), (Some(2), Some(1)), "{counts}");

    // Cancelled: every ticket revoked, and a scan changes nothing.
    let (s, b) = app.post(&format!("/api/bookings/{}/cancel", booking["bookingId"].as_str().unwrap()), Some(&fan), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let after: Vec<Value> = tickets(&app, &fan, &booking).await;
    assert!(after.iter().all(|t| t["status"] == "REVOKED"), "{after:?}");
    let (_, b) = scan(&app, &admin, &event, list[1]["code"].as_str().unwrap(), "North").await;
    assert_eq!(b["result"], "REVOKED", "{b}");
    let (_, counts) = app.get(&format!("/api/checkin/events/{event}"), Some(&admin)).await;
    assert_eq!(counts["expected"], 0, "{counts}");

    // A booking that failed has no tickets.
    let (s, r) = app.post("/api/inventory/reservations", Some(&fan), json!({"eventId": event, "seatNumbers": ["A-2-1"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let declined = json!({"type": "CREDIT_CARD", "cardNumber": "4000000000000002", "expiryMonth": 12, "expiryYear": 2099, "cvv": "123"});
    let body =
        json!({"reservationIds": [r["reservations"][0]["reservationId"]], "paymentMethod": declined, "idempotencyKey": "k-declined"});
    let (s, b) = app.post("/api/bookings/confirm", Some(&fan), body).await;
    assert_error(s, &b, 402, "PAYMENT_FAILED");
    let (_, mine) = app.get("/api/bookings/me", Some(&fan)).await;
    let failed = mine["bookings"].as_array().unwrap().iter().find(|b| b["status"] == "FAILED").expect("the failed booking").clone();
    let (s, b) = app.get(&format!("/api/bookings/{}/tickets", failed["bookingId"].as_str().unwrap()), Some(&fan)).await;
    assert_error(s, &b, 409, "INVALID_STATE_TRANSITION");
}

#[tokio::test]
async fn an_offline_gate_uploads_its_scans_and_hears_of_conflicts() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 5).await;
    let (fan, _, _) = app.new_user("offline-fan@example.com").await;
    let booking = app.buy(&fan, &event, &["A-1-1", "A-1-2", "A-1-3"]).await;
    let list = tickets(&app, &fan, &booking).await;
    let (s, download) = app.get(&format!("/api/checkin/events/{event}/tickets"), Some(&admin)).await;
    assert_eq!(s, StatusCode::OK, "{download}");
    assert_eq!(download["tickets"].as_array().unwrap().len(), 3);
    assert!(download["publicKey"].is_string());
    // Gate East is online and admits ticket 1; gate West was offline and scanned 1 and 2 earlier.
    let (_, b) = scan(&app, &admin, &event, list[0]["code"].as_str().unwrap(), "East").await;
    assert_eq!(b["result"], "ADMITTED");
    let upload = json!({"gate": "West", "scans": [
        {"code": list[1]["code"], "scannedAt": "2026-01-01T19:00:00Z"},
        {"code": list[0]["code"], "scannedAt": "2026-01-01T19:01:00Z"},
    ]});
    let (s, r) = app.post(&format!("/api/checkin/events/{event}/scans/batch"), Some(&admin), upload.clone()).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let results = r["results"].as_array().unwrap();
    assert_eq!((results[0]["result"].as_str(), results[0]["conflict"].as_bool()), (Some("ADMITTED"), Some(false)), "{r}");
    assert_eq!(results[0]["usedAt"], "2026-01-01T19:00:00Z", "decided as of when it was scanned");
    assert_eq!((results[1]["result"].as_str(), results[1]["conflict"].as_bool()), (Some("ALREADY_USED"), Some(true)), "{r}");
    assert_eq!(results[1]["gate"], "East");
    // Uploading the same scans again (a retry) reports the same, and changes nothing.
    let (_, again) = app.post(&format!("/api/checkin/events/{event}/scans/batch"), Some(&admin), upload).await;
    assert_eq!(again, r);
    let (s, b) = app.post(&format!("/api/checkin/events/{event}/scans/batch"), Some(&admin), json!({"gate": "West", "scans": []})).await;
    assert_error(s, &b, 400, "VALIDATION_ERROR");
    let (s, b) = app
        .post(
            &format!("/api/checkin/events/{event}/scans/batch"),
            Some(&admin),
            json!({"gate": "West", "scans": [{"code": "x", "scannedAt": "soon"}]}),
        )
        .await;
    assert_error(s, &b, 400, "VALIDATION_ERROR");
}

/// Every ticket scanned at the same moment by many gates (on every node): exactly one scan per
/// ticket is ADMITTED, and every other names that one's time and gate.
async fn gates_race(apps: &[&TestApp]) {
    let main = apps[0];
    let admin = main.admin_token().await;
    let event = main.event_on_sale(&admin, 2, 10).await;
    let mut codes = Vec::new();
    for i in 0..4 {
        let (fan, _, _) = main.new_user(&format!("race-fan-{i}@example.com")).await;
        let seats: Vec<String> = (1..=5).map(|n| format!("A-{}-{}", i / 2 + 1, (i % 2) * 5 + n)).collect();
        let booking = main.buy(&fan, &event, &seats.iter().map(String::as_str).collect::<Vec<_>>()).await;
        for t in tickets(main, &fan, &booking).await {
            codes.push((t["ticketId"].as_str().unwrap().to_string(), t["code"].as_str().unwrap().to_string()));
        }
    }
    // 20 tickets x 15 gates = 300 scans at once.
    let scans = codes.iter().flat_map(|(id, code)| {
        (0..15).map({
            let admin = admin.clone();
            let event = event.clone();
            move |g| {
                let app = apps[g % apps.len()];
                let (id, code, admin, event) = (id.clone(), code.clone(), admin.clone(), event.clone());
                async move { (id, scan(app, &admin, &event, &code, &format!("gate-{g}")).await) }
            }
        })
    });
    let results = join_all(scans).await;
    let mut admitted: HashMap<String, Value> = HashMap::new();
    for (id, (s, b)) in &results {
        assert_eq!(*s, StatusCode::OK, "{b}");
        if b["result"] == "ADMITTED" {
            assert!(admitted.insert(id.clone(), b.clone()).is_none(), "ticket {id} admitted twice");
        }
    }
    assert_eq!(admitted.len(), codes.len(), "every ticket admitted once");
    for (id, (_, b)) in &results {
        if b["result"] != "ADMITTED" {
            assert_eq!(b["result"], "ALREADY_USED", "{b}");
            assert_eq!((&b["usedAt"], &b["gate"]), (&admitted[id]["usedAt"], &admitted[id]["gate"]), "{id}");
        }
    }
    let (_, counts) = main.get(&format!("/api/checkin/events/{event}"), Some(&admin)).await;
    assert_eq!((counts["expected"].as_i64(), counts["admitted"].as_i64()), (Some(20), Some(20)), "{counts}");
    audit(main).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gates_racing_admit_each_ticket_once_on_sqlite() {
    let app = spawn_app().await;
    gates_race(&[&app]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gates_racing_admit_each_ticket_once_on_mariadb_with_two_nodes() {
    let Some((a, b)) = two_shared_nodes().await else { return };
    gates_race(&[&a, &b]).await;
}
