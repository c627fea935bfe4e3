//! The rules of the simulated gateway: test cards, the success rate, latency, idempotent charges,
//! refunds, and the webhook deliverer.

use crate::store::{event_type, Delivery, PaymentRow, PaymentStore, Transition, Webhook};
use async_trait::async_trait;
use common::clients::{ChargeRequest, Payment, PaymentsApi, SettleRequest, WebhookSink};
use common::config::LatencyRange;
use common::money::Money;
use common::states::PaymentStatus;
use common::{ApiError, ErrorCode};
use rand::Rng;
use serde::Serialize;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub const CARD_OK: &str = "4242424242424242";
pub const CARD_DECLINED: &str = "4000000000000002";
pub const CARD_NO_FUNDS: &str = "4000000000009995";

#[derive(Clone)]
pub struct PaymentConfig {
    pub success_rate: f64,
    pub latency: LatencyRange,
    /// HMAC key of the webhooks.
    pub webhook_secret: common::config::Secret,
}

pub struct PaymentService {
    store: PaymentStore,
    cfg: PaymentConfig,
    sink: OnceLock<Arc<dyn WebhookSink>>,
    stopped: std::sync::atomic::AtomicBool,
}

/// The body of a webhook. Typed so that `amount` keeps its exact decimal text.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebhookBody<'a> {
    /// Unique per webhook: the receiver drops a repeat.
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    payment_id: &'a str,
    booking_id: Option<&'a str>,
    status: &'a str,
    amount: Money,
    currency: &'a str,
    decline_code: Option<&'a str>,
    created_at: String,
}

fn now() -> i64 {
    common::time::now_ms()
}

/// The gateway's verdict on a card: `Ok(transaction id)` or `Err(decline code)`.
fn decide(digits: &str, success_rate: f64) -> Result<String, &'static str> {
    let ok = match digits {
        CARD_OK => true,
        CARD_DECLINED => return Err("CARD_DECLINED"),
        CARD_NO_FUNDS => return Err("INSUFFICIENT_FUNDS"),
        _ => rand::thread_rng().gen_bool(success_rate.clamp(0.0, 1.0)),
    };
    if ok {
        Ok(format!("txn_{}", common::ids::random_token(10)))
    } else {
        Err("CARD_DECLINED")
    }
}

impl PaymentService {
    pub fn new(db: store::Db, cfg: PaymentConfig) -> Self {
        Self { store: PaymentStore::new(db), cfg, sink: OnceLock::new(), stopped: Default::default() }
    }

    pub fn db(&self) -> &store::Db {
        &self.store.db
    }

    /// Where webhooks go (set once, after the booking side is built).
    pub fn set_webhook_sink(&self, sink: Arc<dyn WebhookSink>) {
        let _ = self.sink.set(sink);
    }

    /// A charge left `PENDING` longer than this was interrupted (the process died mid-charge): the
    /// simulated gateway always answers within its latency, and what counts is the recorded
    /// decision, so deciding `FAILED` first is safe (the late `finish` then finds it decided).
    fn stale_after_ms(&self) -> i64 {
        self.cfg.latency.max_ms as i64 + 5_000
    }

    async fn latency(&self) {
        let LatencyRange { min_ms, max_ms } = self.cfg.latency;
        let ms = if max_ms > min_ms { rand::thread_rng().gen_range(min_ms..=max_ms) } else { min_ms };
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }

    /// Public read: owner or admin.
    pub async fn get_for(&self, caller: &common::auth::AuthUser, id: &str) -> Result<Payment, ApiError> {
        let row = self.store.get(id).await?.ok_or_else(|| ApiError::not_found("payment"))?;
        if !caller.may_read(&row.user_id) {
            return Err(ApiError::forbidden("not your payment"));
        }
        Ok(row.view())
    }

