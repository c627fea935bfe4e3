//! Access tokens: HS256 JWTs with `sub`, `role`, `exp`, `iat`, `iss`.
//!
//! Every service checks tokens itself (the gateway checks them too, before a request is forwarded),
//! so a service reached directly is no softer than one behind the gateway. The keys travel in the
//! request extensions, put there by [`crate::http::service_layers`].

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const ISSUER: &str = "ticketing";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    User,
    Admin,
    /// Another service of the platform calling an internal endpoint.
    Service,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "USER",
            Role::Admin => "ADMIN",
            Role::Service => "SERVICE",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "USER" => Some(Role::User),
            "ADMIN" => Some(Role::Admin),
            "SERVICE" => Some(Role::Service),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub exp: i64,
    pub iat: i64,
    pub iss: String,
}

/// Signing and checking keys, built once from the secret.
#[derive(Clone)]
pub struct JwtKeys {
    enc: EncodingKey,
    dec: DecodingKey,
    validation: Validation,
    pub access_ttl_secs: i64,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(***)")
    }
}

impl JwtKeys {
    pub fn new(secret: &[u8], access_ttl_secs: i64) -> Self {
        // Only HS256, the issuer must match, `exp` is required and checked with no leeway.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "sub"]);
        validation.leeway = 0;
        Self { enc: EncodingKey::from_secret(secret), dec: DecodingKey::from_secret(secret), validation, access_ttl_secs }
    }

    pub fn issue(&self, sub: &str, role: Role) -> String {
        self.issue_with_ttl(sub, role, self.access_ttl_secs)
    }

    pub fn issue_with_ttl(&self, sub: &str, role: Role, ttl_secs: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims { sub: sub.into(), role, exp: now + ttl_secs, iat: now, iss: ISSUER.into() };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.enc).expect("HS256 encoding cannot fail")
    }

    /// A short-lived token another service presents on internal endpoints.
    pub fn service_token(&self, service: &str) -> String {
        self.issue_with_ttl(&format!("service:{service}"), Role::Service, 300)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.dec, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| ApiError::unauthorized(format!("invalid token: {}", describe(&e))))
    }

    /// Check an `Authorization` header value.
    pub fn verify_header(&self, value: &str) -> Result<Claims, ApiError> {
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| ApiError::unauthorized("expected 'Authorization: Bearer <token>'"))?;
        self.verify(token.trim())
    }
}

fn describe(e: &jsonwebtoken::errors::Error) -> &'static str {
    use jsonwebtoken::errors::ErrorKind::*;
    match e.kind() {
        ExpiredSignature => "expired",
        InvalidIssuer => "wrong issuer",
        InvalidSignature => "bad signature",
        InvalidAlgorithm => "algorithm not allowed",
        MissingRequiredClaim(_) => "missing claim",
        _ => "malformed",
    }
}

/// The authenticated caller of a request (any role).
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: String,
    pub role: Role,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
    /// Owner or admin may read.
    pub fn may_read(&self, owner: &str) -> bool {
        self.is_admin() || self.user_id == owner
    }
}

fn claims_from_parts(parts: &Parts) -> Result<Claims, ApiError> {
    if let Some(c) = parts.extensions.get::<Claims>() {
        return Ok(c.clone());
    }
    let keys = parts.extensions.get::<Arc<JwtKeys>>().ok_or_else(|| ApiError::internal("JwtKeys missing from request extensions"))?;
    let header = parts.headers.get(axum::http::header::AUTHORIZATION).ok_or_else(|| ApiError::unauthorized("missing bearer token"))?;
    let value = header.to_str().map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
    keys.verify_header(value)
}

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let c = claims_from_parts(parts)?;
        if c.role == Role::Service {
            return Err(ApiError::forbidden("service tokens cannot act as users"));
        }
        Ok(AuthUser { user_id: c.sub, role: c.role })
    }
}

/// An authenticated caller with role `ADMIN`.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

impl<S: Send + Sync> FromRequestParts<S> for AdminUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        let u = AuthUser::from_request_parts(parts, s).await?;
        if !u.is_admin() {
            return Err(ApiError::forbidden("admin role required"));
        }
        Ok(AdminUser(u))
    }
}

/// Another service of the platform, on an internal endpoint.
#[derive(Debug, Clone)]
pub struct ServiceCaller(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ServiceCaller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let c = claims_from_parts(parts)?;
        if c.role != Role::Service {
            return Err(ApiError::forbidden("internal endpoint"));
        }
        Ok(ServiceCaller(c.sub))
    }
}
