//! The rules of booking: the confirm saga, its recovery, cancellation, webhooks and the follower of
//! the events outbox.

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

    // ---- confirm ----

    /// `POST /api/bookings/confirm`: `(201, booking)` for a new one, `(200, booking)` for a replay.
    ///
    /// The saga runs in a task of its own: a client that goes away mid-payment (a dropped
    /// connection drops this future) does not stop it, and a retry with the same key gets its
    /// outcome once it is done.
    pub async fn confirm(self: &Arc<Self>, user: &AuthUser, key: &str, input: ConfirmInput) -> Result<(StatusCode, BookingView), ApiError> {
        let started = Instant::now();
        let ids = ids_of(&input.reservation_ids)?;
        input.payment_method.validate(now())?;
        let hash = self.request_hash(&ids, &input.payment_method);
        if let Some(view) = self.fast_replay(&user.user_id, key, &hash).await? {
            return Ok((StatusCode::OK, view));
        }
        let t = now();
        let b = BookingRow {
            booking_id: common::ids::new_id(),
            booking_reference: crate::model::new_reference(),
            user_id: user.user_id.clone(),
            event_id: None,
            reservation_ids: serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()),
            seats: "[]".into(),
            total_amount: 0,
            currency: self.cfg.currency.clone(),
            status: BookingStatus::Pending,
            step: Step::New,
            payment_id: None,
            payment_status: PaymentStatus::Pending,
            error: None,
            lease_owner: Some(self.owner.clone()),
            lease_until: self.lease_until(),
            created_at: t,
            confirmed_at: None,
            cancelled_at: None,
        };
        // From the key's record on, in a task of its own: a booking whose key is recorded always
        // has its saga run, whenever the client goes away.
        let guard = InFlight::new(&self.in_flight, &b.booking_id);
        let (svc, card, key_owned, hash_owned) = (self.clone(), input.payment_method, key.to_string(), hash.clone());
        let work = tokio::spawn(async move {
            let _guard = guard;
            match svc.store.begin(&key_owned, &hash_owned, &b, t).await? {
                Begun::Existing { request_hash, booking } => Ok(Started::Existing { request_hash, booking }),
                Begun::Created => Ok(Started::Ran(svc.run_saga(b, &card).await)),
            }
        });
        let started_as: Result<Started, ApiError> = work.await.map_err(|e| ApiError::internal(format!("the booking saga stopped: {e}")))?;
        let result = match started_as? {
            Started::Existing { request_hash, booking } => return self.replay(user, key, &hash, &request_hash, booking).await,
            Started::Ran(result) => result,
        };
        if let Ok(v) = &result {
            metrics::histogram!("booking_confirmation_seconds").record(started.elapsed().as_secs_f64());
            self.remember(&user.user_id, key, &hash, &v.booking_id).await;
        }
        result.map(|v| (StatusCode::CREATED, v))
    }

    /// The answer to a key already used: the first request's outcome, once it has one.
    async fn replay(
        &self,
        user: &AuthUser,
        key: &str,
        hash: &str,
        request_hash: &str,
        booking: Option<BookingRow>,
    ) -> Result<(StatusCode, BookingView), ApiError> {
        if request_hash != hash {
            metrics::counter!("idempotency_hits_total", "outcome" => "reused").increment(1);
            return Err(ApiError::new(ErrorCode::IdempotencyKeyReused, "this idempotency key was used with a different request"));
        }
        let Some(existing) = booking.filter(|b| b.step == Step::Done) else {
            metrics::counter!("idempotency_hits_total", "outcome" => "in_use").increment(1);
            return Err(ApiError::new(ErrorCode::IdempotencyKeyInUse, "a request with this idempotency key is still in progress"));
        };
        metrics::counter!("idempotency_hits_total", "outcome" => "replay").increment(1);
        if existing.status == BookingStatus::Failed {
            return Err(match existing.error_body() {
                Some((status, body)) => ApiError::from_body(StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT), &body),
                None => ApiError::new(ErrorCode::Conflict, "this booking failed"),
            });
        }
        self.remember(&user.user_id, key, hash, &existing.booking_id).await;
        Ok((StatusCode::OK, BookingView::from(&existing)))
    }

    /// The saga, live (this process has the card): book the seats -> charge -> `DONE`. Two
    /// writes of the booking in all: `NEW` (with the key, before anything happens) and `DONE`;
    /// a process that takes over a `NEW` booking asks the payment service what happened.
    async fn run_saga(&self, mut b: BookingRow, card: &Card) -> Result<BookingView, ApiError> {
        let ids = b.reservation_ids();
        // 1. Book: the holds must be live and the caller's; their seats become BOOKED for this
        //    booking before any money moves, so they cannot run out or go to anyone else during
        //    the payment, and a charged fan always has them.
        self.failpoint("before_book")?;
        let holds = match self.inventory.confirm(&ids, &b.user_id, &b.booking_id).await {
            Ok(h) => h,
            Err(e) if refused(&e) => return Err(self.finish_failed(b, Step::New, e).await),
            Err(e) => {
                // Whether the seats were booked is not known: undo it if they were and forget
                // the attempt, so a retry with the same key starts afresh; if even that fails,
                // the recovery sweep settles the booking.
                if self.inventory.free(&ids, &b.booking_id).await.is_ok() {
                    let _ = self.store.forget(&b, &self.owner).await;
                } else {
                    self.retry_soon(&b).await;
                }
                return Err(e);
            }
        };
        if let Err(e) = Self::fill_seats(&mut b, &holds) {
            self.let_go(&b, false).await;
            return Err(self.finish_failed(b, Step::New, e).await);
        }

        // 2. Charge, once per booking (the payment key is the booking id).
        self.failpoint("before_charge")?;
        let req = ChargeRequest {
            idempotency_key: charge_key(&b.booking_id),
            user_id: b.user_id.clone(),
            booking_id: b.booking_id.clone(),
            amount: Money(b.total_amount),
            currency: b.currency.clone(),
            card: card.clone(),
        };
        let outcome = self.charge_settled(&req).await;
        self.failpoint("after_charge")?;
        match outcome {
            Ok(p) if p.status == PaymentStatus::Success => {
                self.failpoint("before_confirm")?;
                self.confirmed(b, Step::New, &p).await
            }
            Ok(p) if p.status.is_decided() => Err(self.declined(b, Step::New, &p, false).await),
            // Refused before any money moved (the card checks).
            Err(e) if refused(&e) => {
                self.let_go(&b, false).await;
                Err(self.finish_failed(b, Step::New, e).await)
            }
            // Unknown: the sweep settles it with the payment service; never guess.
            _ => {
                metrics::counter!("booking_payments_total", "outcome" => "unknown").increment(1);
                self.retry_soon(&b).await;
                Err(ApiError::unavailable("the payment's outcome is not known yet; the booking will be confirmed or refunded shortly")
                    .with("bookingId", b.booking_id.clone()))
            }
        }
    }

    /// Charge with retries under the same key; if the outcome stays unknown, settle it by asking.
    async fn charge_settled(&self, req: &ChargeRequest) -> Result<Payment, ApiError> {
        for attempt in 0..2u64 {
            match tokio::time::timeout(self.cfg.payment_timeout, self.payments.charge(req)).await {
                Ok(Ok(p)) if p.status.is_decided() => return Ok(p),
                Ok(Err(e)) if refused(&e) => return Err(e),
                Ok(Ok(_)) => tracing::warn!(booking_id = %req.booking_id, "charge still pending; asking again"),
                Ok(Err(e)) => {
                    tracing::warn!(booking_id = %req.booking_id, error = %e, "charge failed to answer; retrying with the same key")
                }
                Err(_) => tracing::warn!(booking_id = %req.booking_id, "charge timed out; retrying with the same key"),
            }
            tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
        }
        self.settle(req.booking_id.as_str(), req.user_id.as_str()).await
    }

    async fn settle(&self, booking_id: &str, user_id: &str) -> Result<Payment, ApiError> {
        let req =
            SettleRequest { idempotency_key: charge_key(booking_id), user_id: user_id.to_string(), booking_id: booking_id.to_string() };
        match tokio::time::timeout(self.cfg.payment_timeout, self.payments.settle(&req)).await {
            Ok(r) => r,
            Err(_) => Err(ApiError::unavailable("the payment service did not answer")),
        }
    }

    /// 3. Charged, and the seats are booked for `b`: `DONE`, `CONFIRMED`.
    async fn confirmed(&self, mut b: BookingRow, from: Step, p: &Payment) -> Result<BookingView, ApiError> {
        metrics::counter!("booking_payments_total", "outcome" => "success").increment(1);
        b.payment_id = Some(p.payment_id.clone());
        b.payment_status = PaymentStatus::Success;
        b.status = BookingStatus::Confirmed;
        b.step = Step::Done;
        b.confirmed_at = Some(now());
        self.advance(&mut b, from, "BookingConfirmed").await?;
        Ok(BookingView::from(&b))
    }

    /// The charge was declined (or never made): the seats go back (and the holds too when
    /// `holds_too`: recovery does not know whether they were booked), `DONE`, `FAILED`, `402` (or
    /// `409` when recovery found that no charge had been made).
    async fn declined(&self, mut b: BookingRow, from: Step, p: &Payment, holds_too: bool) -> ApiError {
        self.let_go(&b, holds_too).await;
        b.payment_id = Some(p.payment_id.clone());
        b.payment_status = PaymentStatus::Failed;
        let booking_id = b.booking_id.clone();
        let e = if p.decline_code.as_deref() == Some(ABANDONED) {
            ApiError::new(
                ErrorCode::Conflict,
                "the booking was interrupted before payment; nothing was charged and the seats were released",
            )
        } else {
            metrics::counter!("booking_payments_total", "outcome" => "declined").increment(1);
            let decline = p.decline_code.clone().unwrap_or_else(|| "CARD_DECLINED".into());
            ApiError::new(ErrorCode::PaymentFailed, format!("the payment was declined ({decline}); the seats were released"))
                .with("paymentId", p.payment_id.clone())
                .with("declineCode", decline)
        };
        self.finish_failed(b, from, e.with("bookingId", booking_id)).await
    }

    /// Recovery found a charge: make sure the seats are booked for the booking (a no-op when they
    /// are, as they always are once a charge was made), then `CONFIRMED`; if they cannot be, refund.
    async fn confirm_seats(&self, mut b: BookingRow, from: Step, p: &Payment) -> Result<BookingView, ApiError> {
        b.payment_id = Some(p.payment_id.clone());
        b.payment_status = PaymentStatus::Success;
        match self.inventory.confirm(&b.reservation_ids(), &b.user_id, &b.booking_id).await {
            Ok(holds) => {
                if b.seats == "[]" {
                    Self::fill_seats(&mut b, &holds)?;
                }
                self.confirmed(b, from, p).await
            }
            Err(e) if refused(&e) => {
                tracing::warn!(booking_id = %b.booking_id, error = %e, "charged but the seats cannot be confirmed; refunding");
                b.step = Step::Refunding;
                self.advance(&mut b, from, "BookingRefunding").await?;
                self.failpoint("before_refund")?;
                Err(self.refund_failed(b, e).await)
            }
            Err(e) => {
                self.retry_soon(&b).await;
                Err(ApiError::unavailable(format!(
                    "the payment went through but the seats are not confirmed yet ({}); the booking will be confirmed or refunded shortly",
                    e.message
                ))
                .with("bookingId", b.booking_id.clone()))
            }
        }
    }

    /// Compensation (the booking is at `REFUNDING`): refund in full, booking `FAILED`.
    async fn refund_failed(&self, mut b: BookingRow, cause: ApiError) -> ApiError {
        let pid = b.payment_id.clone().unwrap_or_default();
        if let Err(e) = self.payments.refund(&pid).await {
            self.retry_soon(&b).await;
            return ApiError::unavailable(format!("the seats could not be confirmed and the refund is pending ({})", e.message))
                .with("bookingId", b.booking_id.clone());
        }
        metrics::counter!("booking_compensations_total", "kind" => "refund").increment(1);
        self.let_go(&b, true).await;
        b.payment_status = PaymentStatus::Refunded;
        let code = if cause.code == ErrorCode::Internal { ErrorCode::Conflict } else { cause.code };
        let e = ApiError::new(code, format!("the seats could not be confirmed ({}); the payment was refunded in full", cause.message))
            .with("bookingId", b.booking_id.clone())
            .with("paymentId", pid)
            .with("paymentStatus", "REFUNDED")
            .with("status", "FAILED");
        self.finish_failed(b, Step::Refunding, e).await
    }

    // ---- recovery ----

    /// Drive a booking we have just taken over (no card in hand) forward, or compensate it.
    async fn drive(&self, b: BookingRow) -> Result<(), ApiError> {
        match b.step {
            // Whether money moved is the payment service's to say: settling by the charge's key
            // answers the charge, or fences the key so that no charge can happen any more.
            Step::New | Step::Pinned | Step::Charging | Step::Charged => {
                let from = b.step;
                let p = self.settle(&b.booking_id, &b.user_id).await?;
                match p.status {
                    PaymentStatus::Success => {
                        let _ = self.confirm_seats(b, from, &p).await;
                    }
                    PaymentStatus::Failed => {
                        self.declined(b, from, &p, true).await;
                    }
                    // Refunded already (a refund whose booking write was lost): finish the refund.
                    PaymentStatus::Refunded => {
                        let mut b = b;
                        b.payment_id = Some(p.payment_id.clone());
                        b.step = Step::Refunding;
                        self.advance(&mut b, from, "BookingRefunding").await?;
                        let cause = ApiError::new(ErrorCode::Conflict, "the seats could not be confirmed");
                        self.refund_failed(b, cause).await;
                    }
                    PaymentStatus::Pending => self.retry_soon(&b).await,
                }
            }
            Step::Refunding => {
                let cause = ApiError::new(ErrorCode::Conflict, "the seats could not be confirmed");
                self.refund_failed(b, cause).await;
            }
            Step::Cancelling => {
                self.finish_cancel(b).await?;
            }
            Step::Done => {}
        }
        Ok(())
    }

    /// Take over one stale booking and drive it. `true` when it reached its end.
    async fn recover_one(&self, id: &str) -> Result<bool, ApiError> {
        if self.dead.load(Ordering::SeqCst) || !self.store.claim_stale(id, &self.owner, self.lease_until(), now()).await? {
            return Ok(false);
        }
        let Some(b) = self.store.get(id).await? else { return Ok(false) };
        tracing::info!(booking_id = %id, step = %b.step, "recovering a booking left half-done");
        let _guard = InFlight::new(&self.in_flight, id);
        if let Err(e) = self.drive(b).await {
            tracing::warn!(booking_id = %id, error = %e, "recovery step failed; will retry");
        }
        let done = self.store.get(id).await?.is_some_and(|b| b.step == Step::Done);
        if done {
            metrics::counter!("sagas_recovered_total").increment(1);
        }
        Ok(done)
    }

    /// One pass of the recovery sweep. Returns how many bookings it finished.
    pub async fn recover_once(&self) -> Result<usize, ApiError> {
        let mut n = 0;
        for id in self.store.stale(now(), 100).await? {
            if self.recover_one(&id).await? {
                n += 1;
            }
        }
        Ok(n)
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

    // ---- cancel ----

    /// Cancel a confirmed booking: refund in full, seats available again. `caller` is `None` when
    /// the platform itself cancels (the event was cancelled). Concurrent calls refund once.
    pub async fn cancel(&self, caller: Option<&AuthUser>, id: &str) -> Result<BookingView, ApiError> {
        let b = self.store.get(id).await?.ok_or_else(|| ApiError::not_found("booking"))?;
        if let Some(u) = caller {
            if !u.may_read(&b.user_id) {
                return Err(ApiError::forbidden("not your booking"));
            }
        }
        for _ in 0..200 {
            let b = self.store.get(id).await?.ok_or_else(|| ApiError::not_found("booking"))?;
            if b.status == BookingStatus::Cancelled {
                return Ok(BookingView::from(&b));
            }
            if b.status != BookingStatus::Confirmed {
                return Err(ApiError::new(ErrorCode::InvalidStateTransition, format!("a {} booking cannot be cancelled", b.status)));
            }
            if b.step == Step::Done {
                if self.store.claim_cancel(id, &self.owner, self.lease_until(), now()).await? {
                    let _guard = InFlight::new(&self.in_flight, id);
                    let b = self.store.get(id).await?.ok_or_else(|| ApiError::not_found("booking"))?;
                    return self.finish_cancel(b).await;
                }
                continue;
            }
            // Another call is cancelling it: wait for its outcome.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(ApiError::new(ErrorCode::Conflict, "the booking is being cancelled; ask again shortly"))
    }

    /// The booking is at `CANCELLING` and ours: refund, free the seats, `CANCELLED`.
    async fn finish_cancel(&self, mut b: BookingRow) -> Result<BookingView, ApiError> {
        self.failpoint("cancel_before_refund")?;
        if b.payment_status == PaymentStatus::Success {
            let pid = b.payment_id.clone().unwrap_or_default();
            if let Err(e) = self.payments.refund(&pid).await {
                self.retry_soon(&b).await;
                return Err(ApiError::unavailable(format!(
                    "the refund could not be made yet ({}); the cancellation will complete shortly",
                    e.message
                )));
            }
            b.payment_status = PaymentStatus::Refunded;
            self.advance(&mut b, Step::Cancelling, "BookingRefunded").await?;
        }
        if let Err(e) = self.inventory.free(&b.reservation_ids(), &b.booking_id).await {
            self.retry_soon(&b).await;
            return Err(ApiError::unavailable(format!(
                "the seats could not be freed yet ({}); the cancellation will complete shortly",
                e.message
            )));
        }
        b.status = BookingStatus::Cancelled;
        b.step = Step::Done;
        b.cancelled_at = Some(now());
        self.advance(&mut b, Step::Cancelling, "BookingCancelled").await?;
        metrics::counter!("bookings_cancelled_total").increment(1);
        Ok(BookingView::from(&b))
    }

    /// Cancel and refund every confirmed booking of a cancelled event.
    pub async fn cancel_event(&self, event_id: &str) -> Result<usize, ApiError> {
        let mut n = 0;
        for b in self.store.confirmed_of_event(event_id).await? {
            match self.cancel(None, &b.booking_id).await {
                Ok(_) => n += 1,
                Err(e) if e.code == ErrorCode::InvalidStateTransition => {}
                Err(e) => return Err(e),
            }
        }
        if n > 0 {
            tracing::info!(event_id, cancelled = n, "cancelled the bookings of a cancelled event");
        }
        Ok(n)
    }

    /// Read the events outbox from our cursor; an `EventCancelled` cancels the event's bookings.
    pub async fn follow_events_once(&self, feed: &dyn EventsOutbox, cursor: &mut Cursor) -> Result<usize, ApiError> {
        let pos = cursor.load().await?;
        let batch = feed.outbox_after(pos, 200).await?;
        let ready = cursor.ready(pos, batch);
        let Some(last) = ready.last().map(|r| r.id) else { return Ok(0) };
        for r in &ready {
            if r.event_type == "EventCancelled" {
                self.cancel_event(&r.aggregate_id).await?;
            }
        }
        cursor.save(last).await?;
        Ok(ready.len())
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
