//! The confirm saga and its recovery (the moves are in the crate docs): book the seats, charge,
//! done; a booking a dead process left half-way is driven forward or compensated here.

use super::*;

impl BookingService {
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
}
