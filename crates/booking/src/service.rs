//! The rules of booking: the service, its helpers, reads, webhooks, jobs and the follower of the
//! events outbox; the confirm saga and its recovery are in `saga`, cancelling in `cancel`.

use crate::model::{BookingList, BookingRow, BookingSeat, BookingStatus, BookingView, ConfirmInput, PaymentStatus, Step, WebhookIn};
use crate::store::{Begun, BookingStore};
use axum::http::StatusCode;
use common::auth::AuthUser;
use common::card::Card;
use common::clients::{ChargeRequest, EventsOutbox, Hold, InventoryHolds, Payment, PaymentsApi, SettleRequest};
use common::config::Secret;
use common::money::Money;
use common::{ApiError, ErrorCode};
use hmac::{Hmac, Mac};
use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::outbox::Cursor;

mod cancel;
mod saga;

#[derive(Clone)]
pub struct BookingConfig {
    /// One charge attempt waits this long before it is retried with the same key.
    pub payment_timeout: Duration,
    /// How long a process owns a saga before another may take it over.
    pub lease: Duration,
    /// How often the recovery sweep runs.
    pub sweep_interval: Duration,
    /// Checks webhook signatures; also keys the request fingerprints of idempotency keys.
    pub webhook_secret: Secret,
    pub currency: String,
}

pub struct BookingService {
    store: BookingStore,
    inventory: Arc<dyn InventoryHolds>,
    payments: Arc<dyn PaymentsApi>,
    cfg: BookingConfig,
    /// This process, as a lease owner.
    owner: String,
    /// Test hook: the saga step at which this process "dies".
    crash_at: Mutex<Option<String>>,
    dead: AtomicBool,
    /// Redis fast path for replays of finished confirmations (see `replay`).
    replays: std::sync::OnceLock<crate::replay::ReplayCache>,
    /// Bookings whose saga runs in this process now: their leases are renewed by a heartbeat
    /// (`spawn_jobs`), so a live process keeps them and a dead one's run out after one lease.
    in_flight: Arc<Mutex<HashSet<String>>>,
    /// The tickets of confirmed bookings, and check-in at the doors.
    tickets: crate::tickets::Tickets,
}

/// What a confirmation's task found: the key already used, or the saga it ran.
enum Started {
    Existing { request_hash: String, booking: Option<BookingRow> },
    Ran(Result<BookingView, ApiError>),
}

/// Marks a booking as driven by this process while it lives.
struct InFlight {
    set: Arc<Mutex<HashSet<String>>>,
    id: String,
}

impl InFlight {
    fn new(set: &Arc<Mutex<HashSet<String>>>, id: &str) -> Self {
        set.lock().unwrap_or_else(|e| e.into_inner()).insert(id.to_string());
        InFlight { set: set.clone(), id: id.to_string() }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.set.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.id);
    }
}

fn now() -> i64 {
    common::time::now_ms()
}

fn crashed() -> ApiError {
    ApiError::unavailable("the booking service stopped; the booking will be finished or compensated when it is back")
}

/// A refusal by a dependency (4xx): a business answer, not an outage.
fn refused(e: &ApiError) -> bool {
    e.status().is_client_error()
}

/// The decline code of the record with which the payment service fences a charge key that was
/// never charged (`settle`): nothing was charged.
const ABANDONED: &str = "ABANDONED";

/// The payment service's idempotency key of a booking's charge: one booking, one charge.
fn charge_key(booking_id: &str) -> String {
    format!("booking:{booking_id}")
}

/// Stored with a failed booking, replayed to a retry with the same idempotency key.
fn error_json(e: &ApiError) -> String {
    serde_json::json!({"status": e.status().as_u16(), "body": e.body()}).to_string()
}

