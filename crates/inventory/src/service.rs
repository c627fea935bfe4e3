//! The rules of the inventory: who may reserve what, when, and the jobs that keep holds honest.

use crate::allocate::{best_available, Slot};
use crate::batch::Batcher;
use crate::board::Board;
use crate::model::{LayoutInput, ReservationRow, ReservationView, ReserveInput, SeatRow, SeatView, Wanted};
use crate::store::{HoldRequest, InventoryStore, Refusal, Released, SectionCounts};
use async_trait::async_trait;
use common::clients::{Admissions, EventsApi, InventoryApi, OutboxRecord, SeatCounts};
use common::money::Money;
use common::{ApiError, ErrorCode};
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::locks::{LockError, LockManager};

#[derive(Debug, Clone)]
pub struct InventoryConfig {
    pub hold_ttl: Duration,
    pub cleanup_interval: Duration,
    pub lock_ttl: Duration,
    pub lock_wait: Duration,
    /// How long a waitlist offer's seats are held (`TICKETING_WAITLIST_OFFER_SECS`).
    pub waitlist_offer: Duration,
}

pub struct InventoryService {
    pub(crate) store: InventoryStore,
    events: Arc<dyn EventsApi>,
    locks: Arc<dyn LockManager>,
    cfg: InventoryConfig,
    /// The waiting room's gate (shared/API.md §12), asked only for events whose room is enabled.
    admissions: std::sync::OnceLock<Arc<dyn Admissions>>,
    /// Each event's seats in memory (see [`crate::board`]): exact when this process is the only
    /// writer (SQLite); otherwise a copy of at most half a second for choosing best-available
    /// seats and counting availability.
    board: Board,
    /// Group commit of holds without a per-buyer limit (see [`crate::batch`]); started at first use.
    batcher: std::sync::OnceLock<Batcher>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeatList {
    pub event_id: String,
    pub seats: Vec<SeatView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Availability {
    pub event_id: String,
    pub total: i64,
    pub available: i64,
    pub reserved: i64,
    pub booked: i64,
    pub blocked: i64,
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
    pub sections: Vec<SectionCounts>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReservationList {
    pub reservations: Vec<ReservationView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reserved {
    pub reservations: Vec<ReservationView>,
    pub expires_at: String,
    pub total_amount: Money,
}

fn now() -> i64 {
    common::time::now_ms()
}

/// How a refusal from the store reads to a client.
fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::Unavailable(seats) => {
            ApiError::new(ErrorCode::SeatUnavailable, "some of the seats are not available; nothing was reserved")
                .with("unavailableSeats", seats)
        }
        Refusal::NotFound => ApiError::not_found("reservation"),
        Refusal::NotOwner => ApiError::forbidden("not your reservation"),
        Refusal::Expired => ApiError::new(ErrorCode::ReservationExpired, "the reservation has expired"),
        Refusal::NotActive => ApiError::new(ErrorCode::ReservationNotActive, "the reservation is not active"),
        Refusal::Limit(limit, held) => limit_exceeded(limit, held),
    }
}

pub(crate) fn limit_exceeded(limit: i64, held: i64) -> ApiError {
    ApiError::new(ErrorCode::TicketLimitExceeded, format!("at most {limit} tickets per buyer for this event; you hold {held}"))
        .with("limit", limit)
        .with("held", held)
}

fn lock_error(e: LockError, seats: &[SeatRow]) -> ApiError {
    match e {
        LockError::Busy(key) => {
            let seat = seats.iter().find(|s| key.ends_with(&s.seat_id)).map(|s| s.seat_number.clone());
            ApiError::new(ErrorCode::SeatUnavailable, "a seat is being taken by another buyer; nothing was reserved")
                .with("unavailableSeats", seat.into_iter().collect::<Vec<_>>())
        }
        LockError::Unavailable(why) => {
            tracing::warn!(error = %why, "lock backend unavailable");
            ApiError::unavailable("the seat lock service is unavailable; nothing was reserved")
        }
    }
}

/// Named seats must all exist, and be free at the moment of reading (fail fast, before any lock).
fn check_named(numbers: &[String], found: &[&SeatRow], t: i64) -> Result<(), ApiError> {
    if found.len() != numbers.len() {
        let unknown: Vec<String> = numbers.iter().filter(|n| !found.iter().any(|r| &r.seat_number == *n)).cloned().collect();
        return Err(ApiError::validation("seatNumbers", format!("no such seat in this event: {}", unknown.join(", ")))
            .with("unknownSeats", unknown));
    }
    let taken: Vec<String> = found.iter().filter(|s| !s.is_free(t)).map(|s| s.seat_number.clone()).collect();
    if !taken.is_empty() {
        return Err(refusal(Refusal::Unavailable(taken)));
    }
    Ok(())
}

fn check_ids(field: &str, ids: &[String]) -> Result<Vec<String>, ApiError> {
    if ids.is_empty() || ids.len() > 100 {
        return Err(ApiError::validation(field, "must hold 1 to 100 ids"));
    }
    let mut v: Vec<String> = ids.iter().map(|s| s.trim().to_string()).collect();
    if v.iter().any(|s| s.is_empty() || s.len() > 64) {
        return Err(ApiError::validation(field, "holds an empty or overlong id"));
    }
    v.sort();
    v.dedup();
    Ok(v)
}

impl InventoryService {
    pub fn new(db: store::Db, events: Arc<dyn EventsApi>, locks: Arc<dyn LockManager>, cfg: InventoryConfig) -> Self {
        let board = Board::new(!db.is_mysql());
        Self {
            store: InventoryStore::new(db).with_waitlist_offer(cfg.waitlist_offer.as_millis() as i64),
            events,
            locks,
            cfg,
            admissions: std::sync::OnceLock::new(),
            board,
            batcher: std::sync::OnceLock::new(),
        }
    }

    /// Wire the waiting room's gate (once, at start).
    pub fn set_admissions(&self, a: Arc<dyn Admissions>) {
        let _ = self.admissions.set(a);
    }

    /// `403 NOT_ADMITTED` (with `queueUrl`) unless the waiting room let this buyer in.
    async fn check_admitted(&self, event_id: &str, user_id: &str) -> Result<(), ApiError> {
        let Some(gate) = self.admissions.get() else {
            return Err(ApiError::unavailable("this event has a waiting room, and no queue service is configured"));
        };
        if gate.is_admitted(event_id, user_id).await? {
            return Ok(());
        }
        Err(ApiError::new(ErrorCode::NotAdmitted, "this sale has a waiting room: join the queue and wait for your turn")
            .with("queueUrl", format!("/api/queue/events/{event_id}/join")))
    }

    pub fn db(&self) -> &store::Db {
        &self.store.db
    }

    pub(crate) async fn event(&self, event_id: &str) -> Result<common::clients::EventSaleInfo, ApiError> {
        self.events.sale_info(event_id).await?.ok_or_else(|| ApiError::not_found("event"))
    }

    pub async fn put_layout(&self, event_id: &str, input: LayoutInput) -> Result<serde_json::Value, ApiError> {
        let ev = self.event(event_id).await?;
        if ev.status != "UPCOMING" {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("the seat layout can change only while the event is UPCOMING (it is {})", ev.status),
            ));
        }
        let seats = input.into_seats(event_id)?;
        if !self.store.replace_layout(event_id, &seats, now()).await? {
            return Err(ApiError::new(ErrorCode::Conflict, "the event has live holds or bookings; its layout cannot change"));
        }
        let total = seats.len();
        self.board.install(event_id, seats);
        Ok(serde_json::json!({"eventId": event_id, "totalSeats": total}))
    }

