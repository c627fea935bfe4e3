//! The events catalogue through the gateway (shared/API.md §4): the event's shape, lists and their
//! filters, updates, the status machine (by hand and by the clock), deletion, and bad input.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const EVENT_FIELDS: [&str; 20] = [
    "eventId",
    "eventName",
    "description",
    "category",
    "venueName",
    "city",
    "eventDate",
    "saleStartTime",
    "saleEndTime",
    "tags",
    "imageUrl",
    "status",
    "totalSeats",
    "availableSeats",
    "minPrice",
    "maxPrice",
    "maxTicketsPerUser",
    "waitingRoom",
    "createdAt",
    "updatedAt",
];

/// `400 VALIDATION_ERROR` that names `field` (in `field` or in the message).
fn assert_validation(status: StatusCode, body: &Value, field: &str) {
    assert_error(status, body, 400, "VALIDATION_ERROR");
    let named = body["field"] == field || body["message"].as_str().unwrap_or("").contains(field);
    assert!(named, "the error does not name {field}: {body}");
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn in_secs(secs: i64) -> String {
    rfc3339(chrono::Utc::now() + chrono::Duration::seconds(secs))
}

fn valid_body() -> Value {
    json!({
        "eventName": "Test Concert", "category": "CONCERT", "venueName": "Test Arena", "city": "Lisbon",
        "eventDate": "2030-06-01T20:00:00Z", "saleStartTime": "2030-05-01T10:00:00Z",
    })
}

fn with(mut body: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        body[k.as_str()] = v.clone();
    }
    body
}

fn without(mut body: Value, key: &str) -> Value {
    body.as_object_mut().unwrap().remove(key);
    body
}