fn ids_of(raw: &[String]) -> Result<Vec<String>, ApiError> {
    let mut ids: Vec<String> = raw.iter().map(|s| s.trim().to_string()).collect();
    if ids.is_empty() || ids.len() > 50 {
        return Err(ApiError::validation("reservationIds", "must hold 1 to 50 reservation ids"));
    }
    if ids.iter().any(|s| s.is_empty() || s.len() > 64) {
        return Err(ApiError::validation("reservationIds", "holds an empty or overlong id"));
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

impl BookingService {
    pub fn new(db: store::Db, inventory: Arc<dyn InventoryHolds>, payments: Arc<dyn PaymentsApi>, cfg: BookingConfig) -> Self {
        let store = BookingStore::new(db);
        Self {
            tickets: crate::tickets::Tickets::new(store.clone()),
            store,
            inventory,
            payments,
            cfg,
            owner: format!("booking-{}", common::ids::random_token(8)),
            crash_at: Mutex::new(None),
            dead: AtomicBool::new(false),
            replays: std::sync::OnceLock::new(),
            in_flight: Arc::default(),
        }
    }

    /// Serve replays of finished confirmations from Redis first (set once, at start).
    pub fn set_replay_cache(&self, conn: store::redis_conn::RedisConn) {
        let _ = self.replays.set(crate::replay::ReplayCache::new(conn));
    }

    /// A finished, confirmed booking for this user's key, from the Redis fast path.
    async fn fast_replay(&self, user_id: &str, key: &str, hash: &str) -> Result<Option<BookingView>, ApiError> {
        let Some(cache) = self.replays.get() else { return Ok(None) };
        let Some(r) = cache.get(user_id, key).await else { return Ok(None) };
        if r.request_hash != hash {
            metrics::counter!("idempotency_hits_total", "outcome" => "reused").increment(1);
            return Err(ApiError::new(ErrorCode::IdempotencyKeyReused, "this idempotency key was used with a different request"));
        }
        Ok(self.store.get(&r.booking_id).await?.filter(|b| b.step == Step::Done && b.status != BookingStatus::Failed).map(|b| {
            metrics::counter!("idempotency_hits_total", "outcome" => "replay_fast").increment(1);
            BookingView::from(&b)
        }))
    }

    async fn remember(&self, user_id: &str, key: &str, hash: &str, booking_id: &str) {
        if let Some(cache) = self.replays.get() {
            let r = crate::replay::Remembered { request_hash: hash.to_string(), booking_id: booking_id.to_string() };
            cache.put(user_id, key, &r).await;
        }
    }

    pub fn tickets(&self) -> &crate::tickets::Tickets {
        &self.tickets
    }

    pub fn db(&self) -> &store::Db {
        &self.store.db
    }

    /// Test hook: at the named saga point (`before_book`, `before_charge`, `after_charge`,
    /// `before_confirm`, `before_refund`, `cancel_before_refund`) this process stops as if killed:
    /// the saga goes no further, nothing is compensated, and its background jobs end.
    pub fn crash_at(&self, point: &str) {
        *self.crash_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(point.to_string());
    }

    /// Stop the background jobs and any saga step (a node shutting down).
    pub fn stop(&self) {
        self.dead.store(true, Ordering::SeqCst);
    }

    /// Stopped (or "killed" by the test hook).
    pub fn stopped(&self) -> bool {
        self.dead.load(Ordering::SeqCst)
    }

    fn failpoint(&self, at: &str) -> Result<(), ApiError> {
        if self.dead.load(Ordering::SeqCst) {
            return Err(crashed());
        }
        let hit = self.crash_at.lock().unwrap_or_else(|e| e.into_inner()).as_deref() == Some(at);
        if hit {
            self.dead.store(true, Ordering::SeqCst);
            tracing::warn!(point = at, "simulated crash of the booking service");
            return Err(crashed());
        }
        Ok(())
    }

    fn lease_until(&self) -> i64 {
        now() + self.cfg.lease.as_millis() as i64
    }

    fn request_hash(&self, ids: &[String], card: &Card) -> String {
        // Keyed: the fingerprint covers the card, and a plain hash of a card number is guessable.
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(self.cfg.webhook_secret.expose().as_bytes()).expect("any key length");
        let text = format!(
            "{}|{}|{}|{}|{}|{}",
            ids.join(","),
            card.digits(),
            card.expiry_month,
            card.expiry_year,
            card.cvv,
            card.cardholder_name.as_deref().unwrap_or("")
        );
        m.update(text.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }

    /// Persist the booking's new state (already set in `b`) if we still own it at `from`.
    async fn advance(&self, b: &mut BookingRow, from: Step, event: &str) -> Result<(), ApiError> {
        if self.dead.load(Ordering::SeqCst) {
            return Err(crashed());
        }
        if !from.may_follow(b.step) {
            tracing::error!(booking_id = %b.booking_id, from = %from, to = %b.step, "a saga move outside the table");
            return Err(ApiError::internal(format!("booking step {from} cannot be followed by {}", b.step)));
        }
        b.lease_until = self.lease_until();
        if !self.store.save(b, from, &self.owner, event, now()).await? {
            return Err(ApiError::unavailable("another booking process has taken this booking over; ask for it again shortly")
                .with("bookingId", b.booking_id.clone()));
        }
        metrics::counter!("booking_saga_steps_total", "from" => from.as_str(), "to" => b.step.as_str(), "status" => b.status.as_str())
            .increment(1);
        Ok(())
    }

    /// Let the recovery sweep take the booking soon (its outcome depends on a dependency that is down).
    async fn retry_soon(&self, b: &BookingRow) {
        let _ = self.store.unlease(&b.booking_id, &self.owner, now() + 2_000).await;
    }

    /// Record the booking as FAILED with the error it answers (now and on every replay).
    async fn finish_failed(&self, mut b: BookingRow, from: Step, err: ApiError) -> ApiError {
        b.status = BookingStatus::Failed;
        b.step = Step::Done;
        b.error = Some(error_json(&err));
        match self.advance(&mut b, from, "BookingFailed").await {
            Ok(()) => err,
            Err(e) => e,
        }
    }

    /// Give the booking's seats back: those it booked (`free`) and, when `holds_too`, holds it
    /// never got to book (recovery does not know how far a dead process got). Failures are only
    /// logged: a hold runs out on its own, and a booked seat of a `FAILED` booking is reported by
    /// the audit.
    async fn let_go(&self, b: &BookingRow, holds_too: bool) {
        let ids = b.reservation_ids();
        match self.inventory.free(&ids, &b.booking_id).await {
            Ok(n) if n > 0 => metrics::counter!("booking_compensations_total", "kind" => "free").increment(1),
            Ok(_) => {}
            Err(e) => tracing::warn!(booking_id = %b.booking_id, error = %e, "freeing the booked seats failed"),
        }
        if holds_too {
            if let Err(e) = self.inventory.release(&ids, &b.user_id).await {
                tracing::warn!(booking_id = %b.booking_id, error = %e, "releasing holds failed");
            }
        }
    }

    /// The booked seats, their event and the total, from the inventory's answer.
    fn fill_seats(b: &mut BookingRow, holds: &[Hold]) -> Result<(), ApiError> {
        let events: BTreeSet<&str> = holds.iter().map(|h| h.event_id.as_str()).collect();
        if events.len() != 1 {
            return Err(ApiError::validation("reservationIds", "must all belong to one event"));
        }
        let seats: Vec<BookingSeat> = holds
            .iter()
            .map(|h| BookingSeat {
                seat_id: h.seat_id.clone(),
                seat_number: h.seat_number.clone(),
                section: h.section.clone(),
                row_number: h.row_number,
                price: h.price,
                reservation_id: h.reservation_id.clone(),
            })
            .collect();
        b.event_id = events.into_iter().next().map(str::to_string);
        b.total_amount = seats.iter().map(|s| s.price.cents()).sum();
        b.seats = serde_json::to_string(&seats).unwrap_or_else(|_| "[]".into());
        Ok(())
    }

    // ---- reads ----

    pub async fn get(&self, caller: &AuthUser, id: &str) -> Result<BookingView, ApiError> {
        let b = self.store.get(id).await?.ok_or_else(|| ApiError::not_found("booking"))?;
        if !caller.may_read(&b.user_id) {
            return Err(ApiError::forbidden("not your booking"));
        }
        Ok(BookingView::from(&b))
    }

    pub async fn mine(&self, user: &AuthUser) -> Result<BookingList, ApiError> {
        let rows = self.store.of_user(&user.user_id).await?;
        Ok(BookingList { bookings: rows.iter().map(BookingView::from).collect() })
    }

    // ---- webhooks ----

    /// A payment webhook: authenticated by its signature alone. A repeat changes nothing.
    pub async fn webhook(&self, timestamp: Option<&str>, signature: Option<&str>, body: &[u8]) -> Result<bool, ApiError> {
        let (Some(ts), Some(sig)) = (timestamp, signature) else {
            return Err(ApiError::unauthorized("missing webhook signature headers"));
        };
        use common::webhook::Rejected;
        match common::webhook::verify(self.cfg.webhook_secret.expose().as_bytes(), ts, sig, body, now() / 1000) {
            Ok(()) => {}
            Err(Rejected::Stale) => return Err(ApiError::unauthorized("webhook timestamp is too old")),
            Err(Rejected::Malformed) => return Err(ApiError::unauthorized("malformed webhook signature")),
            Err(Rejected::BadSignature) => return Err(ApiError::unauthorized("bad webhook signature")),
        }
        let w: WebhookIn =
            serde_json::from_slice(body).map_err(|e| ApiError::new(ErrorCode::ValidationError, format!("webhook body: {e}")))?;
        if w.id.is_empty() || w.id.len() > 64 || w.payment_id.len() > 64 || w.kind.len() > 64 || w.status.len() > 16 {
            return Err(ApiError::validation("id", "is missing or too long"));
        }
        let booking_id = w.booking_id.as_deref().filter(|b| b.len() <= 36);
        let fresh = self.store.record_webhook(&w.id, &w.payment_id, booking_id, &w.kind, &w.status, now()).await?;
        metrics::counter!("payment_webhooks_received_total", "duplicate" => if fresh { "false" } else { "true" }).increment(1);
        // A decided payment of a booking whose process died is picked up by the recovery sweep
        // within one lease and one sweep (seconds); reading the booking here for every webhook
        // cost a read of the writer connection per sale for nothing in all other cases.
        Ok(!fresh)
    }

    pub async fn webhook_count(&self) -> Result<i64, ApiError> {
        Ok(self.store.webhook_count().await?)
    }

    // ---- jobs ----

    /// The recovery sweep (first pass at once: bookings left by a previous process) and the
    /// follower of the events outbox. Both end when the service is stopped.
    pub fn spawn_jobs(self: &Arc<Self>, events: Option<Arc<dyn EventsOutbox>>) {
        // The heartbeat: three renewals a lease, so one late tick never lets a live saga go.
        let svc = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(svc.cfg.lease / 3);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                if svc.dead.load(Ordering::SeqCst) {
                    break;
                }
                let ids: Vec<String> = svc.in_flight.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect();
                if ids.is_empty() {
                    continue;
                }
                if let Err(e) = svc.store.renew(&ids, &svc.owner, svc.lease_until()).await {
                    tracing::warn!(error = %e, "renewing the leases of running sagas failed");
                }
            }
        });
        let svc = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(svc.cfg.sweep_interval);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                if svc.dead.load(Ordering::SeqCst) {
                    break;
                }
                match svc.recover_once().await {
                    Ok(n) if n > 0 => tracing::info!(recovered = n, "bookings recovered"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "recovery sweep failed"),
                }
            }
        });
        let Some(feed) = events else { return };
        let svc = self.clone();
        tokio::spawn(async move {
            let mut cursor = Cursor::new(svc.store.db.clone(), "events");
            loop {
                if svc.dead.load(Ordering::SeqCst) {
                    break;
                }
                match svc.follow_events_once(feed.as_ref(), &mut cursor).await {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => tokio::time::sleep(Duration::from_millis(300)).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "following the events outbox failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
    }

    // ---- for the notification service ----

    pub async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<common::clients::OutboxRecord>, ApiError> {
        Ok(store::outbox::read_after(&self.store.db, after, limit).await?)
    }

    /// The holders of the event's bookings that were confirmed at `since` (see
    /// [`common::clients::BookingsFeed::holders`]).
    pub async fn holders(&self, event_id: &str, since: i64) -> Result<Vec<common::clients::BookingHolder>, ApiError> {
        Ok(self
            .store
            .holders_of_event(event_id, since)
            .await?
            .into_iter()
            .map(|b| common::clients::BookingHolder {
                seat_numbers: b.seats().into_iter().map(|s| s.seat_number).collect(),
                booking_id: b.booking_id,
                booking_reference: b.booking_reference,
                user_id: b.user_id,
                status: b.status.to_string(),
            })
            .collect())
    }

    pub async fn ping(&self) -> Result<(), String> {
        self.store.db.ping().await.map_err(|e| format!("bookings database: {e}"))
    }
}
