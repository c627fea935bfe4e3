//! The one error body of the platform: `{"error": CODE, "message": ..., ...details}`.
//!
//! Services define errors named by meaning and convert them into [`ApiError`]; [`ErrorCode::status`]
//! is the single place that maps a code to an HTTP status. 5xx bodies stay vague: the real cause is
//! logged inside the request span (which carries the request id).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    ValidationError,
    IdempotencyKeyMissing,
    Unauthorized,
    PaymentFailed,
    Forbidden,
    NotAdmitted,
    NotFound,
    MethodNotAllowed,
    SeatUnavailable,
    ReservationExpired,
    ReservationNotActive,
    EventNotOnSale,
    InvalidStateTransition,
    EmailTaken,
    IdempotencyKeyInUse,
    TicketLimitExceeded,
    Conflict,
    PayloadTooLarge,
    IdempotencyKeyReused,
    RateLimited,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            ValidationError => "VALIDATION_ERROR",
            IdempotencyKeyMissing => "IDEMPOTENCY_KEY_MISSING",
            Unauthorized => "UNAUTHORIZED",
            PaymentFailed => "PAYMENT_FAILED",
            Forbidden => "FORBIDDEN",
            NotAdmitted => "NOT_ADMITTED",
            NotFound => "NOT_FOUND",
            MethodNotAllowed => "METHOD_NOT_ALLOWED",
            SeatUnavailable => "SEAT_UNAVAILABLE",
            ReservationExpired => "RESERVATION_EXPIRED",
            ReservationNotActive => "RESERVATION_NOT_ACTIVE",
            EventNotOnSale => "EVENT_NOT_ON_SALE",
            InvalidStateTransition => "INVALID_STATE_TRANSITION",
            EmailTaken => "EMAIL_TAKEN",
            IdempotencyKeyInUse => "IDEMPOTENCY_KEY_IN_USE",
            TicketLimitExceeded => "TICKET_LIMIT_EXCEEDED",
            Conflict => "CONFLICT",
            PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            RateLimited => "RATE_LIMITED",
            Unavailable => "UNAVAILABLE",
            Internal => "INTERNAL_ERROR",
        }
    }

    /// The one mapping from code to status (shared/API.md §2).
    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            ValidationError | IdempotencyKeyMissing => StatusCode::BAD_REQUEST,
            Unauthorized => StatusCode::UNAUTHORIZED,
            PaymentFailed => StatusCode::PAYMENT_REQUIRED,
            Forbidden | NotAdmitted => StatusCode::FORBIDDEN,
            NotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            SeatUnavailable
            | ReservationExpired
            | ReservationNotActive
            | EventNotOnSale
            | InvalidStateTransition
            | EmailTaken
            | IdempotencyKeyInUse
            | TicketLimitExceeded
            | Conflict => StatusCode::CONFLICT,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Every code, in the order of shared/API.md §2.
    pub const ALL: [ErrorCode; 22] = {
        use ErrorCode::*;
        [
            ValidationError,
            IdempotencyKeyMissing,
            Unauthorized,
            PaymentFailed,
            Forbidden,
            NotAdmitted,
            NotFound,
            MethodNotAllowed,
            SeatUnavailable,
            ReservationExpired,
            ReservationNotActive,
            EventNotOnSale,
            InvalidStateTransition,
            EmailTaken,
            IdempotencyKeyInUse,
            TicketLimitExceeded,
            Conflict,
            PayloadTooLarge,
            IdempotencyKeyReused,
            RateLimited,
            Unavailable,
            Internal,
        ]
    };

    /// The code named `code` on the wire (`SEAT_UNAVAILABLE`).
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

/// An error as the client sees it.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Map<String, Value>,
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: Map::new(), retry_after_secs: None }
    }
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }
    /// `400 VALIDATION_ERROR` naming the field.
    pub fn validation(field: &str, message: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::ValidationError, format!("{field}: {message}")).with("field", field)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(code, message)
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, message)
    }
    /// A 500: the cause is logged here, the client sees a vague message.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::Internal, "internal error")
    }
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }
    pub fn body(&self) -> Value {
        let mut m = Map::new();
        m.insert("error".into(), self.code.as_str().into());
        m.insert("message".into(), self.message.clone().into());
        for (k, v) in &self.details {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }
    /// Rebuild an error from a body another service answered with.
    pub fn from_body(status: StatusCode, body: &Value) -> Self {
        let code = body.get("error").and_then(Value::as_str).and_then(ErrorCode::parse).unwrap_or(if status.is_server_error() {
            ErrorCode::Unavailable
        } else {
            ErrorCode::Conflict
        });
        let message = body.get("message").and_then(Value::as_str).unwrap_or("").to_string();
        let mut e = Self::new(code, message);
        if let Some(obj) = body.as_object() {
            for (k, v) in obj {
                if k != "error" && k != "message" {
                    e.details.insert(k.clone(), v.clone());
                }
            }
        }
        e
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status(), axum::Json(self.body())).into_response();
        // A dependency that is down (a database, Redis): nothing was done, ask again in a moment.
        let retry_after = self.retry_after_secs.or((self.code == ErrorCode::Unavailable).then_some(1));
        if let Some(secs) = retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
