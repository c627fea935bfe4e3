//! Routes of the events service.

use crate::model::EventInput;
use crate::service::{EventsService, ListQuery};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, put};
use axum::Router;
use common::auth::{AdminUser, ServiceCaller};
use common::clients::EventsApi;
use common::extract::{Json, Path, Query};
use common::ApiError;
use serde::Deserialize;
use std::sync::Arc;

type S = State<Arc<EventsService>>;

#[derive(Deserialize)]
struct StatusReq {
    status: String,
}

#[derive(Deserialize)]
struct OutboxQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

pub fn router(svc: Arc<EventsService>) -> Router {
    Router::new()
        .route("/api/events", get(list).post(create))
        .route("/api/events/{event_id}", get(get_one).put(update).delete(delete))
        .route("/api/events/{event_id}/status", put(set_status))
        .with_state(svc)
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

async fn create(State(s): S, _: AdminUser, Json(input): Json<EventInput>) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.create(input).await?)))
}

async fn list(State(s): S, Query(q): Query<ListQuery>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.list(q).await?))
}

async fn get_one(State(s): S, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.get(&id).await?))
}

async fn update(State(s): S, _: AdminUser, Path(id): Path<String>, Json(input): Json<EventInput>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.update(&id, input).await?))
}

async fn set_status(State(s): S, _: AdminUser, Path(id): Path<String>, Json(r): Json<StatusReq>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.set_status(&id, &r.status).await?))
}

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
