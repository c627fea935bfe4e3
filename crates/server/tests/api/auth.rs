//! Auth through the gateway (shared/API.md §3): accounts, logins, refresh rotation and reuse, logout,
//! and every way a token can be wrong.

use crate::helpers::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use common::config::Secret;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// `400 VALIDATION_ERROR` that names `field` (in `field` or in the message).
fn assert_validation(status: StatusCode, body: &Value, field: &str) {
    assert_error(status, body, 400, "VALIDATION_ERROR");
    let named = body["field"] == field || body["message"].as_str().unwrap_or("").contains(field);
    assert!(named, "the error does not name {field}: {body}");
}

fn claims_of(token: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts: {token}");
    serde_json::from_slice(&B64.decode(parts[1]).expect("base64 payload")).expect("json payload")
}

/// Sign arbitrary claims with HS256 and `secret`.
fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn register(app: &TestApp, email: &str, password: &str, name: &str) -> (StatusCode, Value) {
    app.post("/api/auth/register", None, json!({"email": email, "password": password, "name": name})).await
}

async fn login(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    app.post("/api/auth/login", None, json!({"email": email, "password": password})).await
}

async fn refresh(app: &TestApp, token: &str) -> (StatusCode, Value) {
    app.post("/api/auth/refresh", None, json!({"refreshToken": token})).await
}