    /// Seats of an event; 404 only when the event itself is unknown.
    pub async fn seats(&self, event_id: &str, only_free: bool) -> Result<SeatList, ApiError> {
        let t = now();
        let seats: Vec<SeatView> = if self.board.exclusive() {
            let eb = self.board.get(&self.store, event_id).await?;
            let board = eb.seats();
            board.rows.iter().filter(|s| !only_free || s.is_free(t)).map(|s| SeatView::new(s, t)).collect()
        } else {
            let rows = if only_free { self.store.free_seats(event_id, None, t).await? } else { self.store.seats(event_id).await? };
            rows.iter().map(|s| SeatView::new(s, t)).collect()
        };
        if seats.is_empty() {
            self.event(event_id).await?;
        }
        Ok(SeatList { event_id: event_id.to_string(), seats })
    }

    /// The summary every fan polls during a sale, from the board: exact when this process alone
    /// writes the seats; otherwise this process's own changes at once and other processes' within
    /// the board's refresh (half a second).
    pub async fn availability(&self, event_id: &str) -> Result<Availability, ApiError> {
        let eb = self.board.get(&self.store, event_id).await?;
        let counts = eb.seats().counts(event_id, now());
        self.availability_of(counts).await
    }

    async fn availability_of(&self, (c, sections): (SeatCounts, Vec<SectionCounts>)) -> Result<Availability, ApiError> {
        if c.total == 0 {
            self.event(&c.event_id).await?;
        }
        Ok(Availability {
            event_id: c.event_id.clone(),
            total: c.total,
            available: c.available,
            reserved: c.reserved,
            booked: c.booked,
            blocked: c.blocked,
            min_price: c.min_price,
            max_price: c.max_price,
            sections,
        })
    }

