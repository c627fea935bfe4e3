//! Search (shared/API.md §8) through the gateway: events created through the API are found within
//! seconds, by text (any case, accents, one typo), filters, facets, sorts and pages; bad input is a
//! 400 naming the field; updates, deletes and seat counts reach the index.

use crate::helpers::{assert_error, fresh_mysql, mysql_url, spawn_app, spawn_shared, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Poll `GET /api/search?{query}` until `done` holds (or fail after `within`).
async fn search_until(app: &TestApp, query: &str, within: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let (s, b) = app.get(&format!("/api/search?{query}"), None).await;
        assert_eq!(s, StatusCode::OK, "{query}: {b}");
        if done(&b) {
            return b;
        }
        assert!(Instant::now() < deadline, "search for `{query}` never got there; last answer: {b}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn search(app: &TestApp, query: &str) -> Value {
    let (s, b) = app.get(&format!("/api/search?{query}"), None).await;
    assert_eq!(s, StatusCode::OK, "{query}: {b}");
    b
}

fn ids(b: &Value) -> Vec<String> {
    b["results"].as_array().unwrap().iter().map(|r| r["eventId"].as_str().unwrap().to_string()).collect()
}

fn facet(b: &Value, name: &str) -> Vec<(String, i64)> {
    b["facets"][name].as_array().unwrap().iter().map(|f| (f["value"].as_str().unwrap().to_string(), f["count"].as_i64().unwrap())).collect()
}

fn id_of(ev: &Value) -> String {
    ev["eventId"].as_str().unwrap().to_string()
}

/// Three events: a pop concert and a jazz night in Lisbon, a play in Porto.
async fn catalogue(app: &TestApp, admin: &str) -> (String, String, String) {
    let a = app
        .create_event(
            admin,
            json!({"eventName": "Beyoncé Renaissance World Tour", "description": "The queen of pop",
        "category": "CONCERT", "venueName": "Altice Arena", "city": "Lisbon", "eventDate": "2030-06-01T20:00:00Z",
        "saleStartTime": "2030-05-01T10:00:00Z", "tags": ["pop", "live"]}),
        )
        .await;
    let b = app
        .create_event(
            admin,
            json!({"eventName": "Hamlet", "description": "Shakespeare's tragedy, in a new staging",
        "category": "THEATER", "venueName": "Teatro Nacional", "city": "Porto", "eventDate": "2030-05-01T20:00:00Z",
        "saleStartTime": "2030-04-01T10:00:00Z", "tags": ["classic", "live"]}),
        )
        .await;
    let c = app
        .create_event(
            admin,
            json!({"eventName": "Jazz Night", "description": "Standards until late",
        "category": "CONCERT", "venueName": "Hot Clube", "city": "Lisbon", "eventDate": "2030-07-01T20:00:00Z",
        "saleStartTime": "2030-06-01T10:00:00Z", "tags": ["jazz", "live"]}),
        )
        .await;
    (id_of(&a), id_of(&b), id_of(&c))
}

#[tokio::test]
async fn a_new_event_is_found_within_two_seconds_by_any_case_accent_or_one_typo() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let created = Instant::now();
    let (a, b, _c) = catalogue(&app, &admin).await;
    let r = search_until(&app, "q=beyonce", Duration::from_secs(5), |b| b["page"]["totalElements"] == 1).await;
    assert!(created.elapsed() < Duration::from_secs(2) + Duration::from_millis(500), "took {:?}", created.elapsed());
    assert_eq!(ids(&r), vec![a.clone()]);
    let hit = &r["results"][0];
    for field in [
        "eventId",
        "eventName",
        "description",
        "category",
        "city",
        "venueName",
        "eventDate",
        "status",
        "minPrice",
        "maxPrice",
        "availableSeats",
        "totalSeats",
        "availability",
    ] {
        assert!(hit.get(field).is_some(), "result without {field}: {hit}");
    }
    assert_eq!(hit["eventName"], "Beyoncé Renaissance World Tour");
    assert_eq!(hit["status"], "UPCOMING");
    assert!(r["tookMs"].is_u64(), "{r}");

    assert_eq!(ids(&search(&app, "q=BEYONC%C3%89").await), vec![a.clone()]);
    assert_eq!(ids(&search(&app, "q=Beyonc%C3%A9+renaissance").await), vec![a.clone()]);
    // One typo in a long word; none allowed in a short one.
    assert_eq!(ids(&search(&app, "q=renaisance").await), vec![a.clone()]);
    assert_eq!(ids(&search(&app, "q=shakespaere").await), vec![b.clone()]);
    assert!(ids(&search(&app, "q=jaz").await).is_empty());
    // Name, description, venue and tags are all searched.
    assert_eq!(ids(&search(&app, "q=queen").await), vec![a.clone()]);
    assert_eq!(ids(&search(&app, "q=altice").await), vec![a.clone()]);
    assert_eq!(ids(&search(&app, "q=classic").await), vec![b.clone()]);
    assert_eq!(ids(&search(&app, "q=%22tragedy+in+a+new%22").await), vec![b]);
}

#[tokio::test]
async fn filters_combine_with_the_text_and_facets_count_the_whole_query() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (a, b, c) = catalogue(&app, &admin).await;
    search_until(&app, "q=live", Duration::from_secs(5), |r| r["page"]["totalElements"] == 3).await;

    let r = search(&app, "q=live&sort=date").await;
    assert_eq!(ids(&r), vec![b.clone(), a.clone(), c.clone()]);
    assert_eq!(facet(&r, "city"), vec![("Lisbon".into(), 2), ("Porto".into(), 1)]);
    assert_eq!(facet(&r, "category"), vec![("CONCERT".into(), 2), ("THEATER".into(), 1)]);

    let r = search(&app, "q=live&city=lisbon&sort=date").await;
    assert_eq!(ids(&r), vec![a.clone(), c.clone()]);
    assert_eq!(facet(&r, "city"), vec![("Lisbon".into(), 2)]);
    assert_eq!(ids(&search(&app, "q=live&category=Theater").await), vec![b.clone()]);
    assert_eq!(ids(&search(&app, "q=live&dateFrom=2030-05-15&dateTo=2030-06-30").await), vec![a.clone()]);
    assert_eq!(ids(&search(&app, "q=live&dateTo=2030-05-01").await), vec![b.clone()]);
    assert_eq!(ids(&search(&app, "q=live&dateFrom=2030-06-15T00:00:00Z").await), vec![c.clone()]);
    assert_eq!(search(&app, "q=live&status=UPCOMING").await["page"]["totalElements"], 3);
    assert!(ids(&search(&app, "q=live&status=ON_SALE").await).is_empty());
    assert!(ids(&search(&app, "q=jazz&city=Porto").await).is_empty());
    // The city is part of the full text (shared/API.md §8): typing it finds its events.
    let mut lisbon = ids(&search(&app, "q=lisbon").await);
    lisbon.sort();
    let mut want = vec![a.clone(), c.clone()];
    want.sort();
    assert_eq!(lisbon, want);
    assert_eq!(ids(&search(&app, "q=porto").await), vec![b.clone()]);
    // Filters alone, no text.
    let r = search(&app, "category=concert&sort=date").await;
    assert_eq!(ids(&r), vec![a.clone(), c.clone()]);
    assert_eq!(facet(&r, "category"), vec![("CONCERT".into(), 2)]);

    // Paging: the facets and the total still count every match; past the end is an empty page.
    let r = search(&app, "q=live&sort=date&page=1&size=2").await;
    assert_eq!(ids(&r), vec![c.clone()]);
    assert_eq!(r["page"], json!({"number": 1, "size": 2, "totalElements": 3, "totalPages": 2}));
    assert_eq!(facet(&r, "city"), vec![("Lisbon".into(), 2), ("Porto".into(), 1)]);
    let r = search(&app, "q=live&page=50").await;
    assert!(ids(&r).is_empty());
    assert_eq!(r["page"]["totalElements"], 3);

    // Prices come with the seat maps (inventory -> events -> outbox -> index).
    for (id, price) in [(&a, 120.00), (&b, 25.50)] {
        let layout =
            json!({"sections": [{"section": "A", "seatType": "REGULAR", "price": price, "rows": [{"rowNumber": 1, "seats": 20}]}]});
        let (s, body) = app.put(&format!("/api/inventory/events/{id}/seats"), Some(&admin), layout).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let r = search_until(&app, "q=live&sort=price_asc", Duration::from_secs(10), |r| {
        r["results"].as_array().unwrap().iter().filter(|h| !h["minPrice"].is_null()).count() == 2
    })
    .await;
    assert_eq!(ids(&r), vec![b.clone(), a.clone(), c.clone()], "no price sorts last");
    assert_eq!(r["results"][0]["minPrice"].to_string(), "25.5");
    assert_eq!(r["results"][0]["totalSeats"], 20);
    assert_eq!(r["results"][0]["availableSeats"], 20);
    assert_eq!(r["results"][0]["availability"], "AVAILABLE");
    assert_eq!(r["results"][2]["availability"], "SOLD_OUT", "no seats at all: nothing to buy");
    assert_eq!(ids(&search(&app, "q=live&sort=price_desc").await), vec![a.clone(), b.clone(), c.clone()]);
    assert_eq!(ids(&search(&app, "q=live&priceMin=100").await), vec![a.clone()]);
    assert_eq!(ids(&search(&app, "q=live&priceMax=30").await), vec![b.clone()]);
    assert_eq!(ids(&search(&app, "q=live&priceMin=20&priceMax=200&city=Porto").await), vec![b.clone()]);
    assert!(ids(&search(&app, "q=live&priceMin=30&priceMax=100").await).is_empty());
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field_never_a_500() {
    let app = spawn_app().await;
    for (query, field) in [
        ("q=%22unclosed", "q"),
        ("size=101", "size"),
        ("size=0", "size"),
        ("size=abc", "size"),
        ("page=-1", "page"),
        ("sort=popularity", "sort"),
        ("status=SOON", "status"),
        ("dateFrom=tomorrow", "dateFrom"),
        ("dateFrom=2030-02-01&dateTo=2030-01-01", "dateFrom"),
        ("priceMin=cheap", "priceMin"),
        ("priceMax=-1", "priceMax"),
        ("priceMin=50&priceMax=10", "priceMin"),
    ] {
        let (s, b) = app.get(&format!("/api/search?{query}"), None).await;
        assert_error(s, &b, 400, "VALIDATION_ERROR");
        assert_eq!(b["field"], field, "{query}: {b}");
    }
    // Query syntax in ordinary text is just text.
    for q in ["AND", "(((", "a:b", "*", "-", "%21%21%21", "C%2B%2B", "title:%5B1+TO+2%5D", "%7E%5E%22%22"] {
        let (s, b) = app.get(&format!("/api/search?q={q}"), None).await;
        assert_eq!(s, StatusCode::OK, "q={q}: {b}");
    }
    let (s, b) = app.get("/api/search?page=1000000&size=100", None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["results"], json!([]));
}

#[tokio::test]
async fn updates_and_deletes_reach_the_index() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let ev = app.create_event(&admin, json!({"eventName": "Swan Lake"})).await;
    let id = id_of(&ev);
    search_until(&app, "q=swan", Duration::from_secs(5), |r| ids(r) == vec![id.clone()]).await;
    let (s, b) = app.put(&format!("/api/events/{id}"), Some(&admin), json!({"eventName": "The Nutcracker", "city": "Porto"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    search_until(&app, "q=nutcracker&city=porto", Duration::from_secs(5), |r| ids(r) == vec![id.clone()]).await;
    assert!(ids(&search(&app, "q=swan").await).is_empty());
    let (s, b) = app.put(&format!("/api/events/{id}/status"), Some(&admin), json!({"status": "CANCELLED"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    search_until(&app, "q=nutcracker&status=CANCELLED", Duration::from_secs(5), |r| ids(r) == vec![id.clone()]).await;

    let other = id_of(&app.create_event(&admin, json!({"eventName": "Giselle"})).await);
    search_until(&app, "q=giselle", Duration::from_secs(5), |r| ids(r) == vec![other.clone()]).await;
    let (s, b) = app.delete(&format!("/api/events/{other}"), Some(&admin)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    search_until(&app, "q=giselle", Duration::from_secs(5), |r| r["page"]["totalElements"] == 0).await;
}

#[tokio::test]
async fn availability_follows_the_seats() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // 11 seats: with one left (9%), it is LIMITED.
    let id = app.event_on_sale(&admin, 1, 11).await;
    search_until(&app, "q=test+concert", Duration::from_secs(10), |r| {
        r["results"][0]["availability"] == "AVAILABLE" && r["results"][0]["totalSeats"] == 11
    })
    .await;
    let (buyer, _, _) = app.new_user("fan@example.com").await;
    let (s, b) = app.post("/api/inventory/reservations", Some(&buyer), json!({"eventId": id, "quantity": 10})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let r = search_until(&app, "q=test+concert", Duration::from_secs(10), |r| r["results"][0]["availability"] == "LIMITED").await;
    assert_eq!(r["results"][0]["availableSeats"], 1);
    let (other, _, _) = app.new_user("fan2@example.com").await;
    let (s, b) = app.post("/api/inventory/reservations", Some(&other), json!({"eventId": id, "quantity": 1})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    search_until(&app, "q=test+concert", Duration::from_secs(10), |r| {
        r["results"][0]["availability"] == "SOLD_OUT" && r["results"][0]["status"] == "SOLD_OUT"
    })
    .await;
}

#[tokio::test]
async fn on_mysql_each_search_process_follows_the_outbox_into_its_own_index() {
    let Some(base) = mysql_url() else { return };
    let db = fresh_mysql(&base);
    let one = spawn_shared(&db, |_| {}).await;
    let two = spawn_shared(&db, |_| {}).await;
    let admin = one.admin_token().await;
    let id = id_of(&one.create_event(&admin, json!({"eventName": "Carmen"})).await);
    for app in [&one, &two] {
        search_until(app, "q=carmen", Duration::from_secs(10), |r| ids(r) == vec![id.clone()]).await;
    }
}

#[tokio::test]
async fn a_search_process_reads_the_index_an_indexer_process_writes() {
    use common::config::Service;
    let shared = tempfile::tempdir().unwrap();
    // Every service but search (the indexer among them) in one process...
    let dir = shared.path().to_path_buf();
    let platform = crate::helpers::spawn_app_with(move |c| {
        c.services = Service::ALL.into_iter().filter(|s| *s != Service::Search).collect();
        c.data_dir = dir;
    })
    .await;
    // ...and search alone in another, on the same data dir, reading what the indexer commits.
    let dir = shared.path().to_path_buf();
    let reader = crate::helpers::spawn_app_with(move |c| {
        c.services = vec![Service::Search];
        c.data_dir = dir;
    })
    .await;
    let admin = platform.admin_token().await;
    let id = id_of(&platform.create_event(&admin, json!({"eventName": "Turandot"})).await);
    search_until(&reader, "q=turandot", Duration::from_secs(10), |r| ids(r) == vec![id.clone()]).await;
    let (s, b) = platform.put(&format!("/api/events/{id}"), Some(&admin), json!({"eventName": "Tosca"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    search_until(&reader, "q=tosca", Duration::from_secs(10), |r| ids(r) == vec![id.clone()]).await;
    // The reader runs no indexer (the index has one writer, the other process's).
    assert!(reader.node.services.indexer.is_none() && platform.node.services.indexer.is_some());
    let (s, ready) = reader.get("/ready", None).await;
    assert_eq!(s, StatusCode::OK, "{ready}");
}
