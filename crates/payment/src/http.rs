//! Routes of the payment service: the public read (§7) and the internal calls of the booking service.
//! The public route is built with `utoipa_axum`'s `routes!` from its `#[utoipa::path]`.

use crate::service::PaymentService;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use common::auth::{AuthUser, ServiceCaller};
use common::clients::{ChargeRequest, PaymentsApi, SettleRequest};
use common::extract::{Json, Path};
use common::openapi::ErrorBody;
use common::ApiError;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type S = State<Arc<PaymentService>>;

fn routes() -> OpenApiRouter<Arc<PaymentService>> {
    OpenApiRouter::new().routes(routes!(one))
}

pub fn router(svc: Arc<PaymentService>) -> Router {
    routes().with_state(svc).split_for_parts().0
}

/// The description of the public route (shared/API.md §7).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

pub fn internal_router(svc: Arc<PaymentService>) -> Router {
    Router::new()
        .route("/internal/payment/charges", post(charge))
        .route("/internal/payment/charges/settle", post(settle))
        .route("/internal/payment/payments/{payment_id}", get(internal_get))
        .route("/internal/payment/payments/{payment_id}/refund", post(refund))
        .with_state(svc)
}

#[utoipa::path(get, path = "/api/payment/{paymentId}", tag = "payment", params(("paymentId" = String, Path, description = "The payment id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The payment (owner or admin); never the card number", body = common::clients::Payment),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn one(State(s): S, user: AuthUser, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.get_for(&user, &id).await?))
}

async fn charge(State(s): S, _: ServiceCaller, Json(r): Json<ChargeRequest>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.charge(&r).await?))
}

async fn settle(State(s): S, _: ServiceCaller, Json(r): Json<SettleRequest>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.settle(&r).await?))
}

async fn internal_get(State(s): S, _: ServiceCaller, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    s.get(&id).await?.map(axum::Json).ok_or_else(|| ApiError::not_found("payment"))
}

async fn refund(State(s): S, _: ServiceCaller, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.refund(&id).await?))
}
