//! SQL of the inventory. Every change of a seat's state is a conditional update here: the database
//! is the arbiter of who holds a seat (see the crate docs).

use crate::model::{ReservationRow, SeatRow};
use common::clients::SeatCounts;
use common::money::Money;
use std::collections::{HashMap, HashSet};
use store::group::{Batch, BoxFuture, Group};
use store::outbox::Announcement;
use store::{placeholders, run, tx_exec, tx_run, Db, StoreError, Tx};

mod holds;
mod waitlist;
pub use waitlist::{EntryRow, Joined, Released};

const SEAT_COLS: &str = "seat_id, event_id, seat_number, section, section_order, row_no, seat_index, row_size, seat_type, \
    price, status, hold_reservation_id, hold_user_id, reserved_until, version";
const RES_COLS: &str = "reservation_id, event_id, seat_id, seat_number, section, row_no, price, user_id, status, expires_at, \
    booking_id, created_at";

/// A seat counts as free when it is AVAILABLE or its hold has run out (lazy expiry).
const FREE: &str = "(status = 'AVAILABLE' OR (status = 'RESERVED' AND reserved_until <= ?))";

/// Whether a buyer may take this seat. `strict` when the event's waitlist has someone waiting: then
/// a hold that has run out is not free yet (the cleanup job hands its seat to the waitlist first).
fn free_to_buyers(s: &SeatRow, now: i64, strict: bool) -> bool {
    if strict {
        s.status == "AVAILABLE"
    } else {
        s.is_free(now)
    }
}

/// A hold that has run out but still sits on its seat (lazy expiry): free to buyers unless the
/// event's waitlist has someone waiting ([`free_to_buyers`]).
fn run_out(s: &SeatRow, now: i64) -> bool {
    s.status == "RESERVED" && s.reserved_until.is_some_and(|t| t <= now)
}

/// One buyer's request in a group commit: these seats of one event, all or none.
pub struct HoldRequest {
    pub event_id: String,
    pub user_id: String,
    pub seat_ids: Vec<String>,
}

/// Why a multi-seat change could not be made; nothing was changed.
#[derive(Debug)]
pub enum Refusal {
    /// These seats (numbers) are not free.
    Unavailable(Vec<String>),
    NotFound,
    NotOwner,
    Expired,
    NotActive,
    /// The buyer's per-event limit would be passed: (limit, seats held or booked now).
    Limit(i64, i64),
}

#[derive(Clone)]
pub struct InventoryStore {
    pub db: Db,
    /// The booking saga's confirmations, grouped (`store::group`); holds have their own group
    /// commit (`crate::batch`).
    group: Group,
    /// How long a waitlist offer's seats are held, in ms (`TICKETING_WAITLIST_OFFER_SECS`).
    waitlist_offer_ms: i64,
}

impl InventoryStore {
    pub fn new(db: Db) -> Self {
        let group = Group::start(db.clone(), "inventory");
        InventoryStore { db, group, waitlist_offer_ms: 900_000 }
    }

    pub fn with_waitlist_offer(mut self, ms: i64) -> Self {
        self.waitlist_offer_ms = ms;
        self
    }

