//! Routes of the auth service: parse, call the service, map errors. The public routes are built
//! with `utoipa_axum`'s `routes!` from the `#[utoipa::path]` of each handler, so the router and the
//! OpenAPI description ([`openapi`]) cannot differ.

use crate::service::{AuthService, TokenPair, UserView};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Router};
use common::auth::AuthUser;
use common::extract::Json;
use common::openapi::ErrorBody;
use common::{ApiError, ErrorCode};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Deserialize, utoipa::ToSchema)]
struct RegisterReq {
    #[schema(example = "fan@example.com")]
    email: String,
    /// At least 8 characters.
    #[schema(example = "password123")]
    password: String,
    #[schema(example = "Alex Fan")]
    name: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LoginReq {
    #[schema(example = "fan@example.com")]
    email: String,
    #[schema(example = "password123")]
    password: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct RefreshReq {
    refresh_token: String,
}

fn routes() -> OpenApiRouter<Arc<AuthService>> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
}

pub fn router(svc: Arc<AuthService>) -> Router {
    routes().with_state(svc).split_for_parts().0
}

/// The description of the public routes (shared/API.md §3).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
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

#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterReq,
    responses(
        (status = 201, description = "The account, with role USER", body = UserView),
        (status = 400, description = "VALIDATION_ERROR: a missing or malformed email, a password under 8 characters, a missing name", body = ErrorBody),
        (status = 409, description = "EMAIL_TAKEN", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn register(State(s): State<Arc<AuthService>>, Json(r): Json<RegisterReq>) -> Result<impl IntoResponse, ApiError> {
    let u = s.register(&r.email, &r.password, &r.name).await?;
    Ok((StatusCode::CREATED, axum::Json(u)))
}

/// Log in. Unknown email and wrong password answer alike (`401`); after 10 failures within a
/// minute for one email from one client, further attempts are `429` until the minute is over.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginReq,
    responses(
        (status = 200, description = "An access token (HS256 JWT, one hour) and a refresh token", body = TokenPair),
        (status = 400, description = "VALIDATION_ERROR: a malformed body", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: invalid email or password", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED: too many failed logins for this email from this client (Retry-After)", body = ErrorBody),
    ))]
async fn login(
    State(s): State<Arc<AuthService>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Json(r): Json<LoginReq>,
) -> Result<impl IntoResponse, ApiError> {
    let ip = peer.map(|Extension(ConnectInfo(a))| a.ip().to_string()).unwrap_or_default();
    let now = common::time::now_ms();
    if let Err(secs) = s.login_limit().check(&r.email, &ip, now) {
        let mut e = ApiError::new(ErrorCode::RateLimited, "too many failed logins; try again later").with("retryAfterSeconds", secs);
        e.retry_after_secs = Some(secs);
        return Err(e);
    }
    match s.login(&r.email, &r.password).await {
        Ok(pair) => {
            s.login_limit().succeeded(&r.email, &ip);
            Ok(axum::Json(pair))
        }
        Err(e) => {
            if e.code == ErrorCode::Unauthorized {
                s.login_limit().failed(&r.email, &ip, now);
            }
            Err(e)
        }
    }
}

/// Rotate a refresh token: a used one is refused, and reusing one revokes its whole family.
#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", request_body = RefreshReq,
    responses(
        (status = 200, description = "A new access token and the next refresh token of the family", body = TokenPair),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: unknown, used, revoked or expired refresh token", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn refresh(State(s): State<Arc<AuthService>>, Json(r): Json<RefreshReq>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.refresh(&r.refresh_token).await?))
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", request_body = RefreshReq, security(("bearer" = [])),
    responses(
        (status = 204, description = "The refresh token (and its family) is revoked"),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: a service token", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn logout(State(s): State<Arc<AuthService>>, user: AuthUser, Json(r): Json<RefreshReq>) -> Result<StatusCode, ApiError> {
    s.logout(&user.user_id, &r.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account", body = UserView),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: a service token", body = ErrorBody),
        (status = 404, description = "NOT_FOUND: the account no longer exists", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn me(State(s): State<Arc<AuthService>>, user: AuthUser) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.me(&user.user_id).await?))
}
