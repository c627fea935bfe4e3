//! Routes of the queue service: thin, the rules are in [`crate::service`]. The public routes are
//! built with `utoipa_axum`'s `routes!` from the `#[utoipa::path]` of each handler, so the router
//! and [`openapi`] cannot differ.

use crate::model::{Controls, PlaceView, RoomView};
use crate::service::QueueService;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use common::auth::{AdminUser, AuthUser, ServiceCaller};
use common::extract::{Json, Path};
use common::openapi::ErrorBody;
use common::ApiError;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type S = State<Arc<QueueService>>;

fn routes() -> OpenApiRouter<Arc<QueueService>> {
    OpenApiRouter::new().routes(routes!(join)).routes(routes!(me)).routes(routes!(view, control))
}

pub fn router(svc: Arc<QueueService>) -> Router {
    routes().with_state(svc).split_for_parts().0
}

/// The description of the public routes (shared/API.md §12).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

/// Routes for other services of the platform (service token only; never routed by the gateway).
pub fn internal_router(svc: Arc<QueueService>) -> Router {
    Router::new().route("/internal/queue/events/{event_id}/admissions/{user_id}", get(admission)).with_state(svc)
}

/// Join the event's waiting room; joining again returns the same place.
#[utoipa::path(post, path = "/api/queue/events/{eventId}/join", tag = "queue", params(("eventId" = String, Path, description = "The event id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's place", body = PlaceView),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: a service token", body = ErrorBody),
        (status = 404, description = "NOT_FOUND: no such event", body = ErrorBody),
        (status = 409, description = "CONFLICT: the event has no open waiting room", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
        (status = 503, description = "UNAVAILABLE", body = ErrorBody),
    ))]
async fn join(State(s): S, u: AuthUser, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.join(&u.user_id, &id).await?))
}

#[utoipa::path(get, path = "/api/queue/events/{eventId}/me", tag = "queue", params(("eventId" = String, Path, description = "The event id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's place", body = PlaceView),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: a service token", body = ErrorBody),
        (status = 404, description = "NOT_FOUND: the caller has not joined", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
        (status = 503, description = "UNAVAILABLE", body = ErrorBody),
    ))]
async fn me(State(s): S, u: AuthUser, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.me(&u.user_id, &id).await?))
}

#[utoipa::path(get, path = "/api/queue/events/{eventId}", tag = "queue", params(("eventId" = String, Path, description = "The event id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The room's state", body = RoomView),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
        (status = 503, description = "UNAVAILABLE", body = ErrorBody),
    ))]
async fn view(State(s): S, _: AdminUser, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.view(&id).await?))
}

#[utoipa::path(put, path = "/api/queue/events/{eventId}", tag = "queue", params(("eventId" = String, Path, description = "The event id")), request_body = Controls, security(("bearer" = [])),
    responses(
        (status = 200, description = "The room's state, changed at once", body = RoomView),
        (status = 400, description = "VALIDATION_ERROR naming the field", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 409, description = "CONFLICT", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
        (status = 503, description = "UNAVAILABLE", body = ErrorBody),
    ))]
async fn control(State(s): S, _: AdminUser, Path(id): Path<String>, Json(c): Json<Controls>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.control(&id, c).await?))
}

async fn admission(
    State(s): S,
    _: ServiceCaller,
    Path((event_id, user_id)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.admission(&event_id, &user_id).await?))
}
