//! Routes of the inventory: the public ones of shared/API.md §5, and the internal ones the booking
//! service calls (service token only; the gateway never routes `/internal`). The public routes are
//! built with `utoipa_axum`'s `routes!` from the `#[utoipa::path]` of each handler, so the router
//! and [`openapi`] cannot differ.

use crate::model::{LayoutInput, ReservationView, ReserveInput};
use crate::service::{Availability, InventoryService, ReservationList, Reserved, SeatList};
use crate::waitlist::{EntryList, EntryView, JoinInput};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use common::auth::{AdminUser, AuthUser, ServiceCaller};
use common::clients::InventoryApi;
use common::extract::{Json, Path, Query};
use common::openapi::ErrorBody;
use common::ApiError;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type S = State<Arc<InventoryService>>;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct IdsReq {
    reservation_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HoldReq {
    reservation_ids: Vec<String>,
    user_id: String,
    booking_id: Option<String>,
}

#[derive(Deserialize)]
struct OutboxQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

/// `PUT .../seats` answers this.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct LayoutSaved {
    event_id: String,
    total_seats: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Cancelled {
    cancelled: u64,
}

fn routes() -> OpenApiRouter<Arc<InventoryService>> {
    OpenApiRouter::new()
        .routes(routes!(put_layout, seats))
        .routes(routes!(available))
        .routes(routes!(availability))
        .routes(routes!(reserve))
        .routes(routes!(mine))
        .routes(routes!(cancel_many))
        .routes(routes!(one, cancel_one))
        .routes(routes!(join_waitlist))
        .routes(routes!(my_waitlist))
        .routes(routes!(leave_waitlist))
}

pub fn router(svc: Arc<InventoryService>) -> Router {
    routes().with_state(svc).split_for_parts().0
}

/// The description of the public routes (shared/API.md §5 and the waitlist's of §14).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

pub fn internal_router(svc: Arc<InventoryService>) -> Router {
    Router::new()
        .route("/internal/inventory/outbox", get(outbox))
        .route("/internal/inventory/events/{event_id}/counts", get(counts))
        .route("/internal/inventory/reservations/confirm", post(confirm))
        .route("/internal/inventory/reservations/release", post(release))
        .route("/internal/inventory/reservations/free", post(free))
        .route("/internal/inventory/cleanup", post(cleanup))
        .with_state(svc)
}

/// Replace the seat layout; only while the event is UPCOMING.
#[utoipa::path(put, path = "/api/inventory/events/{eventId}/seats", tag = "inventory", params(("eventId" = String, Path, description = "The event id")), request_body = LayoutInput, security(("bearer" = [])),
    responses(
        (status = 200, description = "The layout is in place", body = LayoutSaved),
        (status = 400, description = "VALIDATION_ERROR naming the field", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
        (status = 404, description = "NOT_FOUND: no such event", body = ErrorBody),
        (status = 409, description = "EVENT_NOT_ON_SALE, INVALID_STATE_TRANSITION or CONFLICT: the event is no longer UPCOMING or has holds", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn put_layout(State(s): S, _: AdminUser, Path(id): Path<String>, Json(l): Json<LayoutInput>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.put_layout(&id, l).await?))
}

#[utoipa::path(get, path = "/api/inventory/events/{eventId}/seats", tag = "inventory", params(("eventId" = String, Path, description = "The event id")),
    responses(
        (status = 200, description = "Every seat of the event", body = SeatList),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn seats(State(s): S, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.seats(&id, false).await?))
}

#[utoipa::path(get, path = "/api/inventory/events/{eventId}/seats/available", tag = "inventory", params(("eventId" = String, Path, description = "The event id")),
    responses(
        (status = 200, description = "The AVAILABLE seats of the event", body = SeatList),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn available(State(s): S, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.seats(&id, true).await?))
}

#[utoipa::path(get, path = "/api/inventory/events/{eventId}/availability", tag = "inventory", params(("eventId" = String, Path, description = "The event id")),
    responses(
        (status = 200, description = "Seat counts, overall and per section", body = Availability),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn availability(State(s): S, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.availability(&id).await?))
}

/// Hold seats (all or nothing) while the event is ON_SALE.
#[utoipa::path(post, path = "/api/inventory/reservations", tag = "inventory", request_body = ReserveInput, security(("bearer" = [])),
    responses(
        (status = 201, description = "The holds, ACTIVE until expiresAt", body = Reserved),
        (status = 400, description = "VALIDATION_ERROR naming the field", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN (a service token) or NOT_ADMITTED: the event has a waiting room and the caller is not admitted (with queueUrl)", body = ErrorBody),
        (status = 404, description = "NOT_FOUND: no such event", body = ErrorBody),
        (status = 409, description = "SEAT_UNAVAILABLE (with unavailableSeats), EVENT_NOT_ON_SALE or TICKET_LIMIT_EXCEEDED (with limit, held)", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
        (status = 503, description = "UNAVAILABLE: the seats are busy or a dependency is down; nothing was reserved", body = ErrorBody),
    ))]
