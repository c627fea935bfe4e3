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

/// Answers `/ready`: does every dependency of this process answer?
pub type ReadyCheck = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

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

/// `/health` (alive), `/ready` (dependencies answer), `/metrics` (Prometheus text).
pub fn health_router(ready: ReadyCheck) -> Router {
    let handle = crate::telemetry::metrics_handle();
    Router::new()
        .route("/health", get(|| async { axum::Json(serde_json::json!({"status": "UP"})) }))
        .route(
            "/ready",
            get(move || {
                let ready = ready.clone();
                async move {
                    match ready().await {
                        Ok(()) => (StatusCode::OK, axum::Json(serde_json::json!({"status": "READY"}))).into_response(),
                        Err(why) => ApiError::unavailable(format!("not ready: {why}")).into_response(),
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
