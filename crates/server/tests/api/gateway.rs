//! The gateway (shared/API.md §10): routing, JSON 404s, CORS, request ids, health and metrics, the
//! body cap, the rate limit (alone and shared through Redis), and the web app.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn json_of(resp: reqwest::Response) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn an_unknown_api_route_is_a_json_404() {
    let app = spawn_app().await;
    for (m, p) in [
        (Method::GET, "/api/nope"),
        (Method::GET, "/api/"),
        (Method::GET, "/api"),
        (Method::POST, "/api/unknown/thing"),
        (Method::DELETE, "/api/bookings/123/x/y"),
        (Method::GET, "/api/events/x/y/z"),
        (Method::GET, "/api/auth"),
        (Method::PUT, "/api/inventory/nothing/here"),
    ] {
        let (s, b) = app.call(m.clone(), p, None, None).await;
        assert_error(s, &b, 404, "NOT_FOUND");
    }
    // Internal routes are not for end users, whatever their token.
    let user = app.token_for("u1");
    for p in ["/internal/events/outbox", "/internal/inventory/outbox"] {
        let (s, b) = app.get(p, Some(&user)).await;
        assert!(s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND, "{p}: {s} {b}");
        assert!(b["error"].is_string(), "{b}");
    }
}

#[tokio::test]
async fn cors_preflight_is_answered_for_allowed_origins_only() {
    let app = spawn_app_with(|c| c.cors_origins = "https://tickets.example.com, http://localhost:5173".into()).await;
    let preflight = |origin: &'static str| {
        app.http
            .request(Method::OPTIONS, format!("{}/api/events", app.url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
    };
    let resp = preflight("https://tickets.example.com").await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let h = resp.headers();
    assert_eq!(header(h, "access-control-allow-origin"), Some("https://tickets.example.com"));
    let methods = header(h, "access-control-allow-methods").unwrap_or("").to_uppercase();
    assert!(methods.contains("POST"), "allow-methods: {methods}");
    let allowed = header(h, "access-control-allow-headers").unwrap_or("").to_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"), "allow-headers: {allowed}");
    let resp = preflight("http://localhost:5173").await.unwrap();
    assert_eq!(header(resp.headers(), "access-control-allow-origin"), Some("http://localhost:5173"));

    // Another origin gets no permission.
    let resp = preflight("https://evil.example.com").await.unwrap();
    assert_eq!(header(resp.headers(), "access-control-allow-origin"), None);

    // Actual requests carry the header for an allowed origin only.
    let resp = app.http.get(format!("{}/api/events", app.url)).header("origin", "https://tickets.example.com").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(resp.headers(), "access-control-allow-origin"), Some("https://tickets.example.com"));
    let resp = app.http.get(format!("{}/api/events", app.url)).header("origin", "https://evil.example.com").send().await.unwrap();
    assert_eq!(header(resp.headers(), "access-control-allow-origin"), None);
}

#[tokio::test]
async fn cors_preflight_is_not_rate_limited_nor_token_checked() {
    let app = spawn_app_with(|c| {
        c.cors_origins = "https://tickets.example.com".into();
        c.rate_limit_per_minute = 1;
    })
    .await;
    for _ in 0..3 {
        let resp = app
            .http
            .request(Method::OPTIONS, format!("{}/api/auth/me", app.url))
            .header("origin", "https://tickets.example.com")
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
        assert_eq!(header(resp.headers(), "access-control-allow-origin"), Some("https://tickets.example.com"));
    }
}

#[tokio::test]
async fn request_ids_are_kept_or_made() {
    let app = spawn_app().await;
    for path in ["/api/events", "/api/nope", "/health", "/"] {
        let resp = app.http.get(format!("{}{}", app.url, path)).header("x-request-id", "client-id-42").send().await.unwrap();
        assert_eq!(header(resp.headers(), "x-request-id"), Some("client-id-42"), "{path}");
    }
    let mut seen = std::collections::HashSet::new();
    for path in ["/api/events", "/api/events", "/api/nope", "/health"] {
        let resp = app.http.get(format!("{}{}", app.url, path)).send().await.unwrap();
        let id = header(resp.headers(), "x-request-id").unwrap_or_default().to_string();
        assert!(id.len() >= 8, "{path}: no request id made ({id:?})");
        assert!(seen.insert(id.clone()), "request id {id} given twice");
    }
    // Errors carry it too.
    let resp = app.http.post(format!("{}/api/events", app.url)).json(&json!({})).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(header(resp.headers(), "x-request-id").is_some_and(|v| !v.is_empty()));
}

