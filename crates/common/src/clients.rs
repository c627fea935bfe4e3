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
    /// The event's `waitingRoom.admitPerMinute` (the queue admits at this rate unless an admin
    /// overrides it). Absent from older answers.
    #[serde(default)]
    pub admit_per_minute: Option<i64>,
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
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
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

/// The waiting room's answer to the inventory's gate (shared/API.md §12): may this account reserve
/// seats of this event now? Asked on every reservation of an event whose waiting room is enabled, so
/// implementations answer from memory, one Redis call, or a cache.
#[async_trait]
pub trait Admissions: Send + Sync {
    async fn is_admitted(&self, event_id: &str, user_id: &str) -> Result<bool, ApiError>;
}

/// One admission as the queue service's internal route tells it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Admission {
    pub admitted: bool,
    /// Milliseconds since the epoch; set when `admitted`.
    #[serde(default)]
    pub admitted_until: Option<i64>,
}

/// [`Admissions`] over HTTP to the queue service (`TICKETING_QUEUE_URL`). A yes is kept until the
/// admission window ends (it cannot change before then: a fan can join again only once expired), so
/// an admitted fan's reservations cost no round trip; a no is never kept, so admission is seen at once.
pub struct HttpAdmissions {
    http: ServiceHttp,
    admitted: std::sync::Mutex<std::collections::HashMap<(String, String), i64>>,
}

impl HttpAdmissions {
    pub fn new(http: ServiceHttp) -> Self {
        Self { http, admitted: Default::default() }
    }
}