/// A request with a raw body and content type (or none).
async fn raw(app: &TestApp, method: Method, path: &str, content_type: Option<&str>, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
    let mut req = app.http.request(method, format!("{}{}", app.url, path)).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await.expect("sent");
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn register_answers_201_with_the_user_and_nothing_secret() {
    let app = spawn_app().await;
    let (s, b) = register(&app, "  New.Fan@Example.COM ", "password123", "  New Fan ").await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
    for k in ["userId", "email", "name", "role"] {
        assert!(keys.contains(&k), "missing {k}: {b}");
    }
    assert!(b["userId"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(b["email"], "new.fan@example.com");
    assert_eq!(b["name"], "New Fan");
    assert_eq!(b["role"], "USER");
    let text = b.to_string();
    assert!(!text.contains("password") && !text.contains("argon2"), "a secret leaked: {b}");
}

#[tokio::test]
async fn the_same_email_in_any_case_or_spacing_is_email_taken() {
    let app = spawn_app().await;
    let (s, b) = register(&app, "fan@example.com", "password123", "Fan").await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    for again in ["fan@example.com", "FAN@EXAMPLE.COM", "Fan@Example.Com", "  fan@example.com", "fan@example.com  ", "\tFan@example.com\n"]
    {
        let (s, b) = register(&app, again, "another-password", "Someone").await;
        assert_error(s, &b, 409, "EMAIL_TAKEN");
    }
    // The admin account made at start is taken too.
    let (s, b) = register(&app, &ADMIN_EMAIL.to_uppercase(), "password123", "Mallory").await;
    assert_error(s, &b, 409, "EMAIL_TAKEN");
    // Nothing changed: the first password still works, the others do not.
    assert_eq!(login(&app, "fan@example.com", "password123").await.0, StatusCode::OK);
    assert_eq!(login(&app, "fan@example.com", "another-password").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn registering_with_a_bad_field_is_a_validation_error_naming_it() {
    let app = spawn_app().await;
    let long_name = "n".repeat(201);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"password": "password123", "name": "Fan"}), "email"),
        (json!({"email": "", "password": "password123", "name": "Fan"}), "email"),
        (json!({"email": "   ", "password": "password123", "name": "Fan"}), "email"),
        (json!({"email": "not-an-email", "password": "password123", "name": "Fan"}), "email"),
        (json!({"email": "a@b", "password": "password123", "name": "Fan"}), "email"),
        (json!({"email": "a b@example.com", "password": "password123", "name": "Fan"}), "email"),
        (json!({"email": 42, "password": "password123", "name": "Fan"}), "email"),
        (json!({"email": null, "password": "password123", "name": "Fan"}), "email"),
        (json!({"email": ["a@example.com"], "password": "password123", "name": "Fan"}), "email"),
        (json!({"email": "x@example.com", "name": "Fan"}), "password"),
        (json!({"email": "x@example.com", "password": "", "name": "Fan"}), "password"),
        (json!({"email": "x@example.com", "password": "1234567", "name": "Fan"}), "password"),
        (json!({"email": "x@example.com", "password": 12345678, "name": "Fan"}), "password"),
        (json!({"email": "x@example.com", "password": "password123"}), "name"),
        (json!({"email": "x@example.com", "password": "password123", "name": ""}), "name"),
        (json!({"email": "x@example.com", "password": "password123", "name": "   "}), "name"),
        (json!({"email": "x@example.com", "password": "password123", "name": long_name}), "name"),
        (json!({"email": "x@example.com", "password": "password123", "name": {"first": "F"}}), "name"),
    ];
    for (body, field) in cases {
        let (s, b) = app.post("/api/auth/register", None, body.clone()).await;
        assert_validation(s, &b, field);
    }
    // None of them made an account.
    let (s, b) = register(&app, "x@example.com", "password123", "Fan").await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

#[tokio::test]
async fn malformed_bodies_are_400_not_500() {
    let app = spawn_app().await;
    for path in ["/api/auth/register", "/api/auth/login", "/api/auth/refresh"] {
        for (ct, body) in [
            (Some("application/json"), "{\"email\": \"a@example.com\", "),
            (Some("application/json"), ""),
            (Some("application/json"), "null"),
            (Some("application/json"), "[]"),
            (Some("application/json"), "\"text\""),
            (Some("text/plain"), "{\"email\": \"a@example.com\"}"),
            (None, "{\"email\": \"a@example.com\", \"password\": \"password123\", \"name\": \"F\"}"),
        ] {
            let (s, b) = raw(&app, Method::POST, path, ct, body).await;
            assert_error(s, &b, 400, "VALIDATION_ERROR");
        }
    }
}

#[tokio::test]
async fn login_answers_a_bearer_token_pair_and_the_user() {
    let app = spawn_app().await;
    let (_, reg) = register(&app, "fan@example.com", "password123", "Fan").await;
    // The email is matched whatever its case and spacing.
    let (s, b) = login(&app, " FAN@example.com ", "password123").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["tokenType"], "bearer");
    assert_eq!(b["expiresIn"], 3600);
    assert!(b["accessToken"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(b["refreshToken"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(b["user"], json!({"userId": reg["userId"], "email": "fan@example.com", "name": "Fan", "role": "USER"}));
    // The access token is an HS256 JWT with the contract's claims.
    let token = b["accessToken"].as_str().unwrap();
    let header: Value = serde_json::from_slice(&B64.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["alg"], "HS256");
    let c = claims_of(token);
    assert_eq!(c["sub"], reg["userId"]);
    assert_eq!(c["role"], "USER");
    assert_eq!(c["iss"], "ticketing");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 3600);
    assert!((c["iat"].as_i64().unwrap() - now()).abs() < 60);
    // It works.
    let (s, me) = app.get("/api/auth/me", Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me, b["user"]);
    // The admin made at start logs in as ADMIN.
    let (s, a) = login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["user"]["role"], "ADMIN");
    assert_eq!(claims_of(a["accessToken"].as_str().unwrap())["role"], "ADMIN");
}

#[tokio::test]
async fn bad_credentials_are_401_with_one_message_whatever_was_wrong() {
    let app = spawn_app().await;
    register(&app, "fan@example.com", "password123", "Fan").await;
    let (s1, wrong_pw) = login(&app, "fan@example.com", "password124").await;
    assert_error(s1, &wrong_pw, 401, "UNAUTHORIZED");
    let (s2, unknown) = login(&app, "nobody@example.com", "password123").await;
    assert_error(s2, &unknown, 401, "UNAUTHORIZED");
    assert_eq!(wrong_pw, unknown, "wrong password and unknown email must answer alike");
    let (s3, malformed) = login(&app, "not-an-email", "password123").await;
    assert_error(s3, &malformed, 401, "UNAUTHORIZED");
    assert_eq!(malformed, unknown);
    let (s4, empty) = login(&app, "fan@example.com", "").await;
    assert_error(s4, &empty, 401, "UNAUTHORIZED");
    assert_eq!(empty, unknown);
    // Missing or mistyped fields are validation errors.
    let (s, b) = app.post("/api/auth/login", None, json!({"email": "fan@example.com"})).await;
    assert_validation(s, &b, "password");
    let (s, b) = app.post("/api/auth/login", None, json!({"email": 7, "password": "password123"})).await;
    assert_validation(s, &b, "email");
}

#[tokio::test]
async fn refresh_rotates_and_a_used_token_is_refused() {
    let app = spawn_app().await;
    let (_, user_id, r1) = app.new_user("fan@example.com").await;
    let (s, b) = refresh(&app, &r1).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let access = b["accessToken"].as_str().unwrap().to_string();
    let r2 = b["refreshToken"].as_str().unwrap().to_string();
    assert_ne!(r2, r1, "refresh tokens rotate");
    assert_eq!(b["expiresIn"], 3600);
    let c = claims_of(&access);
    assert_eq!(c["sub"], user_id.as_str());
    assert_eq!(c["role"], "USER");
    let (s, me) = app.get("/api/auth/me", Some(&access)).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["userId"], user_id.as_str());
    // The used one is refused.
    let (s, b) = refresh(&app, &r1).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
    // Garbage, empty and missing tokens.
    for t in ["", "nope", &"f".repeat(64), &"x".repeat(5000)] {
        let (s, b) = refresh(&app, t).await;
        assert_error(s, &b, 401, "UNAUTHORIZED");
    }
    let (s, b) = app.post("/api/auth/refresh", None, json!({})).await;
    assert_validation(s, &b, "refreshToken");
    let (s, b) = app.post("/api/auth/refresh", None, json!({"refreshToken": 12})).await;
    assert_validation(s, &b, "refreshToken");
}

#[tokio::test]
async fn reusing_a_refresh_token_revokes_its_whole_family() {
    let app = spawn_app().await;
    let (_, _, r1) = app.new_user("fan@example.com").await;
    // A second, separate login: another family.
    let (_, other) = login(&app, "fan@example.com", "password123").await;
    let other_r = other["refreshToken"].as_str().unwrap().to_string();

    let (s, b) = refresh(&app, &r1).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let r2 = b["refreshToken"].as_str().unwrap().to_string();
    let (s, b) = refresh(&app, &r2).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let r3 = b["refreshToken"].as_str().unwrap().to_string();

    // r1 leaked and is replayed: refused, and the family dies with it.
    let (s, b) = refresh(&app, &r1).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
    let (s, b) = refresh(&app, &r3).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
    let (s, b) = refresh(&app, &r2).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
    // The other login is untouched.
    let (s, b) = refresh(&app, &other_r).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

#[tokio::test]
async fn reuse_of_the_newest_but_one_also_kills_the_newest() {
    let app = spawn_app().await;
    let (_, _, r1) = app.new_user("fan@example.com").await;
    let (_, b) = refresh(&app, &r1).await;
    let r2 = b["refreshToken"].as_str().unwrap().to_string();
    // r1 is replayed before r2 was ever used: r2, the newer token of the family, stops working too.
    let (s, b) = refresh(&app, &r1).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
    let (s, b) = refresh(&app, &r2).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
}

#[tokio::test]
async fn concurrent_uses_of_one_refresh_token_yield_at_most_one_pair() {
    let app = spawn_app().await;
    let (_, _, r1) = app.new_user("fan@example.com").await;
    let tries = (0..8).map(|_| refresh(&app, &r1));
    let results = futures::future::join_all(tries).await;
    let winners: Vec<&Value> = results.iter().filter(|(s, _)| *s == StatusCode::OK).map(|(_, b)| b).collect();
    assert!(winners.len() <= 1, "one refresh token gave {} pairs", winners.len());
    for (s, b) in &results {
        if *s != StatusCode::OK {
            assert_error(*s, b, 401, "UNAUTHORIZED");
        }
    }
    // Concurrent use is reuse: whatever won is dead as well.
    for w in winners {
        let (s, b) = refresh(&app, w["refreshToken"].as_str().unwrap()).await;
        assert_error(s, &b, 401, "UNAUTHORIZED");
    }
}

#[tokio::test]
async fn logout_answers_204_and_the_refresh_token_is_refused_after() {
    let app = spawn_app().await;
    let (access, _, r1) = app.new_user("fan@example.com").await;
    // Not without a token.
    let (s, b) = app.post("/api/auth/logout", None, json!({"refreshToken": r1})).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
    // Not someone else's refresh token.
    let (other, _, _) = app.new_user("other@example.com").await;
    let (s, b) = app.post("/api/auth/logout", Some(&other), json!({"refreshToken": r1})).await;
    assert_error(s, &b, 403, "FORBIDDEN");
    let (s, b) = refresh(&app, &r1).await;
    assert_eq!(s, StatusCode::OK, "a refused logout changed nothing: {b}");
    let r2 = b["refreshToken"].as_str().unwrap().to_string();

    let (s, b) = app.post("/api/auth/logout", Some(&access), json!({"refreshToken": r2})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    assert_eq!(b, Value::String(String::new()), "204 has no body");
    let (s, b) = refresh(&app, &r2).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
    // Logging out again is harmless.
    let (s, _) = app.post("/api/auth/logout", Some(&access), json!({"refreshToken": r2})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = app.post("/api/auth/logout", Some(&access), json!({})).await;
    assert_validation(s, &b, "refreshToken");
}

#[tokio::test]
async fn me_answers_the_caller_and_needs_a_live_account() {
    let app = spawn_app().await;
    let (access, user_id, _) = app.new_user("fan@example.com").await;
    let (s, b) = app.get("/api/auth/me", Some(&access)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b, json!({"userId": user_id, "email": "fan@example.com", "name": "Fan", "role": "USER"}));
    let (s, b) = app.get("/api/auth/me", None).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
    // A valid token for an account that does not exist.
    let (s, b) = app.get("/api/auth/me", Some(&app.token_for("no-such-user"))).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
}

#[tokio::test]
async fn forged_expired_and_malformed_tokens_are_401() {
    let app = spawn_app_with(|c| c.jwt_secret = Some(Secret::new(JWT_SECRET))).await;
    let (user_access, user_id, _) = app.new_user("fan@example.com").await;
    let t = now();
    let good = json!({"sub": user_id, "role": "USER", "iat": t, "exp": t + 600, "iss": "ticketing"});
    // Control: our own signature on these claims is accepted.
    let (s, b) = app.get("/api/auth/me", Some(&sign(&good, JWT_SECRET))).await;
    assert_eq!(s, StatusCode::OK, "{b}");

    let admin_claims = json!({"sub": user_id, "role": "ADMIN", "iat": t, "exp": t + 600, "iss": "ticketing"});
    let enc = |v: &Value| B64.encode(serde_json::to_vec(v).unwrap());
    let parts: Vec<&str> = user_access.split('.').collect();
    let mut forged: Vec<(&str, String)> = vec![
        ("alg none", format!("{}.{}.", enc(&json!({"alg": "none", "typ": "JWT"})), enc(&admin_claims))),
        ("alg none with signature", format!("{}.{}.{}", enc(&json!({"alg": "none", "typ": "JWT"})), enc(&admin_claims), parts[2])),
        ("another secret", sign(&admin_claims, "another-secret-another-secret-0123456789")),
        (
            "role changed, old signature",
            format!(
                "{}.{}.{}",
                parts[0],
                enc(&{
                    let mut c = claims_of(&user_access);
                    c["role"] = json!("ADMIN");
                    c
                }),
                parts[2]
            ),
        ),
        (
            "sub changed, old signature",
            format!(
                "{}.{}.{}",
                parts[0],
                enc(&{
                    let mut c = claims_of(&user_access);
                    c["sub"] = json!("someone-else");
                    c
                }),
                parts[2]
            ),
        ),
        ("wrong issuer", sign(&json!({"sub": user_id, "role": "ADMIN", "iat": t, "exp": t + 600, "iss": "evil"}), JWT_SECRET)),
        ("no issuer", sign(&json!({"sub": user_id, "role": "ADMIN", "iat": t, "exp": t + 600}), JWT_SECRET)),
        ("expired", sign(&json!({"sub": user_id, "role": "USER", "iat": t - 7200, "exp": t - 5, "iss": "ticketing"}), JWT_SECRET)),
        ("no exp", sign(&json!({"sub": user_id, "role": "USER", "iat": t, "iss": "ticketing"}), JWT_SECRET)),
        ("unknown role", sign(&json!({"sub": user_id, "role": "ROOT", "iat": t, "exp": t + 600, "iss": "ticketing"}), JWT_SECRET)),
        (
            "HS512",
            jsonwebtoken::encode(&Header::new(Algorithm::HS512), &admin_claims, &EncodingKey::from_secret(JWT_SECRET.as_bytes())).unwrap(),
        ),
        ("garbage", "not.a.token".into()),
        ("two parts", format!("{}.{}", parts[0], parts[1])),
        ("empty", String::new()),
    ];
    forged.push(("signature stripped", format!("{}.{}.", parts[0], parts[1])));
    for (what, token) in &forged {
        for (method, path, body) in [
            (Method::GET, "/api/auth/me", None),
            (Method::POST, "/api/events", Some(json!({"eventName": "X"}))),
            (Method::GET, "/api/events", None),
            (Method::GET, "/api/inventory/reservations/me", None),
        ] {
            let (s, b) = app.call(method.clone(), path, Some(token), body).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{what} on {method} {path}: {b}");
            assert_error(s, &b, 401, "UNAUTHORIZED");
        }
    }
    // Other schemes and a bare header.
    for value in ["Basic dXNlcjpwYXNz", "Bearer", "Token abc", &user_access] {
        let resp = app.http.get(format!("{}/api/auth/me", app.url)).header("authorization", value).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "Authorization: {value}");
        let b: Value = resp.json().await.unwrap();
        assert_eq!(b["error"], "UNAUTHORIZED");
    }
}

#[tokio::test]
async fn a_user_token_on_admin_endpoints_is_403() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = app.create_event(&admin, json!({})).await;
    let id = event["eventId"].as_str().unwrap();
    let (user, _, _) = app.new_user("fan@example.com").await;
    let layout = json!({"sections": [{"section": "A", "seatType": "REGULAR", "price": 10, "rows": [{"rowNumber": 1, "seats": 2}]}]});
    let calls: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::POST,
            "/api/events".into(),
            Some(json!({"eventName": "X", "category": "C", "venueName": "V", "city": "C",
            "eventDate": "2030-01-01T00:00:00Z", "saleStartTime": "2029-01-01T00:00:00Z"})),
        ),
        (Method::PUT, format!("/api/events/{id}"), Some(json!({"eventName": "Mine now"}))),
        (Method::PUT, format!("/api/events/{id}/status"), Some(json!({"status": "ON_SALE"}))),
        (Method::DELETE, format!("/api/events/{id}"), None),
        (Method::PUT, format!("/api/inventory/events/{id}/seats"), Some(layout.clone())),
    ];
    for (m, p, body) in &calls {
        let (s, b) = app.call(m.clone(), p, Some(&user), body.clone()).await;
        assert_error(s, &b, 403, "FORBIDDEN");
        let (s, b) = app.call(m.clone(), p, None, body.clone()).await;
        assert_error(s, &b, 401, "UNAUTHORIZED");
    }
    // Nothing changed.
    let (s, b) = app.get(&format!("/api/events/{id}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["eventName"], event["eventName"]);
    assert_eq!(b["status"], "UPCOMING");
    assert_eq!(b["totalSeats"], 0);
}

#[tokio::test]
async fn accounts_and_refresh_families_on_mariadb() {
    let Some(base) = mysql_url() else {
        eprintln!("skipped: TICKETING_TEST_MYSQL_URL not set");
        return;
    };
    let app = spawn_shared(&fresh_mysql(&base), |_| {}).await;
    let (s, b) = register(&app, " Fan@Example.com", "password123", "Fan").await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["email"], "fan@example.com");
    for again in ["fan@example.com", "FAN@EXAMPLE.COM", " fan@example.com "] {
        let (s, b) = register(&app, again, "password123", "Fan").await;
        assert_error(s, &b, 409, "EMAIL_TAKEN");
    }
    let (s, wrong) = login(&app, "fan@example.com", "password124").await;
    assert_error(s, &wrong, 401, "UNAUTHORIZED");
    let (_, unknown) = login(&app, "nobody@example.com", "password123").await;
    assert_eq!(wrong, unknown);
    let (s, l) = login(&app, "FAN@example.com", "password123").await;
    assert_eq!(s, StatusCode::OK, "{l}");
    assert_eq!(l["tokenType"], "bearer");
    let r1 = l["refreshToken"].as_str().unwrap().to_string();
    let (s, b) = refresh(&app, &r1).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let r2 = b["refreshToken"].as_str().unwrap().to_string();
    let (s, b) = refresh(&app, &r1).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
    let (s, b) = refresh(&app, &r2).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
    // Logout on this backend too.
    let (_, l) = login(&app, "fan@example.com", "password123").await;
    let access = l["accessToken"].as_str().unwrap();
    let r = l["refreshToken"].as_str().unwrap();
    let (s, _) = app.post("/api/auth/logout", Some(access), json!({"refreshToken": r})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = refresh(&app, r).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
    let (s, me) = app.get("/api/auth/me", Some(access)).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["email"], "fan@example.com");
}