/// Poll `GET /api/events/{id}` until `done` holds or the deadline passes.
async fn poll_event(app: &TestApp, id: &str, within: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let (s, ev) = app.get(&format!("/api/events/{id}"), None).await;
        assert_eq!(s, StatusCode::OK, "{ev}");
        if done(&ev) {
            return ev;
        }
        assert!(Instant::now() < deadline, "gave up waiting; the event is {ev}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn set_status(app: &TestApp, admin: &str, id: &str, status: &str) -> (StatusCode, Value) {
    app.put(&format!("/api/events/{id}/status"), Some(admin), json!({"status": status})).await
}

async fn add_seats(app: &TestApp, admin: &str, id: &str, n: i64) {
    let layout = json!({"sections": [{"section": "A", "seatType": "REGULAR", "price": 50.00, "rows": [{"rowNumber": 1, "seats": n}]}]});
    let (s, b) = app.put(&format!("/api/inventory/events/{id}/seats"), Some(admin), layout).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

/// A new event with one seat, its count already copied into the catalogue (so that no later copy
/// flips a status the test sets by hand): an event without seats cannot go on sale.
async fn seated_event(app: &TestApp, admin: &str, body: Value) -> String {
    let id = app.create_event(admin, body).await["eventId"].as_str().unwrap().to_string();
    add_seats(app, admin, &id, 1).await;
    poll_event(app, &id, Duration::from_secs(10), |e| e["totalSeats"] == 1).await;
    id
}

fn ids(list: &Value) -> Vec<String> {
    list["events"].as_array().unwrap().iter().map(|e| e["eventId"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn create_answers_201_with_the_full_event_and_its_defaults() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (s, ev) = app.post("/api/events", Some(&admin), valid_body()).await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    let obj = ev.as_object().unwrap();
    for f in EVENT_FIELDS {
        assert!(obj.contains_key(f), "missing {f}: {ev}");
    }
    assert!(ev["eventId"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(ev["eventName"], "Test Concert");
    assert_eq!(ev["description"], Value::Null);
    assert_eq!(ev["category"], "CONCERT");
    assert_eq!(ev["venueName"], "Test Arena");
    assert_eq!(ev["city"], "Lisbon");
    assert_eq!(ev["eventDate"], "2030-06-01T20:00:00Z");
    assert_eq!(ev["saleStartTime"], "2030-05-01T10:00:00Z");
    assert_eq!(ev["saleEndTime"], Value::Null);
    assert_eq!(ev["tags"], json!([]));
    assert_eq!(ev["imageUrl"], Value::Null);
    assert_eq!(ev["status"], "UPCOMING");
    assert_eq!(ev["totalSeats"], 0);
    assert_eq!(ev["availableSeats"], 0);
    assert_eq!(ev["minPrice"], Value::Null);
    assert_eq!(ev["maxPrice"], Value::Null);
    assert_eq!(ev["maxTicketsPerUser"], Value::Null);
    assert_eq!(ev["waitingRoom"], json!({"enabled": false, "admitPerMinute": 1000}));
    for f in ["createdAt", "updatedAt"] {
        let t = ev[f].as_str().unwrap();
        assert!(t.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(t).is_ok(), "{f}: {t}");
    }
    // GET answers the same event.
    let id = ev["eventId"].as_str().unwrap();
    let (s, got) = app.get(&format!("/api/events/{id}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got, ev);
}

#[tokio::test]
async fn create_keeps_every_optional_field() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = with(
        valid_body(),
        json!({
            "description": "An evening of rock", "saleEndTime": "2030-06-01T18:00:00Z", "tags": ["rock", "live", "rock"],
            "imageUrl": "https://img.example.com/a.png", "maxTicketsPerUser": 4,
            "waitingRoom": {"enabled": true, "admitPerMinute": 50},
            // Times in other offsets are normalised to UTC.
            "eventDate": "2030-06-01T22:00:00+02:00",
        }),
    );
    let (s, ev) = app.post("/api/events", Some(&admin), body).await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    assert_eq!(ev["description"], "An evening of rock");
    assert_eq!(ev["eventDate"], "2030-06-01T20:00:00Z");
    assert_eq!(ev["saleEndTime"], "2030-06-01T18:00:00Z");
    assert_eq!(ev["tags"], json!(["rock", "live"]));
    assert_eq!(ev["imageUrl"], "https://img.example.com/a.png");
    assert_eq!(ev["maxTicketsPerUser"], 4);
    assert_eq!(ev["waitingRoom"], json!({"enabled": true, "admitPerMinute": 50}));
    // Enabled without a rate: the default rate.
    let (s, ev) = app.post("/api/events", Some(&admin), with(valid_body(), json!({"waitingRoom": {"enabled": true}}))).await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    assert_eq!(ev["waitingRoom"], json!({"enabled": true, "admitPerMinute": 1000}));
}

#[tokio::test]
async fn get_of_an_unknown_event_is_404() {
    let app = spawn_app().await;
    for id in ["nope", "00000000-0000-0000-0000-000000000000", &"x".repeat(300), "%20", "a%2Fb"] {
        let (s, b) = app.get(&format!("/api/events/{id}"), None).await;
        assert_error(s, &b, 404, "NOT_FOUND");
    }
}

#[tokio::test]
async fn lists_page_through_the_catalogue_by_date() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut made = Vec::new();
    // Created out of date order; listed in date order.
    for day in [5, 1, 4, 2, 3] {
        let ev =
            app.create_event(&admin, json!({"eventName": format!("Day {day}"), "eventDate": format!("2030-07-0{day}T20:00:00Z")})).await;
        made.push((day, ev["eventId"].as_str().unwrap().to_string()));
    }
    made.sort();
    let by_date: Vec<String> = made.into_iter().map(|(_, id)| id).collect();

    let (s, all) = app.get("/api/events", None).await;
    assert_eq!(s, StatusCode::OK, "{all}");
    assert_eq!(all["page"], json!({"number": 0, "size": 20, "totalElements": 5, "totalPages": 1}));
    assert_eq!(ids(&all), by_date);
    for e in all["events"].as_array().unwrap() {
        for f in EVENT_FIELDS {
            assert!(e.get(f).is_some(), "listed event without {f}: {e}");
        }
    }

    let mut seen = Vec::new();
    for page in 0..3 {
        let (s, p) = app.get(&format!("/api/events?page={page}&size=2"), None).await;
        assert_eq!(s, StatusCode::OK, "{p}");
        assert_eq!(p["page"], json!({"number": page, "size": 2, "totalElements": 5, "totalPages": 3}));
        assert_eq!(p["events"].as_array().unwrap().len(), if page < 2 { 2 } else { 1 });
        seen.extend(ids(&p));
    }
    assert_eq!(seen, by_date, "pages cover the catalogue once, in order");
    let (s, p) = app.get("/api/events?page=3&size=2", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["events"], json!([]));
    assert_eq!(p["page"]["totalElements"], 5);
    let (_, p) = app.get("/api/events?size=100", None).await;
    assert_eq!(p["page"]["size"], 100);
    assert_eq!(p["events"].as_array().unwrap().len(), 5);
    let (_, p) = app.get("/api/events?size=1", None).await;
    assert_eq!(p["page"], json!({"number": 0, "size": 1, "totalElements": 5, "totalPages": 5}));
}

#[tokio::test]
async fn an_empty_catalogue_is_an_empty_page() {
    let app = spawn_app().await;
    let (s, p) = app.get("/api/events", None).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p, json!({"events": [], "page": {"number": 0, "size": 20, "totalElements": 0, "totalPages": 0}}));
}

#[tokio::test]
async fn every_list_filter_narrows_the_list() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.create_event(&admin, json!({"category": "CONCERT", "city": "Lisbon", "eventDate": "2030-06-01T20:00:00Z"})).await;
    let b = app.create_event(&admin, json!({"category": "SPORTS", "city": "Porto", "eventDate": "2030-06-02T23:30:00Z"})).await;
    let c = seated_event(&app, &admin, json!({"category": "CONCERT", "city": "Porto", "eventDate": "2030-06-03T10:00:00Z"})).await;
    let [a, b] = [&a, &b].map(|e| e["eventId"].as_str().unwrap().to_string());
    let (s, _) = set_status(&app, &admin, &c, "ON_SALE").await;
    assert_eq!(s, StatusCode::OK);

    let cases: Vec<(&str, Vec<&String>)> = vec![
        ("status=ON_SALE", vec![&c]),
        ("status=UPCOMING", vec![&a, &b]),
        ("status=CANCELLED", vec![]),
        ("category=CONCERT", vec![&a, &c]),
        ("category=concert", vec![&a, &c]),
        ("category=THEATRE", vec![]),
        ("city=Porto", vec![&b, &c]),
        ("city=porto", vec![&b, &c]),
        ("city=Lisbon", vec![&a]),
        ("dateFrom=2030-06-02", vec![&b, &c]),
        ("dateFrom=2030-06-02T23:30:00Z", vec![&b, &c]),
        ("dateFrom=2030-06-02T23:30:01Z", vec![&c]),
        ("dateTo=2030-06-02", vec![&a, &b]),
        ("dateTo=2030-06-01T20:00:00Z", vec![&a]),
        ("dateTo=2030-06-01T19:59:59Z", vec![]),
        ("dateFrom=2030-06-02&dateTo=2030-06-02", vec![&b]),
        ("dateFrom=2030-06-01T21:00:00%2B02:00&dateTo=2030-06-02T23:30:00Z", vec![&a, &b]),
        ("category=CONCERT&city=Porto", vec![&c]),
        ("category=CONCERT&city=Porto&status=UPCOMING", vec![]),
        ("status=&category=&city=", vec![&a, &b, &c]),
    ];
    for (q, want) in cases {
        let (s, p) = app.get(&format!("/api/events?{q}"), None).await;
        assert_eq!(s, StatusCode::OK, "{q}: {p}");
        let want: Vec<String> = want.into_iter().cloned().collect();
        assert_eq!(ids(&p), want, "{q}");
        assert_eq!(p["page"]["totalElements"], want.len(), "{q}");
    }
}

#[tokio::test]
async fn bad_list_parameters_are_400_naming_them() {
    let app = spawn_app().await;
    for (q, field) in [
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=99999999999999999999", "page"),
        ("size=0", "size"),
        ("size=101", "size"),
        ("size=-5", "size"),
        ("size=ten", "size"),
        ("status=OPEN", "status"),
        ("status=1", "status"),
        ("dateFrom=yesterday", "dateFrom"),
        ("dateFrom=2030-13-01", "dateFrom"),
        ("dateTo=2030-02-30", "dateTo"),
        ("dateTo=2030-06-01T25:00:00Z", "dateTo"),
        ("dateFrom=2030-06-02&dateTo=2030-06-01", "dateFrom"),
    ] {
        let (s, b) = app.get(&format!("/api/events?{q}"), None).await;
        assert_validation(s, &b, field);
    }
}

#[tokio::test]
async fn update_changes_only_the_fields_it_carries() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let ev = app.create_event(&admin, json!({"imageUrl": "/img/a.png", "maxTicketsPerUser": 6})).await;
    let id = ev["eventId"].as_str().unwrap();
    let (s, up) = app.put(&format!("/api/events/{id}"), Some(&admin), json!({"eventName": "Renamed", "city": "Porto"})).await;
    assert_eq!(s, StatusCode::OK, "{up}");
    assert_eq!(up["eventName"], "Renamed");
    assert_eq!(up["city"], "Porto");
    for f in EVENT_FIELDS.iter().filter(|f| !["eventName", "city", "updatedAt"].contains(f)) {
        assert_eq!(up[*f], ev[*f], "{f} changed");
    }
    assert!(up["updatedAt"].as_str().unwrap() >= ev["updatedAt"].as_str().unwrap());
    let (_, got) = app.get(&format!("/api/events/{id}"), None).await;
    assert_eq!(got, up);

    // Every other field, and null clearing the optional ones.
    let (s, up) = app
        .put(
            &format!("/api/events/{id}"),
            Some(&admin),
            json!({
                "description": null, "category": "THEATRE", "venueName": "Coliseu", "eventDate": "2031-01-10T21:00:00Z",
                "saleStartTime": "2030-12-01T09:00:00Z", "saleEndTime": "2031-01-10T20:00:00Z", "tags": ["drama"], "imageUrl": null,
                "maxTicketsPerUser": null, "waitingRoom": {"enabled": true, "admitPerMinute": 20},
            }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{up}");
    assert_eq!(up["description"], Value::Null);
    assert_eq!(up["category"], "THEATRE");
    assert_eq!(up["venueName"], "Coliseu");
    assert_eq!(up["eventDate"], "2031-01-10T21:00:00Z");
    assert_eq!(up["saleStartTime"], "2030-12-01T09:00:00Z");
    assert_eq!(up["saleEndTime"], "2031-01-10T20:00:00Z");
    assert_eq!(up["tags"], json!(["drama"]));
    assert_eq!(up["imageUrl"], Value::Null);
    assert_eq!(up["maxTicketsPerUser"], Value::Null);
    assert_eq!(up["waitingRoom"], json!({"enabled": true, "admitPerMinute": 20}));
    assert_eq!(up["eventName"], "Renamed");
    assert_eq!(up["status"], "UPCOMING");
    // Only the rate: enabled stays.
    let (s, up) = app.put(&format!("/api/events/{id}"), Some(&admin), json!({"waitingRoom": {"admitPerMinute": 30}})).await;
    assert_eq!(s, StatusCode::OK, "{up}");
    assert_eq!(up["waitingRoom"], json!({"enabled": true, "admitPerMinute": 30}));
    // An empty update changes nothing.
    let (s, same) = app.put(&format!("/api/events/{id}"), Some(&admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{same}");
    assert_eq!(same["eventName"], "Renamed");

    // A bad update changes nothing either.
    let (s, b) =
        app.put(&format!("/api/events/{id}"), Some(&admin), json!({"eventName": "Nope", "saleStartTime": "2032-01-01T00:00:00Z"})).await;
    assert_validation(s, &b, "saleStartTime");
    let (s, b) = app.put(&format!("/api/events/{id}"), Some(&admin), json!({"eventName": ""})).await;
    assert_validation(s, &b, "eventName");
    let (_, got) = app.get(&format!("/api/events/{id}"), None).await;
    assert_eq!(got["eventName"], "Renamed");
    // Unknown event.
    let (s, b) = app.put("/api/events/nope", Some(&admin), json!({"eventName": "X"})).await;
    assert_error(s, &b, 404, "NOT_FOUND");
}

#[tokio::test]
async fn every_allowed_status_move_works() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let new_event = || seated_event(&app, &admin, json!({}));
    let paths: [&[&str]; 4] = [
        &["ON_SALE", "SOLD_OUT", "ON_SALE", "SOLD_OUT", "CANCELLED"],
        &["CANCELLED"],
        &["ON_SALE", "CANCELLED"],
        &["ON_SALE", "SOLD_OUT", "ON_SALE"],
    ];
    for path in paths {
        let id = new_event().await;
        for to in path {
            let (s, ev) = set_status(&app, &admin, &id, to).await;
            assert_eq!(s, StatusCode::OK, "-> {to}: {ev}");
            assert_eq!(ev["status"], *to);
            assert_eq!(ev["eventId"], id.as_str());
            let (_, got) = app.get(&format!("/api/events/{id}"), None).await;
            assert_eq!(got["status"], *to);
        }
    }
}

#[tokio::test]
async fn disallowed_status_moves_are_409_invalid_state_transition() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event_in = |path: &'static [&'static str]| {
        let (app, admin) = (&app, &admin);
        async move {
            let id = seated_event(app, admin, json!({})).await;
            for to in path {
                let (s, b) = set_status(app, admin, &id, to).await;
                assert_eq!(s, StatusCode::OK, "{b}");
            }
            id
        }
    };
    let cases: [(&'static [&'static str], &[&str]); 4] = [
        (&[], &["SOLD_OUT", "COMPLETED"]),
        (&["ON_SALE"], &["UPCOMING", "COMPLETED"]),
        (&["ON_SALE", "SOLD_OUT"], &["UPCOMING", "COMPLETED"]),
        (&["CANCELLED"], &["UPCOMING", "ON_SALE", "SOLD_OUT", "COMPLETED"]),
    ];
    for (path, refused) in cases {
        let id = event_in(path).await;
        let before = app.get(&format!("/api/events/{id}"), None).await.1;
        for to in refused {
            let (s, b) = set_status(&app, &admin, &id, to).await;
            assert_error(s, &b, 409, "INVALID_STATE_TRANSITION");
        }
        let after = app.get(&format!("/api/events/{id}"), None).await.1;
        assert_eq!(after, before, "a refused move changed the event");
    }
    // Unknown, mistyped and missing statuses are validation errors; an unknown event is 404.
    let id = event_in(&[]).await;
    for body in [
        json!({"status": "OPEN"}),
        json!({"status": "on_sale "}),
        json!({"status": ""}),
        json!({"status": 1}),
        json!({"status": null}),
        json!({}),
    ] {
        let (s, b) = app.put(&format!("/api/events/{id}/status"), Some(&admin), body).await;
        assert_validation(s, &b, "status");
    }
    let (s, b) = set_status(&app, &admin, "nope", "ON_SALE").await;
    assert_error(s, &b, 404, "NOT_FOUND");
}

#[tokio::test]
async fn an_event_without_seats_cannot_go_on_sale() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app.create_event(&admin, json!({})).await["eventId"].as_str().unwrap().to_string();
    let (s, b) = set_status(&app, &admin, &id, "ON_SALE").await;
    assert_error(s, &b, 409, "INVALID_STATE_TRANSITION");
    assert_eq!(app.get(&format!("/api/events/{id}"), None).await.1["status"], "UPCOMING");
    // Once the layout is saved the sale opens at once (the catalogue asks the inventory, it does
    // not wait for its copy of the counts).
    add_seats(&app, &admin, &id, 5).await;
    let (s, b) = set_status(&app, &admin, &id, "ON_SALE").await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

#[tokio::test]
async fn completed_only_after_the_event_date_and_then_final() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let clock = app.node.services.events.clone().expect("events run here");
    let to_the_past = json!({"eventDate": in_secs(-60), "saleStartTime": in_secs(-7200)});
    for path in [&[][..], &["ON_SALE"], &["ON_SALE", "SOLD_OUT"]] {
        let id = seated_event(&app, &admin, json!({})).await;
        for to in path {
            assert_eq!(set_status(&app, &admin, &id, to).await.0, StatusCode::OK);
        }
        // Not before the date.
        let (s, b) = set_status(&app, &admin, &id, "COMPLETED").await;
        assert_error(s, &b, 409, "INVALID_STATE_TRANSITION");
        // After it, by hand (or the clock was faster: either way it ends COMPLETED).
        let (s, b) = app.put(&format!("/api/events/{id}"), Some(&admin), to_the_past.clone()).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, b) = set_status(&app, &admin, &id, "COMPLETED").await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["status"], "COMPLETED");
        // COMPLETED is final.
        for to in ["UPCOMING", "ON_SALE", "SOLD_OUT", "CANCELLED"] {
            let (s, b) = set_status(&app, &admin, &id, to).await;
            assert_error(s, &b, 409, "INVALID_STATE_TRANSITION");
        }
    }
    // The clock completes a past event by itself.
    let id = seated_event(&app, &admin, json!({})).await;
    assert_eq!(set_status(&app, &admin, &id, "ON_SALE").await.0, StatusCode::OK);
    let (s, b) = app.put(&format!("/api/events/{id}"), Some(&admin), to_the_past.clone()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    poll_event(&app, &id, Duration::from_secs(10), |e| e["status"] == "COMPLETED").await;
    // A cancelled event never completes, by hand or by the clock.
    let id = app.create_event(&admin, json!({})).await["eventId"].as_str().unwrap().to_string();
    assert_eq!(set_status(&app, &admin, &id, "CANCELLED").await.0, StatusCode::OK);
    let (s, b) = app.put(&format!("/api/events/{id}"), Some(&admin), to_the_past.clone()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    clock.tick().await.expect("a clock pass");
    let (_, got) = app.get(&format!("/api/events/{id}"), None).await;
    assert_eq!(got["status"], "CANCELLED");
    let (s, b) = set_status(&app, &admin, &id, "COMPLETED").await;
    assert_error(s, &b, 409, "INVALID_STATE_TRANSITION");
}

#[tokio::test]
async fn the_clock_opens_the_sale_at_sale_start_once_the_event_has_seats() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // Whole seconds, as the wire carries them.
    let start = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp() + 2, 0).unwrap();
    let with_seats = app.create_event(&admin, json!({"saleStartTime": rfc3339(start)})).await;
    let with_seats = with_seats["eventId"].as_str().unwrap().to_string();
    // An event whose sale starts even earlier but has no seats: it must stay UPCOMING.
    let no_seats = app.create_event(&admin, json!({"saleStartTime": in_secs(1)})).await;
    let no_seats = no_seats["eventId"].as_str().unwrap().to_string();
    add_seats(&app, &admin, &with_seats, 8).await;

    // The counts follow the inventory; the sale has not started yet.
    let ev = poll_event(&app, &with_seats, Duration::from_secs(10), |e| e["totalSeats"] == 8).await;
    assert_eq!(ev["availableSeats"], 8);
    assert_eq!(ev["minPrice"].as_f64(), Some(50.0));
    assert_eq!(ev["maxPrice"].as_f64(), Some(50.0));
    if chrono::Utc::now() + chrono::Duration::milliseconds(300) < start {
        assert_eq!(ev["status"], "UPCOMING", "opened before saleStartTime");
    }
    let opened = poll_event(&app, &with_seats, Duration::from_secs(15), |e| e["status"] == "ON_SALE").await;
    assert!(chrono::Utc::now() >= start, "opened before saleStartTime: {opened}");
    let (_, other) = app.get(&format!("/api/events/{no_seats}"), None).await;
    assert_eq!(other["status"], "UPCOMING", "an event without seats opened: {other}");
    // And seats can now be reserved.
    let user = app.token_for(&common::ids::new_id());
    let (s, b) = app.post("/api/inventory/reservations", Some(&user), json!({"eventId": with_seats, "quantity": 1})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

#[tokio::test]
async fn delete_answers_204_then_the_event_is_gone() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let ev = app.create_event(&admin, json!({})).await;
    let id = ev["eventId"].as_str().unwrap();
    let keep = app.create_event(&admin, json!({})).await;
    let (s, b) = app.delete(&format!("/api/events/{id}"), Some(&admin)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (s, b) = app.get(&format!("/api/events/{id}"), None).await;
    assert_error(s, &b, 404, "NOT_FOUND");
    let (s, b) = app.delete(&format!("/api/events/{id}"), Some(&admin)).await;
    assert_error(s, &b, 404, "NOT_FOUND");
    let (s, b) = app.put(&format!("/api/events/{id}"), Some(&admin), json!({"eventName": "Back"})).await;
    assert_error(s, &b, 404, "NOT_FOUND");
    let (s, b) = set_status(&app, &admin, id, "ON_SALE").await;
    assert_error(s, &b, 404, "NOT_FOUND");
    let (_, list) = app.get("/api/events", None).await;
    assert_eq!(ids(&list), vec![keep["eventId"].as_str().unwrap().to_string()]);
}

#[tokio::test]
async fn every_bad_field_of_create_is_400_naming_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let b = valid_body;
    let cases: Vec<(Value, &str)> = vec![
        // Missing required fields.
        (without(b(), "eventName"), "eventName"),
        (without(b(), "category"), "category"),
        (without(b(), "venueName"), "venueName"),
        (without(b(), "city"), "city"),
        (without(b(), "eventDate"), "eventDate"),
        (without(b(), "saleStartTime"), "saleStartTime"),
        // Null where a value is required.
        (with(b(), json!({"eventName": null})), "eventName"),
        (with(b(), json!({"eventDate": null})), "eventDate"),
        // Empty and blank strings.
        (with(b(), json!({"eventName": ""})), "eventName"),
        (with(b(), json!({"eventName": "   "})), "eventName"),
        (with(b(), json!({"category": ""})), "category"),
        (with(b(), json!({"venueName": ""})), "venueName"),
        (with(b(), json!({"city": " "})), "city"),
        (with(b(), json!({"eventDate": ""})), "eventDate"),
        (with(b(), json!({"saleStartTime": ""})), "saleStartTime"),
        (with(b(), json!({"saleEndTime": ""})), "saleEndTime"),
        (with(b(), json!({"imageUrl": ""})), "imageUrl"),
        (with(b(), json!({"tags": [""]})), "tags"),
        // Wrong types.
        (with(b(), json!({"eventName": 5})), "eventName"),
        (with(b(), json!({"description": 5})), "description"),
        (with(b(), json!({"category": ["CONCERT"]})), "category"),
        (with(b(), json!({"venueName": {"name": "x"}})), "venueName"),
        (with(b(), json!({"city": true})), "city"),
        (with(b(), json!({"eventDate": 1893456000})), "eventDate"),
        (with(b(), json!({"saleStartTime": 1.5})), "saleStartTime"),
        (with(b(), json!({"saleEndTime": false})), "saleEndTime"),
        (with(b(), json!({"tags": "rock"})), "tags"),
        (with(b(), json!({"tags": [1, 2]})), "tags"),
        (with(b(), json!({"imageUrl": 5})), "imageUrl"),
        (with(b(), json!({"maxTicketsPerUser": "5"})), "maxTicketsPerUser"),
        (with(b(), json!({"maxTicketsPerUser": 2.5})), "maxTicketsPerUser"),
        (with(b(), json!({"maxTicketsPerUser": 1e30})), "maxTicketsPerUser"),
        (with(b(), json!({"waitingRoom": true})), "waitingRoom"),
        (with(b(), json!({"waitingRoom": {"enabled": "yes"}})), "enabled"),
        (with(b(), json!({"waitingRoom": {"admitPerMinute": "fast"}})), "admitPerMinute"),
        (with(b(), json!({"waitingRoom": {"enabeld": true}})), "enabeld"),
        // Out of range.
        (with(b(), json!({"maxTicketsPerUser": 0})), "maxTicketsPerUser"),
        (with(b(), json!({"maxTicketsPerUser": 51})), "maxTicketsPerUser"),
        (with(b(), json!({"maxTicketsPerUser": -1})), "maxTicketsPerUser"),
        (with(b(), json!({"waitingRoom": {"admitPerMinute": 0}})), "admitPerMinute"),
        (with(b(), json!({"waitingRoom": {"admitPerMinute": -10}})), "admitPerMinute"),
        (with(b(), json!({"eventName": "n".repeat(201)})), "eventName"),
        (with(b(), json!({"city": "c".repeat(101)})), "city"),
        (with(b(), json!({"category": "c".repeat(51)})), "category"),
        (with(b(), json!({"description": "d".repeat(5001)})), "description"),
        (with(b(), json!({"tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()})), "tags"),
        (with(b(), json!({"tags": ["t".repeat(51)]})), "tags"),
        (with(b(), json!({"imageUrl": "javascript:alert(1)"})), "imageUrl"),
        (with(b(), json!({"imageUrl": "ftp://img.example.com/a.png"})), "imageUrl"),
        // Invalid dates.
        (with(b(), json!({"eventDate": "tomorrow"})), "eventDate"),
        (with(b(), json!({"eventDate": "2030-13-01T20:00:00Z"})), "eventDate"),
        (with(b(), json!({"eventDate": "2030-02-30T20:00:00Z"})), "eventDate"),
        (with(b(), json!({"eventDate": "2030-06-01T24:30:00Z"})), "eventDate"),
        (with(b(), json!({"eventDate": "2030-06-01 20:00"})), "eventDate"),
        (with(b(), json!({"saleStartTime": "01/05/2030"})), "saleStartTime"),
        (with(b(), json!({"saleEndTime": "2030-06-01T99:00:00Z"})), "saleEndTime"),
        // Dates out of order.
        (with(b(), json!({"saleStartTime": "2030-06-02T00:00:00Z"})), "saleStartTime"),
        (with(b(), json!({"saleEndTime": "2030-04-01T00:00:00Z"})), "saleEndTime"),
        (with(b(), json!({"saleEndTime": "2030-06-02T00:00:00Z"})), "saleEndTime"),
    ];
    for (body, field) in cases {
        let (s, r) = app.post("/api/events", Some(&admin), body.clone()).await;
        assert_validation(s, &r, field);
    }
    // None of them made an event.
    let (_, list) = app.get("/api/events", None).await;
    assert_eq!(list["page"]["totalElements"], 0, "{list}");
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_4xx_in_the_error_shape() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app.create_event(&admin, json!({})).await["eventId"].as_str().unwrap().to_string();
    let targets = [
        (Method::POST, "/api/events".to_string()),
        (Method::PUT, format!("/api/events/{id}")),
        (Method::PUT, format!("/api/events/{id}/status")),
    ];
    let send = |method: Method, path: &str, ct: Option<&str>, body: Vec<u8>| {
        let mut req = app.http.request(method, format!("{}{}", app.url, path)).bearer_auth(&admin).body(body);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        async move {
            let resp = req.send().await.expect("sent");
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            (status, serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text)))
        }
    };
    for (m, p) in &targets {
        for (ct, body) in [
            (Some("application/json"), "{\"eventName\": "),
            (Some("application/json"), "{\"eventName\": \"x\",}"),
            (Some("application/json"), ""),
            (Some("application/json"), "[1, 2]"),
            (Some("application/json"), "42"),
            (Some("text/plain"), "{\"status\": \"ON_SALE\"}"),
            (None, "{\"status\": \"ON_SALE\"}"),
        ] {
            let (s, b) = send(m.clone(), p, ct, body.as_bytes().to_vec()).await;
            assert_error(s, &b, 400, "VALIDATION_ERROR");
        }
        // A 10 MB string.
        let big = serde_json::to_vec(&with(valid_body(), json!({"eventName": "x".repeat(10 * 1024 * 1024), "status": "ON_SALE"}))).unwrap();
        let (s, b) = send(m.clone(), p, Some("application/json"), big).await;
        assert_error(s, &b, 413, "PAYLOAD_TOO_LARGE");
    }
    // Just under the cap is read (and refused for its content, not its size).
    let near = serde_json::to_vec(&with(valid_body(), json!({"description": "d".repeat(1024 * 1024 - 400)}))).unwrap();
    assert!(near.len() < 1024 * 1024);
    let (s, b) = send(Method::POST, "/api/events", Some("application/json"), near).await;
    assert_validation(s, &b, "description");
    let (_, got) = app.get(&format!("/api/events/{id}"), None).await;
    assert_eq!(got["status"], "UPCOMING");
    assert_eq!(got["eventName"], "Test Concert");
}

#[tokio::test]
async fn the_catalogue_and_its_clock_on_mariadb() {
    let Some(base) = mysql_url() else {
        eprintln!("skipped: TICKETING_TEST_MYSQL_URL not set");
        return;
    };
    let app = spawn_shared(&fresh_mysql(&base), |_| {}).await;
    let admin = app.admin_token().await;
    let (s, ev) = app
        .post("/api/events", Some(&admin), with(valid_body(), json!({"description": "d", "tags": ["a", "b"], "maxTicketsPerUser": 2})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    let id = ev["eventId"].as_str().unwrap().to_string();
    assert_eq!(ev["waitingRoom"], json!({"enabled": false, "admitPerMinute": 1000}));
    assert_eq!(ev["minPrice"], Value::Null);
    let (_, got) = app.get(&format!("/api/events/{id}"), None).await;
    assert_eq!(got, ev);
    let other = app.create_event(&admin, json!({"city": "Porto", "category": "SPORTS", "eventDate": "2030-07-01T20:00:00Z"})).await;
    let other = other["eventId"].as_str().unwrap().to_string();
    for (q, want) in [
        ("city=porto", vec![&other]),
        ("category=concert", vec![&id]),
        ("dateFrom=2030-06-02", vec![&other]),
        ("dateTo=2030-06-01", vec![&id]),
        ("status=UPCOMING&size=1&page=1", vec![&other]),
    ] {
        let (s, p) = app.get(&format!("/api/events?{q}"), None).await;
        assert_eq!(s, StatusCode::OK, "{q}: {p}");
        assert_eq!(ids(&p), want.into_iter().cloned().collect::<Vec<_>>(), "{q}");
    }
    let (s, up) = app.put(&format!("/api/events/{id}"), Some(&admin), json!({"city": "Faro", "description": null})).await;
    assert_eq!(s, StatusCode::OK, "{up}");
    assert_eq!(up["city"], "Faro");
    assert_eq!(up["description"], Value::Null);
    assert_eq!(set_status(&app, &admin, &id, "ON_SALE").await.0.as_u16(), 409, "no seats yet");
    add_seats(&app, &admin, &id, 1).await;
    poll_event(&app, &id, Duration::from_secs(10), |e| e["totalSeats"] == 1).await;
    for (to, want) in
        [("SOLD_OUT", 409), ("ON_SALE", 200), ("UPCOMING", 409), ("SOLD_OUT", 200), ("ON_SALE", 200), ("CANCELLED", 200), ("ON_SALE", 409)]
    {
        let (s, b) = set_status(&app, &admin, &id, to).await;
        assert_eq!(s.as_u16(), want, "-> {to}: {b}");
    }
    // The clock opens a sale with seats at its start, and completes a past event.
    let start = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp() + 2, 0).unwrap();
    let (s, b) = app.put(&format!("/api/events/{other}"), Some(&admin), json!({"saleStartTime": rfc3339(start)})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    add_seats(&app, &admin, &other, 3).await;
    let opened = poll_event(&app, &other, Duration::from_secs(15), |e| e["status"] == "ON_SALE").await;
    assert!(chrono::Utc::now() >= start);
    assert_eq!(opened["totalSeats"], 3);
    let (s, b) =
        app.put(&format!("/api/events/{other}"), Some(&admin), json!({"eventDate": in_secs(-60), "saleStartTime": in_secs(-120)})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    poll_event(&app, &other, Duration::from_secs(10), |e| e["status"] == "COMPLETED").await;
    let (s, _) = app.delete(&format!("/api/events/{id}"), Some(&admin)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = app.get(&format!("/api/events/{id}"), None).await;
    assert_error(s, &b, 404, "NOT_FOUND");
}