    /// Replace the layout of an event that has no live hold and no booking.
    pub async fn replace_layout(&self, event_id: &str, seats: &[SeatRow], now: i64) -> Result<bool, StoreError> {
        let mut tx = self.db.begin().await?;
        let (live,): (i64,) = tx_run!(&mut tx, c => sqlx::query_as(
            "SELECT COUNT(*) FROM seats WHERE event_id = ? AND (status = 'BOOKED' OR (status = 'RESERVED' AND reserved_until > ?))")
            .bind(event_id).bind(now).fetch_one(c).await)?;
        if live > 0 {
            return Ok(false);
        }
        tx_exec!(&mut tx, c => sqlx::query("DELETE FROM reservations WHERE event_id = ?").bind(event_id).execute(c))?;
        tx_exec!(&mut tx, c => sqlx::query("DELETE FROM seats WHERE event_id = ?").bind(event_id).execute(c))?;
        for chunk in seats.chunks(500) {
            let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'AVAILABLE', 0, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "INSERT INTO seats (seat_id, event_id, seat_number, section, section_order, row_no, seat_index, row_size, \
                 seat_type, price, status, version, updated_at) VALUES {values}"
            );
            tx_exec!(&mut tx, c => {
                let mut q = sqlx::query(&sql);
                for s in chunk {
                    q = q.bind(&s.seat_id).bind(&s.event_id).bind(&s.seat_number).bind(&s.section).bind(s.section_order)
                        .bind(s.row_no).bind(s.seat_index).bind(s.row_size).bind(&s.seat_type).bind(s.price).bind(now);
                }
                q.execute(c)
            })?;
        }
        store::outbox::append(
            &mut tx,
            "event_seats",
            event_id,
            "LayoutReplaced",
            &serde_json::json!({"eventId": event_id, "totalSeats": seats.len()}),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn seats(&self, event_id: &str) -> Result<Vec<SeatRow>, StoreError> {
        run!(self.db.read(), p => sqlx::query_as(&format!(
            "SELECT {SEAT_COLS} FROM seats WHERE event_id = ? ORDER BY section_order, row_no, seat_index"))
            .bind(event_id).fetch_all(p).await)
        .map_err(Into::into)
    }

    /// Seats of an event last changed at or after `since` (ms): a shared board's catch-up read.
    pub async fn seats_changed_since(&self, event_id: &str, since: i64) -> Result<Vec<SeatRow>, StoreError> {
        run!(self.db.read(), p => sqlx::query_as(&format!("SELECT {SEAT_COLS} FROM seats WHERE event_id = ? AND updated_at >= ?"))
            .bind(event_id).bind(since).fetch_all(p).await)
        .map_err(Into::into)
    }

    pub async fn free_seats(&self, event_id: &str, section: Option<&str>, now: i64) -> Result<Vec<SeatRow>, StoreError> {
        let sql = format!(
            "SELECT {SEAT_COLS} FROM seats WHERE event_id = ? AND {FREE} {} ORDER BY section_order, row_no, seat_index",
            if section.is_some() { "AND section = ?" } else { "" }
        );
        run!(self.db.read(), p => {
            let mut q = sqlx::query_as(&sql).bind(event_id).bind(now);
            if let Some(s) = section {
                q = q.bind(s);
            }
            q.fetch_all(p).await
        })
        .map_err(Into::into)
    }

    pub async fn seats_by_number(&self, event_id: &str, numbers: &[String]) -> Result<Vec<SeatRow>, StoreError> {
        let sql = format!("SELECT {SEAT_COLS} FROM seats WHERE event_id = ? AND seat_number IN ({})", placeholders(numbers.len()));
        run!(self.db.read(), p => {
            let mut q = sqlx::query_as(&sql).bind(event_id);
            for n in numbers {
                q = q.bind(n);
            }
            q.fetch_all(p).await
        })
        .map_err(Into::into)
    }

    pub async fn has_section(&self, event_id: &str, section: &str) -> Result<bool, StoreError> {
        let row: Option<(String,)> = run!(self.db.read(), p => sqlx::query_as(
            "SELECT seat_id FROM seats WHERE event_id = ? AND section = ? LIMIT 1").bind(event_id).bind(section).fetch_optional(p).await)?;
        Ok(row.is_some())
    }

    /// Seats one buyer holds (live holds) or has bought for an event.
    pub async fn held_by(&self, event_id: &str, user_id: &str, now: i64) -> Result<i64, StoreError> {
        let (n,): (i64,) = run!(self.db.read(), p => sqlx::query_as(
            "SELECT COUNT(*) FROM reservations WHERE event_id = ? AND user_id = ? \
             AND (status = 'CONFIRMED' OR (status = 'ACTIVE' AND expires_at > ?))")
            .bind(event_id).bind(user_id).bind(now).fetch_one(p).await)?;
        Ok(n)
    }

    pub async fn reservation(&self, id: &str) -> Result<Option<ReservationRow>, StoreError> {
        run!(self.db.read(), p => sqlx::query_as(&format!("SELECT {RES_COLS} FROM reservations WHERE reservation_id = ?"))
            .bind(id).fetch_optional(p).await)
        .map_err(Into::into)
    }

    pub async fn reservations(&self, ids: &[String]) -> Result<Vec<ReservationRow>, StoreError> {
        let sql =
            format!("SELECT {RES_COLS} FROM reservations WHERE reservation_id IN ({}) ORDER BY reservation_id", placeholders(ids.len()));
        run!(self.db.read(), p => {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(p).await
        })
        .map_err(Into::into)
    }

    pub async fn active_of(&self, user_id: &str, now: i64) -> Result<Vec<ReservationRow>, StoreError> {
        run!(self.db.read(), p => sqlx::query_as(&format!(
            "SELECT {RES_COLS} FROM reservations WHERE user_id = ? AND status = 'ACTIVE' AND expires_at > ? ORDER BY created_at DESC, reservation_id"))
            .bind(user_id).bind(now).fetch_all(p).await).map_err(Into::into)
    }

    /// Load `ids` inside a transaction, checking that they exist and belong to `user_id` (when given).
    async fn owned(tx: &mut Tx, ids: &[String], user_id: Option<&str>) -> Result<Result<Vec<ReservationRow>, Refusal>, StoreError> {
        let rows = Self::held(tx, ids).await?;
        Ok(Self::all_found_and_owned(&rows, ids.len(), user_id).map(|()| rows))
    }

    /// The holds asked for (`asked` of them) were all found, and are all `user_id`'s when given.
    fn all_found_and_owned(rows: &[ReservationRow], asked: usize, user_id: Option<&str>) -> Result<(), Refusal> {
        if rows.len() != asked {
            return Err(Refusal::NotFound);
        }
        if user_id.is_some_and(|u| rows.iter().any(|r| r.user_id != u)) {
            return Err(Refusal::NotOwner);
        }
        Ok(())
    }

    /// The reservations of `ids` that exist, in id order; on MySQL locked until the commit, so
    /// what is decided from them stays true.
    async fn held(tx: &mut Tx, ids: &[String]) -> Result<Vec<ReservationRow>, StoreError> {
        let lock = if tx.is_mysql() { " FOR UPDATE" } else { "" };
        let sql = format!(
            "SELECT {RES_COLS}, waitlist_entry_id FROM reservations WHERE reservation_id IN ({}) ORDER BY reservation_id{lock}",
            placeholders(ids.len())
        );
        Ok(tx_run!(tx, c => {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(c).await
        })?)
    }

    /// Let go of live holds (the owner cancels, or a booking gave up before paying). Returns the
    /// reservations cancelled here, and the holds their seats became for the waitlist.
    pub async fn release(&self, ids: &[String], user_id: Option<&str>, now: i64) -> Result<Result<Released, Refusal>, StoreError> {
        let mut tx = self.db.begin().await?;
        let rows = match Self::owned(&mut tx, ids, user_id).await? {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let mut done = Vec::new();
        for r in rows.iter().filter(|r| r.status == "ACTIVE") {
            if Self::cancel_and_free(&mut tx, r, ("ACTIVE", "RESERVED"), now).await? == 1 {
                done.push(r.clone());
            }
        }
        let released = self.hand_on(&mut tx, done, Self::announcements(&rows, "SeatsReleased"), now).await?;
        tx.commit().await?;
        Ok(Ok(released))
    }

    /// After seats were freed in `tx`: the offers they belonged to have ended, and the waitlist
    /// gets the seats first ([`waitlist::offer_free`]); then everything is announced.
    async fn hand_on(
        &self,
        tx: &mut Tx,
        freed: Vec<ReservationRow>,
        mut said: Vec<Announcement>,
        now: i64,
    ) -> Result<Released, StoreError> {
        waitlist::offers_ended(tx, &freed, now).await?;
        let mut events: Vec<&str> = freed.iter().map(|r| r.event_id.as_str()).collect();
        events.sort_unstable();
        events.dedup();
        let mut offered = Vec::new();
        for e in events {
            offered.extend(waitlist::offer_free(tx, e, now, self.waitlist_offer_ms, &mut said).await?);
        }
        store::outbox::append_many(tx, &said).await?;
        Ok(Released { freed, offered })
    }

    /// Write new holds, one statement for all of them (every way a hold is made comes here: one
    /// buyer's, a group's, a waitlist offer's, which carries its entry).
    async fn insert_reservations(tx: &mut Tx, rows: &[ReservationRow], now: i64) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; rows.len()].join(", ");
        let sql = format!("INSERT INTO reservations ({RES_COLS}, updated_at, waitlist_entry_id) VALUES {values}");
        tx_exec!(tx, c => {
            let mut q = sqlx::query(&sql);
            for r in rows {
                q = q.bind(&r.reservation_id).bind(&r.event_id).bind(&r.seat_id).bind(&r.seat_number).bind(&r.section)
                    .bind(r.row_no).bind(r.price).bind(&r.user_id).bind(&r.status).bind(r.expires_at).bind(&r.booking_id)
                    .bind(r.created_at).bind(now).bind(&r.waitlist_entry_id);
            }
            q.execute(c)
        })?;
        Ok(())
    }

