//! Routes of the auth service: parse, call the service, map errors.

use crate::service::AuthService;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use common::auth::AuthUser;
use common::extract::Json;
use common::ApiError;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Deserialize)]
struct RegisterReq {
    email: String,
    password: String,
    name: String,
}

#[derive(Deserialize)]
struct LoginReq {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefreshReq {
    refresh_token: String,
}

pub fn router(svc: Arc<AuthService>) -> Router {
    Router::new()
        .route("/api/auth/register", post(register))
        .route("/api/auth/login", post(login))
        .route("/api/auth/refresh", post(refresh))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/me", get(me))
        .with_state(svc)
}

/// Routes for other services of the platform (service token only; never routed by the gateway).
pub fn internal_router(svc: Arc<AuthService>) -> Router {
    Router::new().route("/internal/auth/users/{user_id}", get(contact)).with_state(svc)
}

async fn contact(
    State(s): State<Arc<AuthService>>,
    _: common::auth::ServiceCaller,
    common::extract::Path(id): common::extract::Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let c = s.contact(&id).await?.ok_or_else(|| ApiError::not_found("user"))?;
    Ok(axum::Json(c))
}

async fn register(State(s): State<Arc<AuthService>>, Json(r): Json<RegisterReq>) -> Result<impl IntoResponse, ApiError> {
    let u = s.register(&r.email, &r.password, &r.name).await?;
    Ok((StatusCode::CREATED, axum::Json(u)))
}

async fn login(State(s): State<Arc<AuthService>>, Json(r): Json<LoginReq>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.login(&r.email, &r.password).await?))
}

async fn refresh(State(s): State<Arc<AuthService>>, Json(r): Json<RefreshReq>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.refresh(&r.refresh_token).await?))
}

async fn logout(State(s): State<Arc<AuthService>>, user: AuthUser, Json(r): Json<RefreshReq>) -> Result<StatusCode, ApiError> {
    s.logout(&user.user_id, &r.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(s): State<Arc<AuthService>>, user: AuthUser) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.me(&user.user_id).await?))
}
