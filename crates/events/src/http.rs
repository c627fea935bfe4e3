//! Routes of the events service. The public routes are built with `utoipa_axum`'s `routes!` from
//! the `#[utoipa::path]` of each handler, so the router and [`openapi`] cannot differ.

use crate::model::{EventInput, EventView};
use crate::service::{EventPage, EventsService, ListQuery};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use common::auth::{AdminUser, ServiceCaller};
use common::clients::EventsApi;
use common::extract::{Json, Path, Query};
use common::openapi::ErrorBody;
use common::ApiError;
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type S = State<Arc<EventsService>>;

#[derive(Deserialize, utoipa::ToSchema)]
struct StatusReq {
    /// The status to move to: UPCOMING | ON_SALE | SOLD_OUT | CANCELLED | COMPLETED.
    #[schema(example = "ON_SALE")]
    status: String,
}

#[derive(Deserialize)]
struct OutboxQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

fn routes() -> OpenApiRouter<Arc<EventsService>> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(get_one, update, delete)).routes(routes!(set_status))
}

pub fn router(svc: Arc<EventsService>) -> Router {
    routes().with_state(svc).split_for_parts().0
}

/// The description of the public routes (shared/API.md §4).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

/// Routes for other services of the platform (service token only; never routed by the gateway).
pub fn internal_router(svc: Arc<EventsService>) -> Router {
    Router::new()
        .route("/internal/events/outbox", get(outbox))
        .route("/internal/events/{event_id}/sale-info", get(sale_info))
        .with_state(svc.clone())
        // One event's full view, for a search indexer in another process.
        .merge(crate::feed::feed_router(svc))
}

#[utoipa::path(post, path = "/api/events", tag = "events", request_body = EventInput, security(("bearer" = [])),
    responses(
        (status = 201, description = "The event, UPCOMING", body = EventView),
        (status = 400, description = "VALIDATION_ERROR naming the field", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn create(State(s): S, _: AdminUser, Json(input): Json<EventInput>) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.create(input).await?)))
}

#[utoipa::path(get, path = "/api/events", tag = "events", params(ListQuery),
    responses(
        (status = 200, description = "A page of events", body = EventPage),
        (status = 400, description = "VALIDATION_ERROR: a bad page, size, status or date", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn list(State(s): S, Query(q): Query<ListQuery>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.list(q).await?))
}

#[utoipa::path(get, path = "/api/events/{eventId}", tag = "events", params(("eventId" = String, Path, description = "The event id")),
    responses(
        (status = 200, description = "The event", body = EventView),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn get_one(State(s): S, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.get(&id).await?))
}

/// Any subset of the create fields.
#[utoipa::path(put, path = "/api/events/{eventId}", tag = "events", params(("eventId" = String, Path, description = "The event id")), request_body = EventInput, security(("bearer" = [])),
    responses(
        (status = 200, description = "The event", body = EventView),
        (status = 400, description = "VALIDATION_ERROR naming the field", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_STATE_TRANSITION or CONFLICT: the event can no longer be changed so", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn update(State(s): S, _: AdminUser, Path(id): Path<String>, Json(input): Json<EventInput>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.update(&id, input).await?))
}

#[utoipa::path(put, path = "/api/events/{eventId}/status", tag = "events", params(("eventId" = String, Path, description = "The event id")), request_body = StatusReq, security(("bearer" = [])),
    responses(
        (status = 200, description = "The event in its new status", body = EventView),
        (status = 400, description = "VALIDATION_ERROR: an unknown status", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_STATE_TRANSITION", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn set_status(State(s): S, _: AdminUser, Path(id): Path<String>, Json(r): Json<StatusReq>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.set_status(&id, &r.status).await?))
}

/// Only an event with no bookings; otherwise cancel it.
#[utoipa::path(delete, path = "/api/events/{eventId}", tag = "events", params(("eventId" = String, Path, description = "The event id")), security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 409, description = "CONFLICT: the event has bookings", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn delete(State(s): S, _: AdminUser, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    s.delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn sale_info(State(s): S, _: ServiceCaller, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    s.sale_info(&id).await?.map(axum::Json).ok_or_else(|| ApiError::not_found("event"))
}

async fn outbox(State(s): S, _: ServiceCaller, Query(q): Query<OutboxQuery>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.outbox_after(q.after.unwrap_or(0), q.limit.unwrap_or(500)).await?))
}