async fn reserve(State(s): S, user: AuthUser, Json(r): Json<ReserveInput>) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.reserve(&user.user_id, r).await?)))
}

#[utoipa::path(get, path = "/api/inventory/reservations/me", tag = "inventory", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's ACTIVE reservations", body = ReservationList),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: a service token", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn mine(State(s): S, user: AuthUser) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.my_reservations(&user.user_id).await?))
}

#[utoipa::path(get, path = "/api/inventory/reservations/{reservationId}", tag = "inventory", params(("reservationId" = String, Path, description = "The reservation id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The reservation (owner or admin)", body = ReservationView),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn one(State(s): S, user: AuthUser, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.reservation(&user, &id).await?))
}

#[utoipa::path(delete, path = "/api/inventory/reservations/{reservationId}", tag = "inventory", params(("reservationId" = String, Path, description = "The reservation id")), security(("bearer" = [])),
    responses(
        (status = 204, description = "Cancelled; the seat is AVAILABLE again"),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 409, description = "RESERVATION_NOT_ACTIVE", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
        (status = 503, description = "UNAVAILABLE: the seat is busy; try again", body = ErrorBody),
    ))]
async fn cancel_one(State(s): S, user: AuthUser, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    s.cancel_one(&user.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/inventory/reservations/cancel", tag = "inventory", request_body = IdsReq, security(("bearer" = [])),
    responses(
        (status = 200, description = "How many of the caller's ACTIVE reservations were cancelled", body = Cancelled),
        (status = 400, description = "VALIDATION_ERROR naming the field", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 409, description = "RESERVATION_NOT_ACTIVE", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
        (status = 503, description = "UNAVAILABLE: the seats are busy; try again", body = ErrorBody),
    ))]
async fn cancel_many(State(s): S, user: AuthUser, Json(r): Json<IdsReq>) -> Result<impl IntoResponse, ApiError> {
    let n = s.cancel_many(&user.user_id, &r.reservation_ids).await?;
    Ok(axum::Json(Cancelled { cancelled: n }))
}

async fn outbox(State(s): S, _: ServiceCaller, Query(q): Query<OutboxQuery>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.outbox_after(q.after.unwrap_or(0), q.limit.unwrap_or(500)).await?))
}

async fn counts(State(s): S, _: ServiceCaller, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.seat_counts(&id).await?))
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

/// Join a sold-out event's waitlist; freed seats are offered in order of joining.
#[utoipa::path(post, path = "/api/events/{eventId}/waitlist", tag = "waitlist", params(("eventId" = String, Path, description = "The event id")),
    request_body = JoinInput, security(("bearer" = [])),
    responses(
        (status = 201, description = "The new entry (OFFERED at once if seats were free)", body = EntryView),
        (status = 200, description = "The caller's live entry for this event (one per account and event)", body = EntryView),
        (status = 400, description = "VALIDATION_ERROR naming the field", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 404, description = "NOT_FOUND: no such event", body = ErrorBody),
        (status = 409, description = "INVALID_STATE_TRANSITION: the event is neither SOLD_OUT nor ON_SALE; TICKET_LIMIT_EXCEEDED", body = ErrorBody),
    ))]
async fn join_waitlist(
    State(s): S,
    user: AuthUser,
    Path(id): Path<String>,
    Json(input): Json<JoinInput>,
) -> Result<impl IntoResponse, ApiError> {
    let (status, entry) = s.join_waitlist(&user.user_id, &id, input).await?;
    Ok((status, axum::Json(entry)))
}

#[utoipa::path(get, path = "/api/waitlist/me", tag = "waitlist", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's entries, newest first", body = EntryList),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
    ))]
async fn my_waitlist(State(s): S, user: AuthUser) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.my_waitlist(&user.user_id).await?))
}

/// Leave the waitlist; an open offer's seats go to the next entries.
#[utoipa::path(delete, path = "/api/waitlist/{entryId}", tag = "waitlist", params(("entryId" = String, Path, description = "The entry id")), security(("bearer" = [])),
    responses(
        (status = 204, description = "Left"),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
    ))]
async fn leave_waitlist(State(s): S, user: AuthUser, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    s.leave_waitlist(&user.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
