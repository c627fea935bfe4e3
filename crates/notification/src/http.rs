//! Routes of the notification service (shared/API.md §9), built with `utoipa_axum`'s `routes!` from
//! the `#[utoipa::path]` of each handler.

use crate::service::NotificationService;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Router;
use common::auth::AuthUser;
use common::openapi::ErrorBody;
use common::ApiError;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

fn routes() -> OpenApiRouter<Arc<NotificationService>> {
    OpenApiRouter::new().routes(routes!(mine))
}

pub fn router(svc: Arc<NotificationService>) -> Router {
    routes().with_state(svc).split_for_parts().0
}

/// The description of the public route (shared/API.md §9).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

#[utoipa::path(get, path = "/api/notifications/me", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's notifications", body = crate::service::NotificationList),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: a service token", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn mine(State(s): State<Arc<NotificationService>>, user: AuthUser) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.mine(&user).await?))
}