    /// Cancel a reservation that is still in state `from.0` and free its seat if the seat is still
    /// `from.1` for it (both conditional, so a concurrent change wins cleanly). Returns 1 if the
    /// reservation was cancelled here.
    async fn cancel_and_free(tx: &mut Tx, r: &ReservationRow, from: (&str, &str), now: i64) -> Result<u64, StoreError> {
        let n = tx_exec!(tx, c => sqlx::query(
            "UPDATE reservations SET status = 'CANCELLED', updated_at = ? WHERE reservation_id = ? AND status = ?")
            .bind(now).bind(&r.reservation_id).bind(from.0).execute(c))?;
        tx_exec!(tx, c => sqlx::query(
            "UPDATE seats SET status = 'AVAILABLE', hold_reservation_id = NULL, hold_user_id = NULL, reserved_until = NULL, \
             version = version + 1, updated_at = ? WHERE seat_id = ? AND hold_reservation_id = ? AND status = ?")
            .bind(now).bind(&r.seat_id).bind(&r.reservation_id).bind(from.1).execute(c))?;
        Ok(n)
    }

    /// One outbox row per event touched.
    fn announcements(rows: &[ReservationRow], what: &str) -> Vec<Announcement> {
        let mut events: Vec<&str> = rows.iter().map(|r| r.event_id.as_str()).collect();
        events.sort();
        events.dedup();
        events
            .into_iter()
            .map(|e| {
                let ids: Vec<&str> = rows.iter().filter(|r| r.event_id == e).map(|r| r.reservation_id.as_str()).collect();
                Announcement::new("event_seats", e, what, serde_json::json!({"eventId": e, "reservationIds": ids}))
            })
            .collect()
    }

