//! Cancelling a confirmed booking (its owner, an admin, or a cancelled event): claim, refund,
//! free the seats.

use super::*;

impl BookingService {
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
    pub(super) async fn finish_cancel(&self, mut b: BookingRow) -> Result<BookingView, ApiError> {
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
}