    /// Reserve seats for `user_id`: all of them or none.
    pub async fn reserve(&self, user_id: &str, input: ReserveInput) -> Result<Reserved, ApiError> {
        let (event_id, wanted) = input.parse()?;
        let ev = self.event(&event_id).await?;
        // SOLD_OUT is the events service's view, a moment behind the seats: the seats decide (a
        // seat that came back can be held at once; one offered to the waitlist is SEAT_UNAVAILABLE).
        if !ev.on_sale() && ev.status != "SOLD_OUT" {
            return Err(ApiError::new(ErrorCode::EventNotOnSale, format!("the event is not on sale (it is {})", ev.status)));
        }
        if ev.waiting_room_enabled {
            self.check_admitted(&event_id, user_id).await?;
        }
        let result = self.reserve_on_sale(user_id, &event_id, &wanted, ev.max_tickets_per_user).await;
        let outcome = match &result {
            Ok(_) => "reserved",
            Err(e) => e.code.as_str(),
        };
        metrics::counter!("reservations_total", "outcome" => outcome).increment(1);
        result
    }

    async fn reserve_on_sale(&self, user_id: &str, event_id: &str, wanted: &Wanted, limit: Option<i64>) -> Result<Reserved, ApiError> {
        // Best available may lose a seat to a concurrent buyer between choosing and taking: choose
        // again. Named seats are what they are: one try.
        let attempts = if matches!(wanted, Wanted::Best { .. }) { 4 } else { 1 };
        let mut attempt = 0;
        loop {
            attempt += 1;
            // The per-buyer limit is counted once, inside the reservation's transaction.
            let seats = self.choose(event_id, wanted).await?;
            match self.take(user_id, event_id, &seats, limit).await {
                Err(e) if e.code == ErrorCode::SeatUnavailable && attempt < attempts => continue,
                other => return other,
            }
        }
    }

    /// The seats a request means, checked free at the moment of reading.
    async fn choose(&self, event_id: &str, wanted: &Wanted) -> Result<Vec<SeatRow>, ApiError> {
        let t = now();
        let mut rows = match wanted {
            Wanted::Seats(numbers) => {
                // An exact board decides here. A copy that may be behind other processes is trusted
                // only to send the request on to the database, which decides anyway: before it
                // refuses a seat (or does not know it), the database is asked.
                let on_board = {
                    let eb = self.board.get(&self.store, event_id).await?;
                    let board = eb.seats();
                    let found: Vec<&SeatRow> = numbers.iter().filter_map(|n| board.by_number(n)).collect();
                    if self.board.exclusive() || (found.len() == numbers.len() && found.iter().all(|s| s.is_free(t))) {
                        check_named(numbers, &found, t)?;
                        Some(found.into_iter().cloned().collect())
                    } else {
                        None
                    }
                };
                match on_board {
                    Some(rows) => rows,
                    None => {
                        let rows = self.store.seats_by_number(event_id, numbers).await?;
                        check_named(numbers, &rows.iter().collect::<Vec<_>>(), t)?;
                        rows
                    }
                }
            }
            Wanted::Best { quantity, section } => {
                let eb = self.board.get(&self.store, event_id).await?;
                let board = eb.seats();
                let free: Vec<&SeatRow> =
                    board.rows.iter().filter(|s| s.is_free(t) && section.as_ref().is_none_or(|x| &s.section == x)).collect();
                if let Some(s) = section.as_ref().filter(|s| free.is_empty() && !board.has_section(s)) {
                    return Err(ApiError::validation("section", format!("no section '{s}' in this event")));
                }
                let slots: Vec<Slot> = free
                    .iter()
                    .map(|s| Slot { section_order: s.section_order, row_no: s.row_no, seat_index: s.seat_index, row_size: s.row_size })
                    .collect();
                let picked = best_available(&slots, *quantity).ok_or_else(|| {
                    ApiError::new(ErrorCode::SeatUnavailable, format!("only {} seats are available", free.len()))
                        .with("unavailableSeats", Vec::<String>::new())
                })?;
                picked.into_iter().map(|i| free[i].clone()).collect()
            }
        };
        rows.sort_by_key(|s| (s.section_order, s.row_no, s.seat_index));
        Ok(rows)
    }