    /// Book the seats of live holds for their bookings (`(booking id, hold)` pairs, of one or many
    /// confirmations): two statements; [`StoreError::Changed`] if any of them was not live.
    async fn book(tx: &mut Tx, holds: &[(&str, &ReservationRow)], now: i64) -> Result<(), StoreError> {
        let n = holds.len();
        let sql = format!(
            "UPDATE reservations SET status = 'CONFIRMED', booking_id = CASE reservation_id {} END, updated_at = ? \
             WHERE reservation_id IN ({}) AND status = 'ACTIVE' AND expires_at > ?",
            vec!["WHEN ? THEN ?"; n].join(" "),
            placeholders(n)
        );
        let a = tx_exec!(&mut *tx, c => {
            let mut q = sqlx::query(&sql);
            for (booking_id, r) in holds {
                q = q.bind(&r.reservation_id).bind(*booking_id);
            }
            q = q.bind(now);
            for (_, r) in holds {
                q = q.bind(&r.reservation_id);
            }
            q.bind(now).execute(c)
        })?;
        let sql = format!(
            "UPDATE seats SET status = 'BOOKED', reserved_until = NULL, version = version + 1, updated_at = ? \
             WHERE seat_id IN ({}) AND hold_reservation_id IN ({}) AND status = 'RESERVED' AND reserved_until > ?",
            placeholders(n),
            placeholders(n)
        );
        let b = tx_exec!(&mut *tx, c => {
            let mut q = sqlx::query(&sql).bind(now);
            for (_, r) in holds {
                q = q.bind(&r.seat_id);
            }
            for (_, r) in holds {
                q = q.bind(&r.reservation_id);
            }
            q.bind(now).execute(c)
        })?;
        if a != n as u64 || b != n as u64 {
            return Err(StoreError::Changed);
        }
        Ok(())
    }

