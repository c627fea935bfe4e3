//! Routes of the booking service (shared/API.md §6) and the payment webhook receiver. The public
//! routes are built with `utoipa_axum`'s `routes!` from the `#[utoipa::path]` of each handler, so
//! the router and [`openapi`] cannot differ.

use crate::model::{BookingList, BookingView, ConfirmInput, WebhookIn};
use crate::service::BookingService;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use common::auth::AuthUser;
use common::extract::Path;
use common::openapi::ErrorBody;
use common::{ApiError, ErrorCode};
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type S = State<Arc<BookingService>>;

fn routes() -> OpenApiRouter<Arc<BookingService>> {
    OpenApiRouter::new()
        .routes(routes!(confirm))
        .routes(routes!(mine))
        .routes(routes!(webhook))
        .routes(routes!(one))
        .routes(routes!(cancel))
        .merge(crate::tickets::http::routes())
}

pub fn router(svc: Arc<BookingService>) -> Router {
    routes().with_state(svc).split_for_parts().0
}

/// The description of the public routes (shared/API.md §6 and §13).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
struct WebhookAck {
    received: bool,
    duplicate: bool,
}

#[derive(serde::Deserialize)]
struct OutboxQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

#[derive(serde::Deserialize)]
struct SinceQuery {
    since: Option<i64>,
}

/// Routes for other services of the platform (service token only; never routed by the gateway):
/// the outbox and the holders of an event's bookings, for the notification service.
pub fn internal_router(svc: Arc<BookingService>) -> Router {
    Router::new()
        .route("/internal/bookings/outbox", get(outbox))
        .route("/internal/bookings/events/{event_id}/holders", get(holders))
        .with_state(svc)
}

async fn outbox(
    State(s): S,
    _: common::auth::ServiceCaller,
    common::extract::Query(q): common::extract::Query<OutboxQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.outbox_after(q.after.unwrap_or(0), q.limit.unwrap_or(200)).await?))
}

async fn holders(
    State(s): S,
    _: common::auth::ServiceCaller,
    Path(id): Path<String>,
    common::extract::Query(q): common::extract::Query<SinceQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(common::clients::HolderList { holders: s.holders(&id, q.since.unwrap_or(0)).await? }))
}

fn body(b: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    b.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(ErrorCode::PayloadTooLarge, "request body is larger than 1 MiB")
        } else {
            ApiError::new(ErrorCode::ValidationError, "the request body could not be read")
        }
    })
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    h.get(name).map(|v| v.to_str().map_err(|_| ApiError::validation(name, "must be visible ASCII"))).transpose()
}