#[tokio::test]
async fn health_ready_and_metrics_answer() {
    let app = spawn_app().await;
    let (s, b) = app.get("/health", None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "UP");
    assert!(b["services"].as_array().unwrap().iter().any(|s| s == "inventory"), "{b}");
    let (s, b) = app.get("/ready", None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "READY");
    // Each dependency by name: one process of every service has every database.
    for dep in ["auth database", "events database", "inventory database and locks", "bookings database", "payment database", "queue store"]
    {
        assert_eq!(b["checks"][dep], "UP", "{dep} in {b}");
    }
    // Some traffic, then the counters show it.
    assert_eq!(app.get("/api/events", None).await.0, StatusCode::OK);
    assert_eq!(app.get("/api/nope", None).await.0, StatusCode::NOT_FOUND);
    let resp = app.http.get(format!("{}/metrics", app.url)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let ct = header(resp.headers(), "content-type").unwrap_or_default().to_string();
    assert!(ct.starts_with("text/plain"), "content-type {ct}");
    let text = resp.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "no http_requests_total in:\n{text}");
    assert!(text.lines().any(|l| l.starts_with("http_requests_total{") && l.contains("/api/events")), "no line for /api/events:\n{text}");
    assert!(text.contains("# TYPE http_requests_total counter"), "not Prometheus text:\n{text}");
}