    /// Check that every hold is live (not expired, still `ACTIVE`); used by confirm.
    fn check_live(rows: &[ReservationRow], now: i64) -> Result<(), Refusal> {
        if rows.iter().any(|r| r.status == "ACTIVE" && r.expires_at <= now) || rows.iter().any(|r| r.status == "EXPIRED") {
            return Err(Refusal::Expired);
        }
        if rows.iter().any(|r| r.status != "ACTIVE") {
            return Err(Refusal::NotActive);
        }
        Ok(())
    }

    /// Turn live holds into booked seats for `booking_id`: the booking saga does it before it
    /// charges, and frees them ([`Self::free_booked`]) if the charge is declined. All or nothing;
    /// an expired hold is refused, and so is one already booked (by another booking of the same
    /// buyer, under another idempotency key: it cannot be charged twice). Grouped with other
    /// buyers' confirmations in one transaction (`store::group`); a hold has its own group commit.
    pub async fn confirm(
        &self,
        ids: &[String],
        user_id: &str,
        booking_id: &str,
        now: i64,
    ) -> Result<Result<Vec<ReservationRow>, Refusal>, StoreError> {
        let item = Confirm { ids: ids.to_vec(), user_id: user_id.to_string(), booking_id: booking_id.to_string(), now };
        match self.group.run_batch(item).await {
            Err(StoreError::Changed) => Ok(Err(Refusal::Expired)),
            other => other,
        }
    }