    /// Let the database decide: in a group commit when no per-buyer limit applies, else in a
    /// transaction of its own (the limit is counted per buyer, which a group of many buyers'
    /// requests does not do). Seat locks come first wherever requests of other processes could
    /// collide with this one in the database (MySQL), and under a limit the buyer's lock too; a
    /// group on SQLite needs none (one writer task decides everything, in order).
    async fn take(&self, user_id: &str, event_id: &str, seats: &[SeatRow], limit: Option<i64>) -> Result<Reserved, ApiError> {
        let mut ids: Vec<String> = seats.iter().map(|s| s.seat_id.clone()).collect();
        ids.sort();
        let grouped = limit.is_none();
        let lease = if grouped && self.board.exclusive() {
            None
        } else {
            let mut keys: Vec<String> = seats.iter().map(|s| format!("lock:{{{event_id}}}:seat:{}", s.seat_id)).collect();
            if limit.is_some() {
                // Queue one buyer's concurrent requests for the event here rather than on the buyer's
                // row in the database (which guards the limit; see `InventoryStore::reserve`).
                keys.push(format!("lock:{{{event_id}}}:buyer:{user_id}"));
            }
            let started = Instant::now();
            let lease = self.locks.acquire(keys, self.cfg.lock_ttl, self.cfg.lock_wait).await.map_err(|e| lock_error(e, seats))?;
            metrics::histogram!("lock_acquire_seconds").record(started.elapsed().as_secs_f64());
            Some(lease)
        };
        let result = if grouped {
            let batcher = self.batcher.get_or_init(|| Batcher::start(self.store.clone(), self.cfg.hold_ttl));
            batcher.hold(HoldRequest { event_id: event_id.to_string(), user_id: user_id.to_string(), seat_ids: ids }).await
        } else {
            self.take_locked(user_id, event_id, &ids, limit).await
        };
        if let Some(lease) = lease {
            self.locks.release(lease).await;
        }
        self.settle(event_id, seats, result?)
    }

    async fn take_locked(
        &self,
        user_id: &str,
        event_id: &str,
        ids: &[String],
        limit: Option<i64>,
    ) -> Result<Result<Vec<ReservationRow>, Refusal>, ApiError> {
        let ttl = self.cfg.hold_ttl.as_millis() as i64;
        let decided = store::retry(3, || {
            let t = now();
            self.store.reserve(event_id, user_id, ids, limit, t + ttl, t)
        })
        .await?;
        Ok(decided)
    }

    /// The guard's decision, as the buyer reads it; the board and the cache follow.
    fn settle(&self, event_id: &str, seats: &[SeatRow], decided: Result<Vec<ReservationRow>, Refusal>) -> Result<Reserved, ApiError> {
        match decided {
            Ok(mut rows) => {
                self.board.held(&rows);
                // In layout order, as the buyer reads a ticket.
                rows.sort_by_key(|r| seats.iter().position(|s| s.seat_id == r.seat_id));
                let t = now();
                let expires = rows.first().map_or(t, |r| r.expires_at);
                let total = Money(rows.iter().map(|r| r.price).sum());
                let views: Vec<ReservationView> = rows.iter().map(|r| ReservationView::new(r, t)).collect();
                Ok(Reserved { reservations: views, expires_at: common::time::to_rfc3339(expires), total_amount: total })
            }
            Err(r) => {
                if matches!(r, Refusal::Unavailable(_)) {
                    // The board thought these seats free.
                    self.board.forget(event_id);
                }
                Err(refusal(r))
            }
        }
    }

    pub async fn reservation(&self, caller: &common::auth::AuthUser, id: &str) -> Result<ReservationView, ApiError> {
        let r = self.store.reservation(id).await?.ok_or_else(|| ApiError::not_found("reservation"))?;
        if !caller.may_read(&r.user_id) {
            return Err(ApiError::forbidden("not your reservation"));
        }
        Ok(ReservationView::new(&r, now()))
    }

    pub async fn my_reservations(&self, user_id: &str) -> Result<ReservationList, ApiError> {
        let t = now();
        let rows = self.store.active_of(user_id, t).await?;
        Ok(ReservationList { reservations: rows.iter().map(|r| ReservationView::new(r, t)).collect() })
    }

