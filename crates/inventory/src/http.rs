//! Routes of the inventory: the public ones of shared/API.md §5, and the internal ones the booking
//! service calls (service token only; the gateway never routes `/internal`).

use crate::model::{LayoutInput, ReserveInput};
use crate::service::InventoryService;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::Router;
use common::auth::{AdminUser, AuthUser, ServiceCaller};
use common::clients::InventoryApi;
use common::extract::{Json, Path, Query};
use common::ApiError;
use serde::Deserialize;
use std::sync::Arc;

type S = State<Arc<InventoryService>>;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdsReq {
    reservation_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HoldReq {
    reservation_ids: Vec<String>,
    user_id: String,
    /// Pin until (ms since the epoch).
    until: Option<i64>,
    booking_id: Option<String>,
}

#[derive(Deserialize)]
struct OutboxQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

pub fn router(svc: Arc<InventoryService>) -> Router {
    Router::new()
        .route("/api/inventory/events/{event_id}/seats", put(put_layout).get(seats))
        .route("/api/inventory/events/{event_id}/seats/available", get(available))
        .route("/api/inventory/events/{event_id}/availability", get(availability))
        .route("/api/inventory/reservations", post(reserve))
        .route("/api/inventory/reservations/me", get(mine))
        .route("/api/inventory/reservations/cancel", post(cancel_many))
        .route("/api/inventory/reservations/{reservation_id}", get(one).delete(cancel_one))
        .with_state(svc)
}

pub fn internal_router(svc: Arc<InventoryService>) -> Router {
    Router::new()
        .route("/internal/inventory/outbox", get(outbox))
        .route("/internal/inventory/events/{event_id}/counts", get(counts))
        .route("/internal/inventory/reservations/pin", post(pin))
        .route("/internal/inventory/reservations/confirm", post(confirm))
        .route("/internal/inventory/reservations/release", post(release))
        .route("/internal/inventory/reservations/free", post(free))
        .route("/internal/inventory/cleanup", post(cleanup))
        .with_state(svc)
}

async fn put_layout(State(s): S, _: AdminUser, Path(id): Path<String>, Json(l): Json<LayoutInput>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.put_layout(&id, l).await?))
}

async fn seats(State(s): S, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.seats(&id, false).await?))
}

async fn available(State(s): S, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.seats(&id, true).await?))
}

async fn availability(State(s): S, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.availability(&id).await?))
}

async fn reserve(State(s): S, user: AuthUser, Json(r): Json<ReserveInput>) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.reserve(&user.user_id, r).await?)))
}

async fn mine(State(s): S, user: AuthUser) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.my_reservations(&user.user_id).await?))
}

async fn one(State(s): S, user: AuthUser, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.reservation(&user, &id).await?))
}

async fn cancel_one(State(s): S, user: AuthUser, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    s.cancel_one(&user.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn cancel_many(State(s): S, user: AuthUser, Json(r): Json<IdsReq>) -> Result<impl IntoResponse, ApiError> {
    let n = s.cancel_many(&user.user_id, &r.reservation_ids).await?;
    Ok(axum::Json(serde_json::json!({"cancelled": n})))
}

async fn outbox(State(s): S, _: ServiceCaller, Query(q): Query<OutboxQuery>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.outbox_after(q.after.unwrap_or(0), q.limit.unwrap_or(500)).await?))
}

async fn counts(State(s): S, _: ServiceCaller, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.seat_counts(&id).await?))
}

async fn pin(State(s): S, _: ServiceCaller, Json(r): Json<HoldReq>) -> Result<impl IntoResponse, ApiError> {
    let until = r.until.ok_or_else(|| ApiError::validation("until", "is required"))?;
    Ok(axum::Json(s.pin(&r.reservation_ids, &r.user_id, until).await?))
}

async fn confirm(State(s): S, _: ServiceCaller, Json(r): Json<HoldReq>) -> Result<impl IntoResponse, ApiError> {
    let booking = r.booking_id.ok_or_else(|| ApiError::validation("bookingId", "is required"))?;
    Ok(axum::Json(s.confirm(&r.reservation_ids, &r.user_id, &booking).await?))
}

async fn release(State(s): S, _: ServiceCaller, Json(r): Json<HoldReq>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(serde_json::json!({"released": s.release(&r.reservation_ids, &r.user_id).await?})))
}

async fn free(State(s): S, _: ServiceCaller, Json(r): Json<HoldReq>) -> Result<impl IntoResponse, ApiError> {
    let booking = r.booking_id.ok_or_else(|| ApiError::validation("bookingId", "is required"))?;
    Ok(axum::Json(serde_json::json!({"freed": s.free_booked(&r.reservation_ids, &booking).await?})))
}

async fn cleanup(State(s): S, _: ServiceCaller) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(serde_json::json!({"expired": s.cleanup_once().await?})))
}