#[async_trait]
impl Admissions for HttpAdmissions {
    async fn is_admitted(&self, event_id: &str, user_id: &str) -> Result<bool, ApiError> {
        let key = (event_id.to_string(), user_id.to_string());
        let now = crate::time::now_ms();
        if let Some(until) = self.admitted.lock().expect("admissions cache").get(&key) {
            if *until > now {
                return Ok(true);
            }
        }
        let a: Option<Admission> = self.http.get(&format!("/internal/queue/events/{event_id}/admissions/{user_id}")).await?;
        let until = match a {
            Some(Admission { admitted: true, admitted_until: Some(u) }) if u > now => u,
            _ => return Ok(false),
        };
        let mut cache = self.admitted.lock().expect("admissions cache");
        if cache.len() > 100_000 {
            cache.retain(|_, u| *u > now);
        }
        cache.insert(key, until);
        Ok(true)
    }
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
        let http = reqwest::Client::builder().timeout(timeout).pool_max_idle_per_host(64).build().expect("http client");
        Self { base: base.trim_end_matches('/').to_string(), http, keys, caller }
    }

    pub async fn send<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Option<T>, ApiError> {
        let mut req = self.http.request(method, format!("{}{}", self.base, path)).bearer_auth(self.keys.service_token(self.caller));
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| ApiError::unavailable(format!("{} unreachable: {}", self.base, e.without_url())))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let bytes = resp.bytes().await.map_err(|e| ApiError::unavailable(e.without_url().to_string()))?;
        if status.is_success() {
            if bytes.is_empty() {
                return Ok(serde_json::from_slice(b"null").ok());
            }
            return serde_json::from_slice(&bytes).map(Some).map_err(|e| ApiError::internal(format!("bad answer from {path}: {e}")));
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

impl ServiceHttp {
    /// POST a typed body (serialized straight to bytes, so money keeps its exact decimal text).
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<Option<T>, ApiError> {
        let resp = self
            .http
            .post(format!("{}{}", self.base, path))
            .bearer_auth(self.keys.service_token(self.caller))
            .json(body)
            .send()
            .await
            .map_err(|e| ApiError::unavailable(format!("{} unreachable: {}", self.base, e.without_url())))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| ApiError::unavailable(e.without_url().to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map(Some).map_err(|e| ApiError::internal(format!("bad answer from {path}: {e}")));
        }
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        if status == reqwest::StatusCode::NOT_FOUND && body.get("error").and_then(|v| v.as_str()) != Some("NOT_FOUND") {
            // A 404 without our error body: the route itself is missing.
            return Ok(None);
        }
        let code = axum::http::StatusCode::from_u16(status.as_u16()).unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
        Err(ApiError::from_body(code, &body))
    }
}

// --- events outbox (followed by booking for cancellations) ---

#[async_trait]
pub trait EventsOutbox: Send + Sync {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError>;
}

#[async_trait]
impl EventsOutbox for HttpEventsClient {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError> {
        Ok(self.0.get(&format!("/internal/events/outbox?after={after}&limit={limit}")).await?.unwrap_or_default())
    }
}

// --- inventory holds (booking pins, confirms, releases and frees seats) ---

/// A hold as the booking service sees it (a reservation of one seat).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    pub reservation_id: String,
    pub event_id: String,
    pub seat_id: String,
    pub seat_number: String,
    pub section: String,
    pub row_number: i64,
    pub price: Money,
    pub user_id: String,
    pub status: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HoldList {
    pub reservations: Vec<Hold>,
}

#[async_trait]
pub trait InventoryHolds: Send + Sync {
    /// Turn live holds of `user_id` into seats booked by `booking_id` (the saga does it *before*
    /// charging: nobody else can take them, and a hold cannot run out during the payment).
    /// Repeating it for the same booking is a no-op that answers the same seats. All or nothing;
    /// `403` for a foreign hold, `404` unknown, `409 RESERVATION_EXPIRED / RESERVATION_NOT_ACTIVE`
    /// (already booked, by this caller's other booking too).
    async fn confirm(&self, ids: &[String], user_id: &str, booking_id: &str) -> Result<Vec<Hold>, ApiError>;
    /// Let go of the holds still active. Returns how many.
    async fn release(&self, ids: &[String], user_id: &str) -> Result<u64, ApiError>;
    /// The seats booked by `booking_id` are available again. Returns how many.
    async fn free(&self, ids: &[String], booking_id: &str) -> Result<u64, ApiError>;
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HoldCall<'a> {
    reservation_ids: &'a [String],
    user_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    booking_id: Option<&'a str>,
}

#[derive(Deserialize)]
struct Count {
    #[serde(alias = "released", alias = "freed")]
    n: u64,
}

pub struct HttpInventoryHolds(pub ServiceHttp);

impl HttpInventoryHolds {
    async fn call<T: DeserializeOwned>(&self, what: &str, body: &HoldCall<'_>) -> Result<T, ApiError> {
        self.0
            .post(&format!("/internal/inventory/reservations/{what}"), body)
            .await?
            .ok_or_else(|| ApiError::unavailable("the inventory service does not offer this call"))
    }
}

#[async_trait]
impl InventoryHolds for HttpInventoryHolds {
    async fn confirm(&self, ids: &[String], user_id: &str, booking_id: &str) -> Result<Vec<Hold>, ApiError> {
        let l: HoldList = self.call("confirm", &HoldCall { reservation_ids: ids, user_id, booking_id: Some(booking_id) }).await?;
        Ok(l.reservations)
    }
    async fn release(&self, ids: &[String], user_id: &str) -> Result<u64, ApiError> {
        let c: Count = self.call("release", &HoldCall { reservation_ids: ids, user_id, booking_id: None }).await?;
        Ok(c.n)
    }
    async fn free(&self, ids: &[String], booking_id: &str) -> Result<u64, ApiError> {
        let c: Count = self.call("free", &HoldCall { reservation_ids: ids, user_id: "", booking_id: Some(booking_id) }).await?;
        Ok(c.n)
    }
}

// --- payments (booking charges and refunds) ---

/// A charge the booking service asks for. The card lives only in memory; its `Debug` is redacted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargeRequest {
    /// A retried charge with the same key never charges twice.
    pub idempotency_key: String,
    pub user_id: String,
    pub booking_id: String,
    pub amount: Money,
    pub currency: String,
    pub card: crate::card::Card,
}