    /// The owner lets go of one hold. Cancelling a cancelled hold is fine; a confirmed or expired one
    /// is not active.
    pub async fn cancel_one(&self, user_id: &str, id: &str) -> Result<(), ApiError> {
        let r = self.store.reservation(id).await?.ok_or_else(|| ApiError::not_found("reservation"))?;
        if r.user_id != user_id {
            return Err(ApiError::forbidden("not your reservation"));
        }
        match r.status.as_str() {
            "CANCELLED" => Ok(()),
            "ACTIVE" => self.release(&[id.to_string()], user_id).await.map(|_| ()),
            _ => Err(refusal(Refusal::NotActive)),
        }
    }

    pub async fn cancel_many(&self, user_id: &str, ids: &[String]) -> Result<u64, ApiError> {
        self.release(ids, user_id).await
    }

    /// Seats given back, and those handed on to the waitlist at once: the board follows.
    pub(crate) fn board_released(&self, r: &Released) -> u64 {
        self.board.freed(&r.freed);
        self.board_held(&r.offered);
        r.freed.len() as u64
    }

    pub(crate) fn board_held(&self, rows: &[ReservationRow]) {
        if !rows.is_empty() {
            self.board.held(rows);
        }
    }

    // --- internal calls for the booking service ---

    pub async fn confirm(&self, ids: &[String], user_id: &str, booking_id: &str) -> Result<ReservationList, ApiError> {
        let ids = check_ids("reservationIds", ids)?;
        let t = now();
        let rows = self.store.confirm(&ids, user_id, booking_id, t).await?.map_err(refusal)?;
        self.board.booked(&rows);
        Ok(ReservationList { reservations: rows.iter().map(|r| ReservationView::new(r, t)).collect() })
    }

    pub async fn release(&self, ids: &[String], user_id: &str) -> Result<u64, ApiError> {
        let ids = check_ids("reservationIds", ids)?;
        let released = self.store.release(&ids, Some(user_id), now()).await?.map_err(refusal)?;
        Ok(self.board_released(&released))
    }

    pub async fn free_booked(&self, ids: &[String], booking_id: &str) -> Result<u64, ApiError> {
        let ids = check_ids("reservationIds", ids)?;
        let released = self.store.free_booked(&ids, booking_id, now()).await?.map_err(refusal)?;
        Ok(self.board_released(&released))
    }

    /// One pass of the cleanup job. Returns how many holds it expired.
    pub async fn cleanup_once(&self) -> Result<u64, ApiError> {
        let started = Instant::now();
        let mut total = 0;
        loop {
            let released = self.store.expire_due(now(), 1000).await?;
            self.board_held(&released.offered);
            let n = released.freed.len() as u64;
            total += n;
            if n < 1000 {
                break;
            }
        }
        metrics::histogram!("cleanup_duration_seconds").record(started.elapsed().as_secs_f64());
        metrics::counter!("holds_expired_total").increment(total);
        Ok(total)
    }

    /// Run the cleanup job every `cleanup_interval`, and every second where a waitlist waits for
    /// the seats of run-out holds (`store/waitlist.rs`); safe on every replica at once.
    pub fn spawn_cleanup(self: &Arc<Self>) {
        let svc = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last_full: Option<Instant> = None;
            loop {
                every.tick().await;
                let due = last_full.is_none_or(|t| t.elapsed() >= svc.cfg.cleanup_interval);
                if !due && !svc.store.waitlisted_due(now()).await.unwrap_or(false) {
                    continue;
                }
                if due {
                    last_full = Some(Instant::now());
                }
                match svc.cleanup_once().await {
                    Ok(n) if n > 0 => tracing::info!(expired = n, "expired holds"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "cleanup pass failed"),
                }
            }
        });
    }

    pub async fn ping(&self) -> Result<(), String> {
        self.store.db.ping().await.map_err(|e| format!("database: {e}"))?;
        self.locks.ping().await.map_err(|e| e.to_string())
    }

    pub async fn reservations_by_id(&self, ids: &[String]) -> Result<Vec<ReservationRow>, ApiError> {
        Ok(self.store.reservations(ids).await?)
    }
}

#[async_trait]
impl InventoryApi for InventoryService {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError> {
        Ok(store::outbox::read_after(&self.store.db, after, limit).await?)
    }
    async fn seat_counts(&self, event_id: &str) -> Result<SeatCounts, ApiError> {
        let (c, _sections) = self.board.get_synced(&self.store, event_id).await?.seats().counts(event_id, now());
        for (status, n) in [("AVAILABLE", c.available), ("RESERVED", c.reserved), ("BOOKED", c.booked), ("BLOCKED", c.blocked)] {
            metrics::gauge!("seats_by_status", "event" => event_id.to_string(), "status" => status).set(n as f64);
        }
        Ok(c)
    }
}
