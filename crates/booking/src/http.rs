//! Routes of the booking service (shared/API.md §6) and the payment webhook receiver.

use crate::service::BookingService;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use common::auth::AuthUser;
use common::extract::Path;
use common::{ApiError, ErrorCode};
use std::sync::Arc;

type S = State<Arc<BookingService>>;

pub fn router(svc: Arc<BookingService>) -> Router {
    Router::new()
        .route("/api/bookings/confirm", post(confirm))
        .route("/api/bookings/me", get(mine))
        .route("/api/bookings/webhooks/payment", post(webhook))
        .route("/api/bookings/{booking_id}", get(one))
        .route("/api/bookings/{booking_id}/cancel", post(cancel))
        .with_state(svc)
}

#[derive(serde::Deserialize)]
struct OutboxQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

#[derive(serde::Deserialize)]
struct SinceQuery {
    since: Option<i64>,
}

/// Routes for other services of the platform (service token only; never routed by the gateway):
/// the outbox and the holders of an event's bookings, for the notification service.
pub fn internal_router(svc: Arc<BookingService>) -> Router {
    Router::new()
        .route("/internal/bookings/outbox", get(outbox))
        .route("/internal/bookings/events/{event_id}/holders", get(holders))
        .with_state(svc)
}

async fn outbox(State(s): S, _: common::auth::ServiceCaller, common::extract::Query(q): common::extract::Query<OutboxQuery>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.outbox_after(q.after.unwrap_or(0), q.limit.unwrap_or(200)).await?))
}

async fn holders(
    State(s): S,
    _: common::auth::ServiceCaller,
    Path(id): Path<String>,
    common::extract::Query(q): common::extract::Query<SinceQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(common::clients::HolderList { holders: s.holders(&id, q.since.unwrap_or(0)).await? }))
}

fn body(b: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    b.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(ErrorCode::PayloadTooLarge, "request body is larger than 1 MiB")
        } else {
            ApiError::new(ErrorCode::ValidationError, "the request body could not be read")
        }
    })
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    h.get(name).map(|v| v.to_str().map_err(|_| ApiError::validation(name, "must be visible ASCII"))).transpose()
}

async fn confirm(State(s): S, user: AuthUser, headers: HeaderMap, b: Result<Bytes, BytesRejection>) -> Result<impl IntoResponse, ApiError> {
    let b = body(b)?;
    let key = header(&headers, "idempotency-key")?;
    let (status, view) = s.confirm(&user, key, &b).await?;
    Ok((status, axum::Json(view)))
}

async fn mine(State(s): S, user: AuthUser) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.mine(&user).await?))
}

async fn one(State(s): S, user: AuthUser, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.get(&user, &id).await?))
}

async fn cancel(State(s): S, user: AuthUser, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.cancel(Some(&user), &id).await?))
}

async fn webhook(State(s): S, headers: HeaderMap, b: Result<Bytes, BytesRejection>) -> Result<impl IntoResponse, ApiError> {
    let b = body(b)?;
    let ts = headers.get(common::webhook::TIMESTAMP_HEADER).and_then(|v| v.to_str().ok());
    let sig = headers.get(common::webhook::SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let duplicate = s.webhook(ts, sig, &b).await?;
    Ok(axum::Json(serde_json::json!({"received": true, "duplicate": duplicate})))
}