/// Pay for the caller's holds. Replay of the same key and request: `200` with the same booking.
#[utoipa::path(post, path = "/api/bookings/confirm", tag = "bookings", request_body = ConfirmInput, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Required here or as idempotencyKey in the body")),
    responses(
        (status = 201, description = "The booking, CONFIRMED", body = BookingView),
        (status = 200, description = "A replay: the booking of the first request with this key", body = BookingView),
        (status = 400, description = "VALIDATION_ERROR naming the field (a card failing the Luhn check too) or IDEMPOTENCY_KEY_MISSING", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 402, description = "PAYMENT_FAILED (with paymentId, declineCode); the holds are released", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: a reservation is not the caller's", body = ErrorBody),
        (status = 404, description = "NOT_FOUND: no such reservation", body = ErrorBody),
        (status = 409, description = "RESERVATION_EXPIRED, RESERVATION_NOT_ACTIVE or IDEMPOTENCY_KEY_IN_USE", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE", body = ErrorBody),
        (status = 422, description = "IDEMPOTENCY_KEY_REUSED: same key, other request", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
        (status = 503, description = "UNAVAILABLE: a dependency is down; nothing was charged", body = ErrorBody),
    ))]
async fn confirm(State(s): S, user: AuthUser, headers: HeaderMap, b: Result<Bytes, BytesRejection>) -> Result<impl IntoResponse, ApiError> {
    let b = body(b)?;
    let (key, input) = confirm_request(header(&headers, "idempotency-key")?, &b)?;
    let (status, view) = s.confirm(&user, &key, input).await?;
    Ok((status, axum::Json(view)))
}

/// The idempotency key (the header, or `idempotencyKey` in the body) and the confirm request.
fn confirm_request(header_key: Option<&str>, body: &[u8]) -> Result<(String, ConfirmInput), ApiError> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ApiError::new(ErrorCode::ValidationError, format!("the body is not valid JSON: {e}")))?;
    let key = header_key
        .or_else(|| v.get("idempotencyKey").and_then(|k| k.as_str()))
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::new(ErrorCode::IdempotencyKeyMissing, "send an Idempotency-Key header (or idempotencyKey in the body)"))?
        .to_string();
    if key.len() > 255 {
        return Err(ApiError::validation("Idempotency-Key", "must be at most 255 characters"));
    }
    // The field is the JSON path of what was wrong (`paymentMethod.expiryMonth`), never a value
    // from the body (serde's own message quotes the value, which could be a card number).
    let input: ConfirmInput = serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let missing = inner.strip_prefix("missing field `").and_then(|r| r.split('`').next()).map(str::to_string);
        let field = match (&missing, path.as_str()) {
            (Some(m), ".") => m.clone(),
            (Some(m), p) => format!("{p}.{m}"),
            (None, ".") => "body".to_string(),
            (None, p) => p.to_string(),
        };
        let expected = inner.split(" at line ").next().unwrap_or_default().split(", expected ").nth(1);
        let message = match (missing, expected) {
            (Some(_), _) => format!("{field} is missing"),
            (None, Some(what)) => format!("{field} must be {what}"),
            (None, None) => format!("{field} is not valid"),
        };
        ApiError::new(ErrorCode::ValidationError, message).with("field", field)
    })?;
    Ok((key, input))
}

#[utoipa::path(get, path = "/api/bookings/me", tag = "bookings", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's bookings, newest first", body = BookingList),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: a service token", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn mine(State(s): S, user: AuthUser) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.mine(&user).await?))
}

#[utoipa::path(get, path = "/api/bookings/{bookingId}", tag = "bookings", params(("bookingId" = String, Path, description = "The booking id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The booking (owner or admin)", body = BookingView),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn one(State(s): S, user: AuthUser, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.get(&user, &id).await?))
}

/// Cancel and refund in full; its seats are AVAILABLE again.
#[utoipa::path(post, path = "/api/bookings/{bookingId}/cancel", tag = "bookings", params(("bookingId" = String, Path, description = "The booking id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The booking, CANCELLED", body = BookingView),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_STATE_TRANSITION: not CONFIRMED", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
        (status = 503, description = "UNAVAILABLE: a dependency is down; try again", body = ErrorBody),
    ))]
async fn cancel(State(s): S, user: AuthUser, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.cancel(Some(&user), &id).await?))
}

/// Payment results, signed by the payment service (HMAC-SHA256 over `timestamp.body`).
#[utoipa::path(post, path = "/api/bookings/webhooks/payment", tag = "bookings", request_body = WebhookIn,
    params(
        ("X-Webhook-Timestamp" = Option<String>, Header, description = "Seconds since the epoch"),
        ("X-Webhook-Signature" = Option<String>, Header, description = "hex HMAC-SHA256"),
    ),
    responses(
        (status = 200, description = "Received (a repeat is acknowledged as a duplicate)", body = WebhookAck),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: a missing or bad signature", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn webhook(State(s): S, headers: HeaderMap, b: Result<Bytes, BytesRejection>) -> Result<impl IntoResponse, ApiError> {
    let b = body(b)?;
    let ts = headers.get(common::webhook::TIMESTAMP_HEADER).and_then(|v| v.to_str().ok());
    let sig = headers.get(common::webhook::SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let duplicate = s.webhook(ts, sig, &b).await?;
    Ok(axum::Json(WebhookAck { received: true, duplicate }))
}
