//! Routes of tickets and check-in (shared/API.md §13, and the offline gates' two calls beyond it).

use super::{BatchInput, BatchResults, CheckinCounts, OfflineList, PublicKeyView, ScanInput, ScanView, ScannerEvents, TicketList};
use crate::service::BookingService;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use common::auth::AuthUser;
use common::extract::{Json, Path, Query};
use common::openapi::ErrorBody;
use common::ApiError;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type S = State<Arc<BookingService>>;

pub(crate) fn routes() -> OpenApiRouter<Arc<BookingService>> {
    OpenApiRouter::new()
        .routes(routes!(of_booking))
        .routes(routes!(public_key))
        .routes(routes!(qr))
        .routes(routes!(pdf))
        .routes(routes!(scan))
        .routes(routes!(upload))
        .routes(routes!(counts))
        .routes(routes!(offline_list))
        .routes(routes!(grant, revoke))
        .routes(routes!(my_events))
}

#[utoipa::path(get, path = "/api/bookings/{bookingId}/tickets", tag = "tickets", params(("bookingId" = String, Path, description = "The booking id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "A ticket per seat: VALID, USED (with usedAt and gate) or REVOKED (the booking was cancelled)", body = TicketList),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INVALID_STATE_TRANSITION: the booking is neither CONFIRMED nor CANCELLED", body = ErrorBody),
    ))]
async fn of_booking(State(s): S, user: AuthUser, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.tickets().of_booking(&user, &id).await?))
}

/// The key that verifies ticket codes offline: `TK1.<payload>.<signature>` (base64url), Ed25519
/// over the payload's bytes, which are the JSON `{"t": ticketId, "e": eventId, "s": seatNumber}`.
#[utoipa::path(get, path = "/api/tickets/public-key", tag = "tickets",
    responses(
        (status = 200, description = "The Ed25519 public key, base64", body = PublicKeyView),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
    ))]
async fn public_key(State(s): S) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.tickets().public_key().await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct QrQuery {
    /// `png` (the default) or `svg`.
    format: Option<String>,
}

/// The QR code of the ticket's code.
#[utoipa::path(get, path = "/api/tickets/{ticketId}/qr", tag = "tickets", params(("ticketId" = String, Path, description = "The ticket id"), QrQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "image/png, or image/svg+xml with ?format=svg (or Accept: image/svg+xml)", content_type = "image/png"),
        (status = 400, description = "VALIDATION_ERROR: an unknown format", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
    ))]
async fn qr(
    State(s): S,
    user: AuthUser,
    Path(id): Path<String>,
    Query(q): Query<QrQuery>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let wants_svg =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("image/svg+xml") && !a.contains("image/png"));
    let svg = match q.format.as_deref() {
        None => wants_svg,
        Some("png") => false,
        Some("svg") => true,
        Some(_) => return Err(ApiError::validation("format", "must be png or svg")),
    };
    let t = s.tickets().one(&user, &id).await?;
    let private = (header::CACHE_CONTROL, "private, max-age=300");
    Ok(if svg {
        ([(header::CONTENT_TYPE, "image/svg+xml"), private], super::render::qr_svg(&t.code).into_bytes())
    } else {
        ([(header::CONTENT_TYPE, "image/png"), private], super::render::qr_png(&t.code, 8))
    })
}

/// The ticket as a printable page: the event, the seat, the QR code.
#[utoipa::path(get, path = "/api/tickets/{ticketId}/pdf", tag = "tickets", params(("ticketId" = String, Path, description = "The ticket id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "application/pdf", content_type = "application/pdf"),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "NOT_FOUND", body = ErrorBody),
    ))]
async fn pdf(State(s): S, user: AuthUser, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let doc = s.tickets().pdf(&user, &id).await?;
    let disposition = format!("inline; filename=\"ticket-{}.pdf\"", id.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', ""));
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, disposition)], doc))
}

