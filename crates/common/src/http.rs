//! HTTP plumbing every process shares: request ids, the request span, request metrics, the body cap,
//! JSON 404/405 answers, and `/health`, `/ready`, `/metrics`.

use crate::auth::JwtKeys;
use crate::error::{ApiError, ErrorCode};
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub const REQUEST_ID: &str = "x-request-id";
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// One dependency of a process as `/ready` reports it: its name (`inventory database`, `redis`,
/// `peer events`) and, when it does not answer, why.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub error: Option<String>,
    /// A peer service: reported, but its failure does not make this process unready (that would
    /// take every caller out of rotation with it; the caller answers 503 for that request instead).
    pub peer: bool,
}

impl Check {
    pub fn own(name: impl Into<String>, result: Result<(), String>) -> Self {
        Check { name: name.into(), error: result.err(), peer: false }
    }
    pub fn peer(name: impl Into<String>, result: Result<(), String>) -> Self {
        Check { name: name.into(), error: result.err(), peer: true }
    }
}

/// Answers `/ready`: what this process depends on, and whether each answers.
pub type ReadyCheck = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Vec<Check>> + Send>> + Send + Sync>;

async fn record_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(start.elapsed().as_secs_f64());
    resp
}

pub async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "method not allowed on this route")
}

/// The layers around every router a process serves (a service alone, or the gateway).
pub fn with_common_layers(router: Router, keys: Arc<JwtKeys>) -> Router {
    let header = HeaderName::from_static(REQUEST_ID);
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        })
        .on_request(())
        .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::DEBUG));
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(record_metrics))
        .layer(Extension(keys))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(PropagateRequestIdLayer::new(header.clone()))
        .layer(trace)
        .layer(SetRequestIdLayer::new(header, MakeRequestUuid))
}

/// `/health` (alive, and which services this process runs), `/ready` (each dependency and whether
/// it answers: `200 READY` when this process's own databases and Redis do, else `503` in the error
/// shape, with the same `checks`), `/metrics` (Prometheus text).
pub fn health_router(ready: ReadyCheck, services: Vec<&'static str>) -> Router {
    let handle = crate::telemetry::metrics_handle();
    Router::new()
        .route("/health", get(move || async move { axum::Json(serde_json::json!({"status": "UP", "services": services})) }))
        .route(
            "/ready",
            get(move || {
                let ready = ready.clone();
                async move {
                    let checks = ready().await;
                    let report: serde_json::Map<String, serde_json::Value> = checks
                        .iter()
                        .map(|c| (c.name.clone(), serde_json::json!(c.error.as_deref().map_or("UP".to_string(), |e| format!("DOWN: {e}")))))
                        .collect();
                    match checks.iter().find(|c| !c.peer && c.error.is_some()) {
                        None => (StatusCode::OK, axum::Json(serde_json::json!({"status": "READY", "checks": report}))).into_response(),
                        Some(c) => ApiError::unavailable(format!("not ready: {}: {}", c.name, c.error.as_deref().unwrap_or_default()))
                            .with("checks", serde_json::Value::Object(report))
                            .into_response(),
                    }
                }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let handle = handle.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()) }
            }),
        )
}