    fn check_request(req: &ChargeRequest) -> Result<(), ApiError> {
        if req.idempotency_key.trim().is_empty() || req.idempotency_key.len() > 255 {
            return Err(ApiError::validation("idempotencyKey", "must be 1 to 255 characters"));
        }
        if req.amount.cents() <= 0 {
            return Err(ApiError::validation("amount", "must be positive"));
        }
        if req.currency.len() != 3 || !req.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ApiError::validation("currency", "must be an ISO 4217 code"));
        }
        req.card.validate(now())
    }

    /// The answer to a charge whose key is already known: the same payment, waiting for a charge
    /// still in progress elsewhere to finish.
    async fn existing(&self, mut row: PaymentRow, req: &ChargeRequest) -> Result<Payment, ApiError> {
        if row.amount != req.amount.cents() && row.decline_code.as_deref() != Some("ABANDONED") {
            return Err(ApiError::new(ErrorCode::IdempotencyKeyReused, "this idempotency key was used for another charge"));
        }
        metrics::counter!("payment_idempotent_replays_total").increment(1);
        let deadline = tokio::time::Instant::now() + Duration::from_millis(self.cfg.latency.max_ms + 5_000);
        while row.status == PaymentStatus::Pending && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
            row = self.store.get(&row.payment_id).await?.ok_or_else(|| ApiError::not_found("payment"))?;
        }
        Ok(row.view())
    }

    async fn charge_inner(&self, req: &ChargeRequest) -> Result<Payment, ApiError> {
        Self::check_request(req)?;
        let t = now();
        let mut row = PaymentRow {
            payment_id: common::ids::new_id(),
            idempotency_key: req.idempotency_key.clone(),
            user_id: req.user_id.clone(),
            booking_id: Some(req.booking_id.clone()),
            amount: req.amount.cents(),
            currency: req.currency.clone(),
            card_last4: req.card.last4(),
            status: PaymentStatus::Pending,
            decline_code: None,
            transaction_id: None,
            created_at: t,
            processed_at: None,
            refunded_at: None,
        };
        // The insert decides between concurrent calls with one key (a unique index); the loser
        // answers with the winner's payment. A key is new far more often than not, so no read first.
        match self.store.insert(&row, t).await {
            Ok(true) => {}
            Ok(false) => {
                let existing = self
                    .store
                    .by_key(&req.idempotency_key)
                    .await?
                    .ok_or_else(|| ApiError::unavailable("the payment could not be recorded; nothing was charged"))?;
                return self.existing(existing, req).await;
            }
            Err(e) => return Err(e.into()),
        }
        // The gateway thinks.
        self.latency().await;
        let (status, decline, txn) = match decide(&req.card.digits(), self.cfg.success_rate) {
            Ok(txn) => (PaymentStatus::Success, None, Some(txn)),
            Err(code) => (PaymentStatus::Failed, Some(code), None),
        };
        let done = if self.finish(&row, status, decline, txn.as_deref()).await? {
            row.status = status;
            row.decline_code = decline.map(str::to_string);
            row.transaction_id = txn;
            row.processed_at = Some(now());
            row
        } else {
            // Decided meanwhile by someone else (the stale-charge sweep): theirs is the answer.
            self.store.get(&row.payment_id).await?.ok_or_else(|| ApiError::not_found("payment"))?
        };
        metrics::counter!("payments_total", "outcome" => if done.status == PaymentStatus::Success { "success" } else { "failed" })
            .increment(1);
        tracing::debug!(payment_id = %done.payment_id, status = %done.status, last4 = %done.card_last4, "charge processed");
        Ok(done.view())
    }

    /// Record the outcome of a `PENDING` payment, with its webhook. `false` if it was no longer pending.
    async fn finish(&self, row: &PaymentRow, status: PaymentStatus, decline: Option<&str>, txn: Option<&str>) -> Result<bool, ApiError> {
        Ok(self.store.transition(self.move_of(row, PaymentStatus::Pending, status, decline, txn)).await?)
    }

    /// The move of `row` from `from` to `to` now, with its webhook.
    fn move_of(&self, row: &PaymentRow, from: PaymentStatus, to: PaymentStatus, decline: Option<&str>, txn: Option<&str>) -> Transition {
        let t = now();
        Transition {
            id: row.payment_id.clone(),
            from,
            to,
            decline_code: decline.map(str::to_string),
            transaction_id: txn.map(str::to_string),
            now: t,
            hook: self.webhook(row, to, decline, t),
        }
    }

    fn webhook(&self, row: &PaymentRow, status: PaymentStatus, decline: Option<&str>, t: i64) -> Option<Webhook> {
        let id = common::ids::new_id();
        let kind = match status {
            PaymentStatus::Success => "payment.succeeded",
            PaymentStatus::Failed => "payment.failed",
            PaymentStatus::Refunded => "payment.refunded",
            PaymentStatus::Pending => return None,
        };
        let body = WebhookBody {
            id: &id,
            kind,
            payment_id: &row.payment_id,
            booking_id: row.booking_id.as_deref(),
            status: status.as_str(),
            amount: Money(row.amount),
            currency: &row.currency,
            decline_code: decline,
            created_at: common::time::to_rfc3339(t),
        };
        let payload = serde_json::to_string(&body).ok()?;
        Some(Webhook { delivery_id: id, event_type: event_type(status), payload })
    }

    async fn settle_inner(&self, req: &SettleRequest) -> Result<Payment, ApiError> {
        if req.idempotency_key.trim().is_empty() || req.idempotency_key.len() > 255 {
            return Err(ApiError::validation("idempotencyKey", "must be 1 to 255 characters"));
        }
        for _ in 0..3 {
            if let Some(row) = self.store.by_key(&req.idempotency_key).await? {
                if row.status == PaymentStatus::Pending && now() - row.created_at > self.stale_after_ms() {
                    // The process charging it died before deciding: no money moved. Decide now.
                    self.finish(&row, PaymentStatus::Failed, Some("PROCESSING_ERROR"), None).await?;
                    let row = self.store.get(&row.payment_id).await?.ok_or_else(|| ApiError::not_found("payment"))?;
                    return Ok(row.view());
                }
                return Ok(row.view());
            }
            // No charge with this key was ever recorded: fence the key with a failed record, so a
            // charge request still on its way cannot go through after we answered "not charged".
            let t = now();
            let tomb = PaymentRow {
                payment_id: common::ids::new_id(),
                idempotency_key: req.idempotency_key.clone(),
                user_id: req.user_id.clone(),
                booking_id: Some(req.booking_id.clone()),
                amount: 0,
                currency: "USD".into(),
                card_last4: String::new(),
                status: PaymentStatus::Failed,
                decline_code: Some("ABANDONED".into()),
                transaction_id: None,
                created_at: t,
                processed_at: Some(t),
                refunded_at: None,
            };
            match self.store.insert(&tomb, t).await {
                Ok(true) => return Ok(tomb.view()),
                Ok(false) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ApiError::unavailable("the payment could not be settled; try again"))
    }

    async fn refund_inner(&self, id: &str) -> Result<Payment, ApiError> {
        let row = self.store.get(id).await?.ok_or_else(|| ApiError::not_found("payment"))?;
        match row.status {
            PaymentStatus::Refunded => return Ok(row.view()),
            PaymentStatus::Success => {}
            other => return Err(ApiError::new(ErrorCode::InvalidStateTransition, format!("a {other} payment cannot be refunded"))),
        }
        if self.store.transition(self.move_of(&row, PaymentStatus::Success, PaymentStatus::Refunded, None, None)).await? {
            metrics::counter!("payment_refunds_total").increment(1);
        }
        // Either we refunded it or a concurrent call did: once, either way.
        let row = self.store.get(id).await?.ok_or_else(|| ApiError::not_found("payment"))?;
        if row.status != PaymentStatus::Refunded {
            return Err(ApiError::new(ErrorCode::Conflict, "the payment changed meanwhile; try again"));
        }
        Ok(row.view())
    }

    /// One pass of the webhook deliverer: the due deliveries claimed together, sent concurrently
    /// (so the receiver records them in one group), acknowledged together. Returns how many were
    /// acknowledged.
    pub async fn deliver_once(&self) -> Result<usize, ApiError> {
        let Some(sink) = self.sink.get().cloned() else { return Ok(0) };
        let t = now();
        let mut due = self.store.due_deliveries(t, 50).await?;
        if due.is_empty() {
            return Ok(0);
        }
        // While this attempt runs, nobody else tries it; the random part tells our claim from a
        // concurrent one of another process.
        let lease = t + 30_000 + rand::thread_rng().gen_range(0..1_000);
        let mine = self.store.claim_deliveries(&due, lease, t).await?;
        due.retain(|d| mine.contains(&d.delivery_id));
        let sent = futures::future::join_all(due.iter().map(|d| self.send(sink.as_ref(), d))).await;
        let mut acked = Vec::with_capacity(due.len());
        for (d, ok) in due.iter().zip(sent) {
            if ok? {
                acked.push(d.delivery_id.as_str());
            }
        }
        self.store.delivered(&acked, now()).await?;
        metrics::counter!("payment_webhooks_total", "outcome" => "delivered").increment(acked.len() as u64);
        Ok(acked.len())
    }

    /// One attempt; `true` when acknowledged (the caller records it), else the retry is scheduled.
    async fn send(&self, sink: &dyn WebhookSink, d: &Delivery) -> Result<bool, ApiError> {
        let ts = now() / 1000;
        let sig = common::webhook::sign(self.cfg.webhook_secret.expose().as_bytes(), ts, d.payload.as_bytes());
        match sink.deliver(ts, &sig, d.payload.as_bytes()).await {
            Ok(()) => Ok(true),
            Err(why) => {
                // Exponential backoff: 1 s, 2 s, 4 s ... at most 5 minutes.
                let attempts = (d.attempts + 1).clamp(1, 20) as u32;
                let wait = 1000i64.saturating_mul(1 << (attempts - 1).min(9)).min(300_000);
                self.store.retry_later(&d.delivery_id, now() + wait, &why).await?;
                metrics::counter!("payment_webhooks_total", "outcome" => "retry").increment(1);
                tracing::warn!(delivery_id = %d.delivery_id, attempts, error = %why, "webhook not acknowledged; will retry");
                Ok(false)
            }
        }
    }

    /// Settle charges whose process died mid-charge (no money moved; the card is gone).
    pub async fn sweep_stale_once(&self) -> Result<usize, ApiError> {
        let rows = self.store.stale_pending(now() - self.stale_after_ms(), 100).await?;
        let mut n = 0;
        for r in rows {
            if self.finish(&r, PaymentStatus::Failed, Some("PROCESSING_ERROR"), None).await? {
                n += 1;
            }
        }
        Ok(n)
    }

    pub async fn delivery_counts(&self) -> Result<(i64, i64), ApiError> {
        Ok(self.store.delivery_counts().await?)
    }

    /// Stop the background jobs (the node is shutting down).
    pub fn stop(&self) {
        self.stopped.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// The webhook deliverer and the stale-charge sweep; they end with [`Self::stop`] or the runtime.
    pub fn spawn_jobs(self: &Arc<Self>) {
        let svc = self.clone();
        tokio::spawn(async move {
            let mut ticks = 0u64;
            loop {
                if svc.stopped.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                match svc.deliver_once().await {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "webhook delivery pass failed"),
                }
                ticks += 1;
                if ticks.is_multiple_of(100) {
                    if let Err(e) = svc.sweep_stale_once().await {
                        tracing::warn!(error = %e, "stale charge sweep failed");
                    }
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
    }
}

#[async_trait]
impl PaymentsApi for PaymentService {
    async fn charge(&self, req: &ChargeRequest) -> Result<Payment, ApiError> {
        self.charge_inner(req).await
    }
    async fn settle(&self, req: &SettleRequest) -> Result<Payment, ApiError> {
        self.settle_inner(req).await
    }
    async fn get(&self, payment_id: &str) -> Result<Option<Payment>, ApiError> {
        Ok(self.store.get(payment_id).await?.map(|r| r.view()))
    }
    async fn refund(&self, payment_id: &str) -> Result<Payment, ApiError> {
        self.refund_inner(payment_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cards() {
        assert!(decide(CARD_OK, 0.0).is_ok());
        assert_eq!(decide(CARD_DECLINED, 1.0), Err("CARD_DECLINED"));
        assert_eq!(decide(CARD_NO_FUNDS, 1.0), Err("INSUFFICIENT_FUNDS"));
        assert!(decide("5555555555554444", 1.0).is_ok());
        assert!(decide("5555555555554444", 0.0).is_err());
    }
}
