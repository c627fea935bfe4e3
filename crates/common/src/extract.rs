//! `Json`, `Query` and `Path` extractors whose rejections are the contract's error shape: a malformed
//! body, a wrong type or an unknown enum value is `400 VALIDATION_ERROR` naming the field, an
//! oversized body `413 PAYLOAD_TOO_LARGE`.

use crate::error::{ApiError, ErrorCode};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

pub struct Json<T>(pub T);

/// Turn serde's "field: error at line 1 column 5" into a message and the field's path.
fn field_of(text: &str) -> Option<String> {
    // axum's message: "Failed to deserialize the JSON body into the target type: path.to.field: reason"
    let rest = text.split_once("target type: ").map(|(_, r)| r)?;
    let (path, _) = rest.split_once(": ")?;
    if path.contains(' ') || path.is_empty() {
        return None;
    }
    Some(path.to_string())
}

fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(ErrorCode::PayloadTooLarge, "request body is larger than 1 MiB");
        }
        let text = r.body_text();
        let msg = strip_location(text.split_once("target type: ").map(|(_, r)| r).unwrap_or(&text));
        let mut e = ApiError::new(ErrorCode::ValidationError, msg);
        if let Some(f) = field_of(&text) {
            e = e.with("field", f);
        }
        e
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(r) => Err(r.into()),
        }
    }
}

pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(r) => Err(query_rejection(r)),
        }
    }
}

fn query_rejection(r: QueryRejection) -> ApiError {
    let text = r.body_text();
    let msg = text.split_once("query string: ").map(|(_, m)| m.to_string()).unwrap_or(text);
    ApiError::new(ErrorCode::ValidationError, format!("query: {msg}"))
}

pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(r) => Err(path_rejection(r)),
        }
    }
}

fn path_rejection(r: PathRejection) -> ApiError {
    ApiError::new(ErrorCode::ValidationError, format!("path: {}", r.body_text()))
}

/// Ensure a string field is present, trimmed and within bounds.
pub fn text_field(field: &str, value: &str, min: usize, max: usize) -> Result<String, ApiError> {
    let t = value.trim();
    let n = t.chars().count();
    if n < min {
        return Err(ApiError::validation(
            field,
            if min <= 1 { "must not be empty".to_string() } else { format!("must be at least {min} characters") },
        ));
    }
    if n > max {
        return Err(ApiError::validation(field, format!("must be at most {max} characters")));
    }
    Ok(t.to_string())
}

/// Paging shared by every list: `page` from 0, `size` 1..=100.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: i64,
    pub size: i64,
}

impl Paging {
    pub fn parse(page: Option<i64>, size: Option<i64>) -> Result<Paging, ApiError> {
        let page = page.unwrap_or(0);
        let size = size.unwrap_or(20);
        if page < 0 {
            return Err(ApiError::validation("page", "must be 0 or more"));
        }
        if page > 1_000_000 {
            return Err(ApiError::validation("page", "is too large"));
        }
        if !(1..=100).contains(&size) {
            return Err(ApiError::validation("size", "must be between 1 and 100"));
        }
        Ok(Paging { page, size })
    }
    pub fn offset(&self) -> i64 {
        self.page * self.size
    }
    pub fn page_info(&self, total: i64) -> PageInfo {
        let pages = if total == 0 { 0 } else { (total + self.size - 1) / self.size };
        PageInfo { number: self.page, size: self.size, total_elements: total, total_pages: pages }
    }
}

/// The `page` object of every list.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub number: i64,
    pub size: i64,
    pub total_elements: i64,
    pub total_pages: i64,
}