    /// A confirmed booking was cancelled: its seats are free again.
    pub async fn free_booked(&self, ids: &[String], booking_id: &str, now: i64) -> Result<Result<Released, Refusal>, StoreError> {
        let mut tx = self.db.begin().await?;
        let rows = match Self::owned(&mut tx, ids, None).await? {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let mut done = Vec::new();
        for r in rows.iter().filter(|r| r.status == "CONFIRMED" && r.booking_id.as_deref() == Some(booking_id)) {
            if Self::cancel_and_free(&mut tx, r, ("CONFIRMED", "BOOKED"), now).await? == 1 {
                done.push(r.clone());
            }
        }
        let released = self.hand_on(&mut tx, done, Self::announcements(&rows, "SeatsFreed"), now).await?;
        tx.commit().await?;
        Ok(Ok(released))
    }

    /// The cleanup job: mark up to `limit` run-out holds `EXPIRED` and free their seats. The same
    /// conditional updates as everywhere, so it races harmlessly with reserve and confirm, and
    /// with itself on other processes.
    pub async fn expire_due(&self, now: i64, limit: i64) -> Result<Released, StoreError> {
        let due: Vec<ReservationRow> = run!(self.db.read(), p => sqlx::query_as(&format!(
            "SELECT {RES_COLS}, waitlist_entry_id FROM reservations WHERE status = 'ACTIVE' AND expires_at <= ? ORDER BY expires_at LIMIT ?"))
            .bind(now).bind(limit).fetch_all(p).await)?;
        let mut expired = Released::default();
        for chunk in due.chunks(100) {
            let mut tx = self.db.begin().await?;
            let mut done = Vec::new();
            for r in chunk {
                let a = tx_exec!(&mut tx, c => sqlx::query(
                    "UPDATE reservations SET status = 'EXPIRED', updated_at = ? WHERE reservation_id = ? AND status = 'ACTIVE' AND expires_at <= ?")
                    .bind(now).bind(&r.reservation_id).bind(now).execute(c))?;
                if a == 1 {
                    tx_exec!(&mut tx, c => sqlx::query(
                        "UPDATE seats SET status = 'AVAILABLE', hold_reservation_id = NULL, hold_user_id = NULL, reserved_until = NULL, \
                         version = version + 1, updated_at = ? WHERE seat_id = ? AND hold_reservation_id = ? AND status = 'RESERVED' AND reserved_until <= ?")
                        .bind(now).bind(&r.seat_id).bind(&r.reservation_id).bind(now).execute(c))?;
                    done.push(r.clone());
                }
            }
            let said = Self::announcements(&done, "HoldsExpired");
            let released = self.hand_on(&mut tx, done, said, now).await?;
            tx.commit().await?;
            expired.freed.extend(released.freed);
            expired.offered.extend(released.offered);
        }
        Ok(expired)
    }

    /// Counts by effective status, overall and per section (in layout order).
    pub async fn counts(&self, event_id: &str, now: i64) -> Result<(SeatCounts, Vec<SectionCounts>), StoreError> {
        let rows: Vec<(String, i64, String, i64, i64, i64)> = run!(self.db.read(), p => sqlx::query_as(
            "SELECT section, section_order, CASE WHEN status = 'RESERVED' AND reserved_until <= ? THEN 'AVAILABLE' ELSE status END AS st, \
             COUNT(*) AS n, MIN(price) AS lo, MAX(price) AS hi FROM seats WHERE event_id = ? \
             GROUP BY section, section_order, st ORDER BY section_order")
            .bind(now).bind(event_id).fetch_all(p).await)?;
        let mut t = Tally::new(event_id);
        for (section, _order, st, n, lo, hi) in rows {
            t.add(&section, &st, n, lo, hi);
        }
        Ok(t.finish())
    }
}

/// One booking's confirmation of its holds ([`InventoryStore::confirm`]): an item of the
/// inventory's group commit. A group's confirmations read their holds with one statement and book
/// them with two, whatever their number.
struct Confirm {
    ids: Vec<String>,
    user_id: String,
    booking_id: String,
    now: i64,
}

impl Confirm {
    /// What this confirmation does with its holds (`rows`, found by id): `(false, holds)` when
    /// they are booked for it already (a retried call), `(true, holds)` to book them, or refused.
    fn decide(&self, rows: &HashMap<&str, &ReservationRow>) -> Result<(bool, Vec<ReservationRow>), Refusal> {
        let mine: Vec<ReservationRow> = self.ids.iter().filter_map(|id| rows.get(id.as_str()).map(|r| (*r).clone())).collect();
        InventoryStore::all_found_and_owned(&mine, self.ids.len(), Some(&self.user_id))?;
        if mine.iter().all(|r| r.status == "CONFIRMED" && r.booking_id.as_deref() == Some(self.booking_id.as_str())) {
            return Ok((false, mine));
        }
        InventoryStore::check_live(&mine, self.now)?;
        Ok((true, mine))
    }
}

impl Batch for Confirm {
    type Answer = Result<Vec<ReservationRow>, Refusal>;