#[tokio::test]
async fn the_sixth_request_in_a_minute_is_rate_limited() {
    let app = spawn_app_with(|c| c.rate_limit_per_minute = 5).await;
    for i in 0..5 {
        let (s, b) = app.get("/api/events", None).await;
        assert_eq!(s, StatusCode::OK, "request {i}: {b}");
    }
    let resp = app.http.get(format!("{}/api/events", app.url)).send().await.unwrap();
    let (s, h, b) = json_of(resp).await;
    assert_error(s, &b, 429, "RATE_LIMITED");
    let retry: u64 = header(&h, "retry-after").expect("Retry-After header").parse().expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    // Every route under /api counts, whatever its answer.
    let (s, b) = app.post("/api/auth/login", None, json!({"email": "a@example.com", "password": "password123"})).await;
    assert_error(s, &b, 429, "RATE_LIMITED");
    // An authenticated caller has a budget of its own.
    let user = app.token_for(&common::ids::new_id());
    for i in 0..5 {
        let (s, b) = app.get("/api/inventory/reservations/me", Some(&user)).await;
        assert_eq!(s, StatusCode::OK, "user request {i}: {b}");
    }
    let (s, b) = app.get("/api/inventory/reservations/me", Some(&user)).await;
    assert_error(s, &b, 429, "RATE_LIMITED");
    // Health is not the API: never limited.
    assert_eq!(app.get("/health", None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn two_gateways_on_one_redis_share_the_rate_limit() {
    let (Some(base), Some(_)) = (mysql_url(), redis_url()) else {
        eprintln!("skipped: TICKETING_TEST_MYSQL_URL / TICKETING_TEST_REDIS_URL not set");
        return;
    };
    let db = fresh_mysql(&base);
    let a = spawn_shared(&db, |c| c.rate_limit_per_minute = 5).await;
    let b = spawn_shared(&db, |c| c.rate_limit_per_minute = 5).await;
    // A fresh caller, so nothing else counts against it. The Redis budget is a fixed one-minute
    // window: start well inside one, so that the six requests fall in the same window.
    let user = a.token_for(&common::ids::new_id());
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    while common::time::now_ms() % 60_000 > 52_000 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (i, node) in [&a, &b, &a, &b, &a].into_iter().enumerate() {
        let (s, body) = node.get("/api/inventory/reservations/me", Some(&user)).await;
        assert_eq!(s, StatusCode::OK, "request {i}: {body}");
    }
    for node in [&b, &a] {
        let resp = node.http.get(format!("{}/api/inventory/reservations/me", node.url)).bearer_auth(&user).send().await.unwrap();
        let (s, h, body) = json_of(resp).await;
        assert_error(s, &body, 429, "RATE_LIMITED");
        let retry: u64 = header(&h, "retry-after").expect("Retry-After header").parse().unwrap();
        assert!((1..=61).contains(&retry), "Retry-After {retry}");
    }
    // Another caller is not affected.
    let other = a.token_for(&common::ids::new_id());
    let (s, body) = b.get("/api/inventory/reservations/me", Some(&other)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn an_oversized_body_is_413_even_when_streamed() {
    let app = spawn_app().await;
    // Declared length over the cap.
    let big =
        serde_json::to_vec(&json!({"email": "a@example.com", "password": "password123", "name": "x".repeat(2 * 1024 * 1024)})).unwrap();
    for path in ["/api/auth/register", "/api/nope", "/api/inventory/reservations"] {
        let resp = app
            .http
            .post(format!("{}{}", app.url, path))
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        let (s, _, b) = json_of(resp).await;
        assert_error(s, &b, 413, "PAYLOAD_TOO_LARGE");
    }
    // No declared length: chunked, 2 MiB.
    let addr = app.node.addr;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.split();
    let head =
        "POST /api/auth/register HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    let write = async {
        wr.write_all(head.as_bytes()).await?;
        wr.write_all(b"9\r\n{\"name\":\"\r\n").await?;
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..32 {
            wr.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await?;
            wr.write_all(&chunk).await?;
            wr.write_all(b"\r\n").await?;
        }
        wr.write_all(b"2\r\n\"}\r\n0\r\n\r\n").await?;
        Ok::<_, std::io::Error>(())
    };
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            match tokio::time::timeout(Duration::from_secs(20), rd.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
                Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            }
            let text = String::from_utf8_lossy(&buf);
            if let Some((_, body)) = text.split_once("\r\n\r\n") {
                if body.contains('}') {
                    break;
                }
            }
        }
        String::from_utf8_lossy(&buf).to_string()
    };
    let (_, answer) = tokio::join!(write, read);
    assert!(answer.starts_with("HTTP/1.1 413"), "answer: {answer}");
    assert!(answer.contains("PAYLOAD_TOO_LARGE"), "answer: {answer}");
}

#[tokio::test]
async fn the_web_app_placeholder_is_served_at_the_root_and_client_routes() {
    let app = spawn_app().await;
    for path in ["/", "/events/123", "/login", "/events/123/seats"] {
        let resp = app.http.get(format!("{}{}", app.url, path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let ct = header(resp.headers(), "content-type").unwrap_or_default().to_string();
        assert!(ct.starts_with("text/html"), "{path}: content-type {ct}");
        let body = resp.text().await.unwrap();
        assert!(body.to_lowercase().contains("<html"), "{path}: {body}");
    }
    // The API keeps answering JSON.
    let (s, b) = app.get("/api/nope", None).await;
    assert_error(s, &b, 404, "NOT_FOUND");
}

#[tokio::test]
async fn a_built_web_app_is_served_with_index_html_for_client_routes() {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<!doctype html><html><body>the real app</body></html>").unwrap();
    std::fs::create_dir(web.path().join("assets")).unwrap();
    std::fs::write(web.path().join("assets/app.js"), "console.log('app');").unwrap();
    let dir = web.path().to_path_buf();
    let app = spawn_app_with(move |c| c.web_dir = Some(dir)).await;
    for path in ["/", "/events/123", "/my/bookings"] {
        let resp = app.http.get(format!("{}{}", app.url, path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert!(header(resp.headers(), "content-type").unwrap_or_default().starts_with("text/html"), "{path}");
        assert!(resp.text().await.unwrap().contains("the real app"), "{path}");
    }
    let resp = app.http.get(format!("{}/assets/app.js", app.url)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("console.log"));
    let (s, b) = app.get("/api/nope", None).await;
    assert_error(s, &b, 404, "NOT_FOUND");
}

#[tokio::test]
async fn a_gateway_alone_forwards_to_services_in_another_process() {
    use common::config::{Secret, Service};
    let backend = spawn_app_with(|c| {
        c.services = vec![Service::Auth, Service::Events, Service::Inventory];
        c.jwt_secret = Some(Secret::new(JWT_SECRET));
    })
    .await;
    let url = backend.url.clone();
    let gw = spawn_app_with(move |c| {
        c.services = vec![Service::Gateway];
        c.jwt_secret = Some(Secret::new(JWT_SECRET));
        c.auth_url = Some(url.clone());
        c.events_url = Some(url.clone());
        c.inventory_url = Some(url);
    })
    .await;
    let (s, b) = gw.post("/api/auth/register", None, json!({"email": "fan@example.com", "password": "password123", "name": "Fan"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = gw.post("/api/auth/register", None, json!({"email": "FAN@example.com", "password": "password123", "name": "Fan"})).await;
    assert_error(s, &b, 409, "EMAIL_TAKEN");
    let (access, user_id, _) = {
        let (s, l) = gw.post("/api/auth/login", None, json!({"email": "fan@example.com", "password": "password123"})).await;
        assert_eq!(s, StatusCode::OK, "{l}");
        (l["accessToken"].as_str().unwrap().to_string(), l["user"]["userId"].as_str().unwrap().to_string(), ())
    };
    let (s, me) = gw.get("/api/auth/me", Some(&access)).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["userId"], user_id.as_str());
    let admin = gw.admin_token().await;
    let ev = gw.create_event(&admin, json!({})).await;
    let id = ev["eventId"].as_str().unwrap();
    let (s, b) = gw.get("/api/events?city=Lisbon", None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["page"]["totalElements"], 1);
    let (s, b) = gw.put(&format!("/api/events/{id}/status"), Some(&access), json!({"status": "ON_SALE"})).await;
    assert_error(s, &b, 403, "FORBIDDEN");
    let (s, b) = gw.get("/api/events/nope", None).await;
    assert_error(s, &b, 404, "NOT_FOUND");
    let (s, b) = gw.get("/api/auth/me", Some("forged.token.here")).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
    let big = serde_json::to_vec(&json!({"eventName": "x".repeat(2 * 1024 * 1024)})).unwrap();
    let resp = gw
        .http
        .post(format!("{}/api/events", gw.url))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    let (s, _, b) = json_of(resp).await;
    assert_error(s, &b, 413, "PAYLOAD_TOO_LARGE");
    // The request id the client sent comes back through both hops.
    let resp = gw.http.get(format!("{}/api/events/{id}", gw.url)).header("x-request-id", "through-two-hops").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(resp.headers(), "x-request-id"), Some("through-two-hops"));
    // A 204 comes through without a body.
    let (s, b) = gw.delete(&format!("/api/events/{id}"), Some(&admin)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
}

#[tokio::test]
async fn odd_requests_get_json_errors_never_500() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // A method a route does not have.
    for (m, p) in [
        (Method::DELETE, "/api/events"),
        (Method::PATCH, "/api/events"),
        (Method::GET, "/api/auth/login"),
        (Method::POST, "/api/events/abc"),
    ] {
        let (s, b) = app.call(m.clone(), p, Some(&admin), None).await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{m} {p}: {b}");
        assert!(b["error"].is_string() && b["message"].is_string(), "{m} {p}: {b}");
    }
    // Odd paths and long query strings.
    let long = "x".repeat(16 * 1024);
    for p in [
        "/api/events/%FF%FE".to_string(),
        format!("/api/events?city={long}"),
        format!("/api/events?unknown={long}"),
        "/api/events?page=&size=".to_string(),
    ] {
        let (s, b) = app.get(&p, None).await;
        assert!(s.is_client_error() || s == StatusCode::OK, "{p}: {s}");
        assert!(s == StatusCode::OK || b["error"].is_string(), "{p}: {b}");
    }
}

#[tokio::test]
async fn ready_names_each_dependency_and_reports_a_dead_peer_without_failing() {
    // A queue process whose events service is not there (nothing listens on port 9).
    let app = spawn_app_with(|c| {
        c.services = vec![common::config::Service::Queue];
        c.events_url = Some("http://127.0.0.1:9".into());
    })
    .await;
    let (s, b) = app.get("/health", None).await;
    assert_eq!((s, b["services"].clone()), (StatusCode::OK, json!(["queue"])), "{b}");
    let (s, b) = app.get("/ready", None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["checks"]["queue store"], "UP", "{b}");
    assert!(b["checks"]["peer events"].as_str().unwrap().starts_with("DOWN: http://127.0.0.1:9/health"), "{b}");
}
