//! The pieces of the OpenAPI document (shared/API.md §10) that every service shares: the error body,
//! money, paging, the bearer scheme, and [`document`], which joins the services' parts into one.
//!
//! Each service crate describes its public routes with `#[utoipa::path]` on the handlers and builds
//! its router with `utoipa_axum`'s `routes!`, so a public route and its description come from the
//! same annotation; its `openapi()` returns that description.

use crate::error::ErrorCode;
use crate::money::Money;
use std::borrow::Cow;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ObjectBuilder, OpenApi, RefOr, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// The name of the bearer security scheme in the document.
pub const BEARER: &str = "bearer";

/// Every code of the error body, in the order of shared/API.md §2.
pub const ERROR_CODES: [ErrorCode; 22] = ErrorCode::ALL;

impl PartialSchema for ErrorCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(ERROR_CODES.iter().map(|c| c.as_str())))
            .description(Some("The error code; the HTTP status follows from it (shared/API.md §2)."))
            .into()
    }
}

impl ToSchema for ErrorCode {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ErrorCode")
    }
}

/// Every error: `{"error": CODE, "message": ..., ...details}`. Details depend on the code:
/// `field` (VALIDATION_ERROR), `unavailableSeats` (SEAT_UNAVAILABLE), `limit` and `held`
/// (TICKET_LIMIT_EXCEEDED), `paymentId` and `declineCode` (PAYMENT_FAILED), `queueUrl`
/// (NOT_ADMITTED), `retryAfterSeconds` (RATE_LIMITED).
#[derive(ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)]
pub struct ErrorBody {
    pub error: ErrorCode,
    /// Human readable.
    #[schema(example = "event not found")]
    pub message: String,
}

impl PartialSchema for Money {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .description(Some("An amount: a JSON number with at most two decimals, e.g. 75.00 (never a string)."))
            .examples([serde_json::json!(75.0)])
            .into()
    }
}

impl ToSchema for Money {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Money")
    }
}

/// Adds the bearer scheme (`Authorization: Bearer <accessToken>`, an HS256 JWT).
pub struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// One document for the whole platform: the parts of the services this gateway routes to.
pub fn document(parts: impl IntoIterator<Item = OpenApi>) -> OpenApi {
    use utoipa::openapi::{InfoBuilder, OpenApiBuilder};
    let info = InfoBuilder::new()
        .title("Ticketing platform API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "The public API of the ticketing platform (shared/API.md). Every error is \
             `{\"error\": CODE, \"message\": ...}`; authenticated calls carry `Authorization: Bearer <accessToken>`.",
        ))
        .build();
    let mut doc = OpenApiBuilder::new().info(info).build();
    for p in parts {
        doc.merge(p);
    }
    utoipa::Modify::modify(&BearerAuth, &mut doc);
    unique_operation_ids(&mut doc);
    let components = doc.components.get_or_insert_with(Default::default);
    components.schemas.entry(ErrorBody::name().into_owned()).or_insert_with(ErrorBody::schema);
    components.schemas.entry(ErrorCode::name().into_owned()).or_insert_with(ErrorCode::schema);
    components.schemas.entry(Money::name().into_owned()).or_insert_with(Money::schema);
    doc
}

/// An operation's id is its handler's name, which several services share (`mine`, `one`...); an
/// OpenAPI operation id must be unique (generated clients name their methods by it), so each is
/// prefixed by its tag: `bookings_mine`, `inventory_one`.
fn unique_operation_ids(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch, &mut item.head, &mut item.options];
        for op in ops.into_iter().flatten() {
            if let (Some(id), Some(tag)) = (&op.operation_id, op.tags.as_ref().and_then(|t| t.first())) {
                if !id.starts_with(&format!("{tag}_")) {
                    op.operation_id = Some(format!("{tag}_{id}"));
                }
            }
        }
    }
}

/// The (METHOD, path) pairs a document describes, e.g. `("GET", "/api/events/{eventId}")`.
pub fn operations(doc: &OpenApi) -> Vec<(String, String)> {
    let v = serde_json::to_value(doc).unwrap_or_default();
    let mut out = Vec::new();
    if let Some(paths) = v.get("paths").and_then(|p| p.as_object()) {
        for (path, item) in paths {
            if let Some(item) = item.as_object() {
                for m in ["get", "put", "post", "delete", "patch", "head", "options"] {
                    if item.contains_key(m) {
                        out.push((m.to_uppercase(), path.clone()));
                    }
                }
            }
        }
    }
    out.sort();
    out
}
