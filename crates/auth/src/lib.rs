//! The auth service: accounts, passwords, access and refresh tokens (shared/API.md §3).
//!
//! Owns the `auth` database (users, refresh tokens, outbox). Passwords are kept only as Argon2id
//! hashes (hashing runs on the blocking pool). Access tokens are HS256 JWTs signed with the platform
//! secret ([`common::auth::JwtKeys`]); every service checks them locally, so auth is not on the path
//! of other requests. Refresh tokens are random, stored hashed, and rotate: each use marks the token
//! used and issues the next one of its family; presenting a used token again means it leaked, and the
//! whole family is revoked.
//!
//! Layout: `http` (routes, parsing) -> `service` (rules) -> `store` (SQL).

mod http;
pub mod login_limit;
mod service;
mod store;

pub use http::{internal_router, openapi, router};
pub use service::AuthService;

pub fn migrations() -> ::store::Migrations {
    ::store::migrations!()
}