/// A payment as `GET /api/payment/{paymentId}` shows it (plus the owner and booking).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub payment_id: String,
    pub status: crate::states::PaymentStatus,
    pub amount: Money,
    pub currency: String,
    pub card_last4: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    pub processed_at: Option<String>,
    pub user_id: String,
    #[serde(default)]
    pub booking_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettleRequest {
    pub idempotency_key: String,
    pub user_id: String,
    pub booking_id: String,
}

#[async_trait]
pub trait PaymentsApi: Send + Sync {
    /// Charge once per idempotency key. A decline is `Ok` with status `FAILED`; a card that fails
    /// the checks is `400 VALIDATION_ERROR`.
    async fn charge(&self, req: &ChargeRequest) -> Result<Payment, ApiError>;
    /// The outcome of the charge with this key, settled for good: when no charge with the key was
    /// ever made, a `FAILED` (`ABANDONED`) record is written first, so a late charge with the key can
    /// no longer go through. `PENDING` while a charge is still being processed.
    async fn settle(&self, req: &SettleRequest) -> Result<Payment, ApiError>;
    async fn get(&self, payment_id: &str) -> Result<Option<Payment>, ApiError>;
    /// Refund in full; refunding a refunded payment returns it unchanged.
    async fn refund(&self, payment_id: &str) -> Result<Payment, ApiError>;
}

pub struct HttpPaymentsClient(pub ServiceHttp);

#[async_trait]
impl PaymentsApi for HttpPaymentsClient {
    async fn charge(&self, req: &ChargeRequest) -> Result<Payment, ApiError> {
        self.0
            .post("/internal/payment/charges", req)
            .await?
            .ok_or_else(|| ApiError::unavailable("the payment service does not offer charges"))
    }
    async fn settle(&self, req: &SettleRequest) -> Result<Payment, ApiError> {
        self.0
            .post("/internal/payment/charges/settle", req)
            .await?
            .ok_or_else(|| ApiError::unavailable("the payment service does not offer settle"))
    }
    async fn get(&self, payment_id: &str) -> Result<Option<Payment>, ApiError> {
        match self.0.get(&format!("/internal/payment/payments/{payment_id}")).await {
            Err(e) if e.code == crate::ErrorCode::NotFound => Ok(None),
            other => other,
        }
    }
    async fn refund(&self, payment_id: &str) -> Result<Payment, ApiError> {
        self.0
            .post(&format!("/internal/payment/payments/{payment_id}/refund"), &serde_json::Value::Null)
            .await?
            .ok_or_else(|| ApiError::not_found("payment"))
    }
}

// --- webhooks (payment -> booking) ---

/// Where the payment service delivers its signed webhooks.
#[async_trait]
pub trait WebhookSink: Send + Sync {
    /// Deliver one webhook; `Ok` once the receiver acknowledged it (2xx).
    async fn deliver(&self, timestamp: i64, signature: &str, body: &[u8]) -> Result<(), String>;
}

pub struct HttpWebhookSink {
    url: String,
    http: reqwest::Client,
}

impl HttpWebhookSink {
    /// `base` is the booking service's URL.
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("http client");
        Self { url: format!("{}{}", base.trim_end_matches('/'), crate::webhook::PATH), http }
    }
}

#[async_trait]
impl WebhookSink for HttpWebhookSink {
    async fn deliver(&self, timestamp: i64, signature: &str, body: &[u8]) -> Result<(), String> {
        let resp = self
            .http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(crate::webhook::TIMESTAMP_HEADER, timestamp.to_string())
            .header(crate::webhook::SIGNATURE_HEADER, signature)
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(format!("answered {}", resp.status()))
        }
    }
}

// --- events feed (followed by the search indexer and the notifier) ---

