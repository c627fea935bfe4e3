//! The gateway: one port for the API and the web app (shared/API.md §10).
//!
//! It routes `/api/<service>/...` to the owning service, either a router in this process or another
//! process at `TICKETING_<SERVICE>_URL` ([`proxy`]); checks a bearer token before a request reaches a
//! service (a bad token is `401` here); applies the rate limit ([`ratelimit`]: per user when
//! authenticated, else per client IP; in process, or in Redis so that every gateway shares one
//! budget); answers CORS; caps request bodies at 1 MiB with `413 PAYLOAD_TOO_LARGE`; and serves the
//! web app's build with a fallback to `index.html` for client-side routes. Request ids, the request
//! span and request metrics come from [`common::http::with_common_layers`], applied by the server.
//!
//! The gateway knows no service crate: the `server` crate hands it routers and URLs.

pub mod docs;
pub mod proxy;
pub mod ratelimit;
pub mod web;

use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use common::auth::JwtKeys;
use common::{ApiError, ErrorCode};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Where the routes of one service go.
pub enum Upstream {
    /// The service runs in this process: its router, with full `/api/...` paths.
    Local(Router),
    /// Another process: its base URL; every path under `prefixes` is forwarded (the longest
    /// matching prefix decides; a `{parameter}` segment matches any one segment).
    Remote { base: String, prefixes: Vec<&'static str> },
}

pub struct GatewayConfig {
    pub rate_limiter: Arc<ratelimit::RateLimiter>,
    pub cors_origins: String,
    /// The web app from this directory instead of the binary's own copy (`TICKETING_WEB_DIR`).
    pub web_dir: Option<PathBuf>,
}

/// The gateway's router: every upstream, the checks in front of them, and the web app.
pub fn build(upstreams: Vec<Upstream>, keys: Arc<JwtKeys>, cfg: GatewayConfig) -> Router {
    // Paths of services in other processes are found in one table (longest prefix first) behind
    // the catch-all that otherwise answers 404: a local route, more specific, always wins.
    let mut table = proxy::Table::default();
    let mut api = Router::new();
    for up in upstreams {
        match up {
            Upstream::Local(r) => api = api.merge(r),
            Upstream::Remote { base, prefixes } => {
                let remote = proxy::Remote::new(&base);
                for p in prefixes {
                    table.add(p, remote.clone());
                }
            }
        }
    }
    let api = api
        .route("/api", any(common::http::not_found))
        .route("/api/", any(common::http::not_found))
        .route("/api/{*rest}", any(proxy::dispatch).with_state(Arc::new(table)));
    let limiter = cfg.rate_limiter.clone();
    // The JSON 405 is set here, before the layers: a method router's fallback that is still axum's
    // default is replaced later by `with_common_layers` *without* the layers below, which would
    // leave a CORS preflight (OPTIONS) on an API route unanswered (405).
    let api = api
        .method_not_allowed_fallback(common::http::method_not_allowed)
        .layer(axum::middleware::from_fn(move |req, next| rate_limit(limiter.clone(), req, next)))
        .layer(axum::middleware::from_fn(move |req, next| check_token(keys.clone(), req, next)))
        .layer(axum::middleware::from_fn(body_cap));
    // The web app is mounted as routes, not as the router's fallback: `with_common_layers` sets its
    // own fallback (the JSON 404), which would replace it.
    let web = web::app(cfg.web_dir.as_deref());
    api.route("/", web.clone()).route("/{*path}", web).layer(cors(&cfg.cors_origins))
}

/// A present bearer token must be valid before anything else happens; its claims ride along so
/// local services do not check it twice.
async fn check_token(keys: Arc<JwtKeys>, mut req: Request, next: Next) -> Response {
    if let Some(v) = req.headers().get(header::AUTHORIZATION) {
        let claims = match v.to_str() {
            Ok(s) => keys.verify_header(s),
            Err(_) => Err(ApiError::unauthorized("malformed Authorization header")),
        };
        match claims {
            Ok(c) => {
                req.extensions_mut().insert(c);
            }
            Err(e) => return e.into_response(),
        }
    }
    next.run(req).await
}

async fn rate_limit(limiter: Arc<ratelimit::RateLimiter>, req: Request, next: Next) -> Response {
    if req.method() == Method::OPTIONS {
        return next.run(req).await;
    }
    let who = match req.extensions().get::<common::auth::Claims>() {
        Some(c) => format!("user:{}", c.sub),
        None => {
            let ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "unknown".into());
            format!("ip:{ip}")
        }
    };
    if let Err(retry_after) = limiter.check(&who).await {
        let mut e = ApiError::new(ErrorCode::RateLimited, "too many requests; slow down");
        e.retry_after_secs = Some(retry_after.max(1));
        return e.with("retryAfterSeconds", retry_after.max(1)).into_response();
    }
    next.run(req).await
}

/// Refuse a declared oversized body before reading it (a streamed one is cut at 1 MiB by the body
/// limit of the extractors and the proxy).
async fn body_cap(req: Request, next: Next) -> Response {
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > common::http::MAX_BODY_BYTES as u64) {
        return ApiError::new(ErrorCode::PayloadTooLarge, "request body is larger than 1 MiB").into_response();
    }
    next.run(req).await
}

fn cors(origins: &str) -> CorsLayer {
    let list: Vec<&str> = origins.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let allow =
        if list.contains(&"*") { AllowOrigin::any() } else { AllowOrigin::list(list.iter().filter_map(|o| HeaderValue::from_str(o).ok())) };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::PATCH, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([header::HeaderName::from_static("x-request-id"), header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(600))
}
