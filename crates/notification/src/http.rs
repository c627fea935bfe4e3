//! Routes of the notification service (shared/API.md §9).

use crate::service::NotificationService;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use common::auth::AuthUser;
use common::ApiError;
use std::sync::Arc;

pub fn router(svc: Arc<NotificationService>) -> Router {
    Router::new().route("/api/notifications/me", get(mine)).with_state(svc)
}

async fn mine(State(s): State<Arc<NotificationService>>, user: AuthUser) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.mine(&user).await?))
}
