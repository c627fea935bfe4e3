//! Routes of the payment service: the public read (§7) and the internal calls of the booking service.

use crate::service::PaymentService;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use common::auth::{AuthUser, ServiceCaller};
use common::clients::{ChargeRequest, PaymentsApi, SettleRequest};
use common::extract::{Json, Path};
use common::ApiError;
use std::sync::Arc;

type S = State<Arc<PaymentService>>;

pub fn router(svc: Arc<PaymentService>) -> Router {
    Router::new().route("/api/payment/{payment_id}", get(one)).with_state(svc)
}

pub fn internal_router(svc: Arc<PaymentService>) -> Router {
    Router::new()
        .route("/internal/payment/charges", post(charge))
        .route("/internal/payment/charges/settle", post(settle))
        .route("/internal/payment/payments/{payment_id}", get(internal_get))
        .route("/internal/payment/payments/{payment_id}/refund", post(refund))
        .with_state(svc)
}

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
