//! Shared vocabulary of every service: the error body and its code -> status mapping, configuration,
//! auth claims and extractors, ids, money, time, telemetry, the client traits through which one service
//! reaches another (in process or over HTTP), and the request extractors that turn axum's rejections
//! into the contract's error shape.
//!
//! This crate owns no state and no SQL. Service crates depend on it and on `store`, never on each other:
//! when booking needs inventory it asks through a trait in [`clients`], which the `server` crate fills
//! with either the local service or an HTTP client.
//!
//! Layout: `error` (ApiError, ErrorCode), `config` (Config, Secret), `auth` (JWT keys, claims,
//! `AuthUser`/`AdminUser`/`ServiceCaller` extractors), `extract` (Json/Query/Path wrappers), `money`,
//! `time`, `ids`, `states` (status enums stored as text), `clients`, `telemetry`, `http` (layers shared by every process).

pub mod auth;
pub mod card;
pub mod clients;
pub mod config;
pub mod error;
pub mod extract;
pub mod http;
pub mod ids;
pub mod money;
pub mod openapi;
pub mod states;
pub mod telemetry;
pub mod time;
pub mod webhook;

pub use error::{ApiError, ErrorCode};
pub use money::Money;
