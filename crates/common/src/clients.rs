//! How one service reaches another. Each trait has two implementations: the service itself (when it
//! runs in the same process, wired by the `server` crate) and an HTTP client for
//! `TICKETING_<SERVICE>_URL`, which calls the other process's `/internal/...` routes with a
//! short-lived service token.

use crate::auth::JwtKeys;
use crate::error::ApiError;
use crate::money::Money;
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// What the inventory needs to know about an event to sell its seats.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EventSaleInfo {
    pub event_id: String,
    pub status: String,
    pub max_tickets_per_user: Option<i64>,
    pub waiting_room_enabled: bool,
}

impl EventSaleInfo {
    pub fn on_sale(&self) -> bool {
        self.status == "ON_SALE"
    }
}

/// A row of a service's outbox, as followers see it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OutboxRecord {
    pub id: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub event_type: String,
    pub payload: serde_json::Value,
    pub created_at: i64,
}

/// Seat counts of one event, as the events service shows them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeatCounts {
    pub event_id: String,
    pub total: i64,
    pub available: i64,
    pub reserved: i64,
    pub booked: i64,
    pub blocked: i64,
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
}

#[async_trait]
pub trait EventsApi: Send + Sync {
    /// `None` when the event does not exist.
    async fn sale_info(&self, event_id: &str) -> Result<Option<EventSaleInfo>, ApiError>;
}

#[async_trait]
pub trait InventoryApi: Send + Sync {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError>;
    async fn seat_counts(&self, event_id: &str) -> Result<SeatCounts, ApiError>;
}

/// A JSON-over-HTTP client for another service's internal routes.
#[derive(Clone)]
pub struct ServiceHttp {
    base: String,
    http: reqwest::Client,
    keys: Arc<JwtKeys>,
    caller: &'static str,
}

impl ServiceHttp {
    pub fn new(base: &str, keys: Arc<JwtKeys>, caller: &'static str, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .pool_max_idle_per_host(64)
            .build()
            .expect("http client");
        Self { base: base.trim_end_matches('/').to_string(), http, keys, caller }
    }

    pub async fn send<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Option<T>, ApiError> {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(self.keys.service_token(self.caller));
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| ApiError::unavailable(format!("{} unreachable: {}", self.base, e.without_url())))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let bytes = resp.bytes().await.map_err(|e| ApiError::unavailable(e.without_url().to_string()))?;
        if status.is_success() {
            if bytes.is_empty() {
                return Ok(serde_json::from_slice(b"null").ok());
            }
            return serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ApiError::internal(format!("bad answer from {path}: {e}")));
        }
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let code = axum::http::StatusCode::from_u16(status.as_u16()).unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
        Err(ApiError::from_body(code, &body))
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>, ApiError> {
        self.send(reqwest::Method::GET, path, None).await
    }
}

pub struct HttpEventsClient(pub ServiceHttp);

#[async_trait]
impl EventsApi for HttpEventsClient {
    async fn sale_info(&self, event_id: &str) -> Result<Option<EventSaleInfo>, ApiError> {
        self.0.get(&format!("/internal/events/{event_id}/sale-info")).await
    }
}

pub struct HttpInventoryClient(pub ServiceHttp);

#[async_trait]
impl InventoryApi for HttpInventoryClient {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError> {
        Ok(self.0.get(&format!("/internal/inventory/outbox?after={after}&limit={limit}")).await?.unwrap_or_default())
    }
    async fn seat_counts(&self, event_id: &str) -> Result<SeatCounts, ApiError> {
        Ok(self
            .0
            .get(&format!("/internal/inventory/events/{event_id}/counts"))
            .await?
            .unwrap_or(SeatCounts { event_id: event_id.to_string(), ..Default::default() }))
    }
}