    fn run<'a>(
        tx: &'a mut Tx,
        items: Vec<&'a Self>,
        said: &'a mut Vec<Announcement>,
    ) -> BoxFuture<'a, Result<Vec<Self::Answer>, StoreError>> {
        Box::pin(async move {
            let ids: Vec<String> = items.iter().flat_map(|c| c.ids.iter().cloned()).collect();
            if items.len() > 1 && !store::distinct(&ids) {
                // Two confirmations of one hold in a group: each alone, the second sees the first.
                return Err(StoreError::Changed);
            }
            let now = items.iter().map(|c| c.now).min().unwrap_or_default();
            let rows = InventoryStore::held(tx, &ids).await?;
            if rows.len() != ids.len() && items.len() > 1 {
                // A hold that does not exist (rare): each alone, so that only its own answer says so.
                return Err(StoreError::Changed);
            }
            let by_id: HashMap<&str, &ReservationRow> = rows.iter().map(|r| (r.reservation_id.as_str(), r)).collect();
            let decided: Vec<_> = items.iter().map(|c| c.decide(&by_id)).collect();
            let to_book: Vec<(&str, &ReservationRow)> = items
                .iter()
                .zip(&decided)
                .filter_map(|(c, d)| match d {
                    Ok((true, mine)) => Some(mine.iter().map(move |r| (c.booking_id.as_str(), r))),
                    _ => None,
                })
                .flatten()
                .collect();
            if !to_book.is_empty() {
                InventoryStore::book(tx, &to_book, now).await?;
            }
            let mut booked = Vec::new();
            let answers = items
                .iter()
                .zip(decided)
                .map(|(c, d)| {
                    d.map(|(fresh, mut mine)| {
                        if fresh {
                            for r in mine.iter_mut() {
                                r.status = "CONFIRMED".into();
                                r.booking_id = Some(c.booking_id.clone());
                            }
                            booked.extend(mine.iter().cloned());
                        }
                        mine
                    })
                })
                .collect();
            // Holds a waitlist offered: the entry is served (no statement for ordinary holds).
            waitlist::offers_taken(tx, &booked, now).await?;
            said.extend(InventoryStore::announcements(&booked, "SeatsBooked"));
            Ok(answers)
        })
    }
}

/// Seat counts summed group by group (sections in layout order): from the database's `GROUP BY`,
/// or seat by seat from the board.
pub struct Tally {
    total: SeatCounts,
    sections: Vec<SectionCounts>,
}

impl Tally {
    pub fn new(event_id: &str) -> Self {
        Tally { total: SeatCounts { event_id: event_id.to_string(), ..Default::default() }, sections: Vec::new() }
    }

    /// `n` seats of `section` in effective status `st`, priced from `lo` to `hi` (cents).
    pub fn add(&mut self, section: &str, st: &str, n: i64, lo: i64, hi: i64) {
        let (lo, hi) = (Money(lo), Money(hi));
        match self.sections.last_mut() {
            Some(s) if s.section == section => {}
            _ => self.sections.push(SectionCounts { section: section.to_string(), total: 0, available: 0, min_price: lo, max_price: hi }),
        }
        let s = self.sections.last_mut().expect("pushed above");
        let total = &mut self.total;
        s.total += n;
        s.min_price = s.min_price.min(lo);
        s.max_price = s.max_price.max(hi);
        total.total += n;
        total.min_price = Some(total.min_price.map_or(lo, |m| m.min(lo)));
        total.max_price = Some(total.max_price.map_or(hi, |m| m.max(hi)));
        match st {
            "AVAILABLE" => {
                s.available += n;
                total.available += n;
            }
            "RESERVED" => total.reserved += n,
            "BOOKED" => total.booked += n,
            _ => total.blocked += n,
        }
    }

    pub fn finish(self) -> (SeatCounts, Vec<SectionCounts>) {
        (self.total, self.sections)
    }
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SectionCounts {
    pub section: String,
    pub total: i64,
    pub available: i64,
    pub min_price: Money,
    pub max_price: Money,
}

impl InventoryStore {
    /// Every seat of every event, for the audit: one pass over the table (a 100,000-seat venue
    /// is a few megabytes, read once a minute).
    pub async fn audit_seats(&self) -> Result<Vec<SeatRow>, StoreError> {
        run!(self.db.read(), p => sqlx::query_as(&format!("SELECT {SEAT_COLS} FROM seats"))
            .fetch_all(p).await)
        .map_err(Into::into)
    }

    /// The reservations that hold or own a seat now (`ACTIVE`, `CONFIRMED`).
    pub async fn audit_reservations(&self) -> Result<Vec<ReservationRow>, StoreError> {
        run!(self.db.read(), p => sqlx::query_as(&format!(
            "SELECT {RES_COLS} FROM reservations WHERE status IN ('ACTIVE', 'CONFIRMED')"))
            .fetch_all(p).await)
        .map_err(Into::into)
    }
}