/// Scan a ticket at a gate: exactly one scan of a ticket, anywhere, answers ADMITTED.
#[utoipa::path(post, path = "/api/checkin/events/{eventId}/scans", tag = "checkin", params(("eventId" = String, Path, description = "The event id")), request_body = ScanInput, security(("bearer" = [])),
    responses(
        (status = 200, description = "ADMITTED, ALREADY_USED (with the first scan's usedAt and gate), REVOKED, WRONG_EVENT or INVALID", body = ScanView),
        (status = 400, description = "VALIDATION_ERROR naming the field", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: neither an admin nor a scanner of this event", body = ErrorBody),
    ))]
async fn scan(
    State(s): S,
    user: AuthUser,
    Path(event_id): Path<String>,
    Json(input): Json<ScanInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.tickets().scan(&user, &event_id, input).await?))
}

/// An offline gate's scans, uploaded when it is back online; each decided as of its scannedAt.
#[utoipa::path(post, path = "/api/checkin/events/{eventId}/scans/batch", tag = "checkin", params(("eventId" = String, Path, description = "The event id")), request_body = BatchInput, security(("bearer" = [])),
    responses(
        (status = 200, description = "A result per scan; conflict when another gate had admitted the ticket first", body = BatchResults),
        (status = 400, description = "VALIDATION_ERROR naming the field", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: neither an admin nor a scanner of this event", body = ErrorBody),
    ))]
async fn upload(
    State(s): S,
    user: AuthUser,
    Path(event_id): Path<String>,
    Json(input): Json<BatchInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.tickets().upload(&user, &event_id, input).await?))
}

#[utoipa::path(get, path = "/api/checkin/events/{eventId}", tag = "checkin", params(("eventId" = String, Path, description = "The event id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "Tickets expected and admitted so far", body = CheckinCounts),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: neither an admin nor a scanner of this event", body = ErrorBody),
    ))]
async fn counts(State(s): S, user: AuthUser, Path(event_id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.tickets().counts(&user, &event_id).await?))
}

/// What an offline gate needs: the public key and every valid or used ticket of the event.
#[utoipa::path(get, path = "/api/checkin/events/{eventId}/tickets", tag = "checkin", params(("eventId" = String, Path, description = "The event id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The event's tickets (a verified code not listed is revoked or of another event)", body = OfflineList),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: neither an admin nor a scanner of this event", body = ErrorBody),
    ))]
async fn offline_list(State(s): S, user: AuthUser, Path(event_id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.tickets().offline_list(&user, &event_id).await?))
}

/// Let a user scan tickets at this event's doors (admin).
#[utoipa::path(put, path = "/api/checkin/events/{eventId}/scanners/{userId}", tag = "checkin",
    params(("eventId" = String, Path, description = "The event id"), ("userId" = String, Path, description = "The user's id")), security(("bearer" = [])),
    responses(
        (status = 204, description = "The user is a scanner of the event"),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
    ))]
async fn grant(State(s): S, user: AuthUser, Path((event_id, user_id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    s.tickets().grant(&user, &event_id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take the scanner role of this event away (admin).
#[utoipa::path(delete, path = "/api/checkin/events/{eventId}/scanners/{userId}", tag = "checkin",
    params(("eventId" = String, Path, description = "The event id"), ("userId" = String, Path, description = "The user's id")), security(("bearer" = [])),
    responses(
        (status = 204, description = "The user is no longer a scanner of the event"),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin", body = ErrorBody),
    ))]
async fn revoke(State(s): S, user: AuthUser, Path((event_id, user_id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    s.tickets().revoke(&user, &event_id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The events the caller scans at.
#[utoipa::path(get, path = "/api/checkin/me", tag = "checkin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Event ids", body = ScannerEvents),
        (status = 401, description = "UNAUTHORIZED: missing, malformed, expired or forged token", body = ErrorBody),
    ))]
async fn my_events(State(s): S, user: AuthUser) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(s.tickets().my_events(&user).await?))
}