/// An event as the search index needs it: the searchable text, the filters and the counts. It reads
/// the events service's full view (`GET /internal/events/{id}/view`, or an `EventCreated` /
/// `EventUpdated` outbox payload) and ignores the fields it does not use.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EventDoc {
    pub event_id: String,
    pub event_name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub category: String,
    pub venue_name: String,
    pub city: String,
    /// RFC 3339.
    pub event_date: String,
    pub status: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub total_seats: i64,
    #[serde(default)]
    pub available_seats: i64,
    #[serde(default)]
    pub min_price: Option<Money>,
    #[serde(default)]
    pub max_price: Option<Money>,
}

/// What the search indexer reads from the events service: its outbox, and one event's current view.
#[async_trait]
pub trait EventsFeed: Send + Sync {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError>;
    /// `None` when the event does not exist (any more).
    async fn event(&self, event_id: &str) -> Result<Option<EventDoc>, ApiError>;
}

#[async_trait]
impl EventsFeed for HttpEventsClient {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError> {
        EventsOutbox::outbox_after(self, after, limit).await
    }
    async fn event(&self, event_id: &str) -> Result<Option<EventDoc>, ApiError> {
        match self.0.get(&format!("/internal/events/{event_id}/view")).await {
            Err(e) if e.code == crate::ErrorCode::NotFound => Ok(None),
            other => other,
        }
    }
}

// --- bookings and accounts, as the notification service reads them ---

/// A booking's holder, as the notification service needs it for an event-wide message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BookingHolder {
    pub booking_id: String,
    pub booking_reference: String,
    pub user_id: String,
    pub status: String,
    #[serde(default)]
    pub seat_numbers: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HolderList {
    pub holders: Vec<BookingHolder>,
}

/// What the notification service reads from the booking service.
#[async_trait]
pub trait BookingsFeed: Send + Sync {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError>;
    /// The holders of the event's bookings that were confirmed at `since_ms`: those still
    /// `CONFIRMED`, and those cancelled at or after `since_ms` (the event's own cancellation
    /// cancels them, and the notifier may look only afterwards).
    async fn holders(&self, event_id: &str, since_ms: i64) -> Result<Vec<BookingHolder>, ApiError>;
}

pub struct HttpBookingsClient(pub ServiceHttp);

#[async_trait]
impl BookingsFeed for HttpBookingsClient {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError> {
        Ok(self.0.get(&format!("/internal/bookings/outbox?after={after}&limit={limit}")).await?.unwrap_or_default())
    }
    async fn holders(&self, event_id: &str, since_ms: i64) -> Result<Vec<BookingHolder>, ApiError> {
        let l: Option<HolderList> = self.0.get(&format!("/internal/bookings/events/{event_id}/holders?since={since_ms}")).await?;
        Ok(l.map(|l| l.holders).unwrap_or_default())
    }
}

/// How to reach an account holder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserContact {
    pub user_id: String,
    pub email: String,
    pub name: String,
}

#[async_trait]
pub trait UserDirectory: Send + Sync {
    /// `None` when the account does not exist.
    async fn contact(&self, user_id: &str) -> Result<Option<UserContact>, ApiError>;

    /// The contacts of the accounts among `user_ids` that exist (a notifier's batch of outbox
    /// rows asks once). One at a time unless the directory can do better.
    async fn contacts(&self, user_ids: &[String]) -> Result<Vec<UserContact>, ApiError> {
        let mut found = Vec::new();
        for id in user_ids {
            found.extend(self.contact(id).await?);
        }
        Ok(found)
    }
}

pub struct HttpAuthClient(pub ServiceHttp);

#[async_trait]
impl UserDirectory for HttpAuthClient {
    async fn contact(&self, user_id: &str) -> Result<Option<UserContact>, ApiError> {
        match self.0.get(&format!("/internal/auth/users/{user_id}")).await {
            Err(e) if e.code == crate::ErrorCode::NotFound => Ok(None),
            other => other,
        }
    }
}
