//! The seat board: each event's seats in memory, so that the questions every request of a sale asks
//! — is this seat free? which seats are best? how many are left? — are answered without a query.
//!
//! The board never grants a seat. A hold is granted only by the guarded transaction in
//! [`InventoryStore::reserve`]; the board answers *no* early, chooses candidates, and draws the map.
//! Each committed change made by this process is applied to it right after the commit (holds, pins,
//! confirmations, releases), and a hold past its time reads as free, as everywhere else.
//!
//! Two modes, chosen by who else can write the seats:
//! - **exclusive** (SQLite: this process is the only writer of the inventory database, see
//!   docs/operations.md): the board follows every change, so it is exact. It refuses seats that are
//!   taken with `409` at once, and it serves the availability summary and the seat map. As a safety
//!   net it is read again from the database every [`EXCLUSIVE_MAX_AGE`].
//! - **shared** (MySQL: other processes change seats too): the board is read again when older than
//!   [`SHARED_MAX_AGE`] and only chooses best-available candidates; a stale choice loses in the guard
//!   and is chosen again. Named seats are checked against the database.
//!
//! Either way, when the guard refuses a seat the board thought free, the event's board is read again.

use crate::model::{ReservationRow, SeatRow};
use crate::store::{InventoryStore, SectionCounts, Tally};
use common::clients::SeatCounts;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use store::StoreError;

pub const EXCLUSIVE_MAX_AGE: Duration = Duration::from_secs(10);
pub const SHARED_MAX_AGE: Duration = Duration::from_millis(250);

pub struct Board {
    exclusive: bool,
    max_age: Duration,
    events: Mutex<HashMap<String, Arc<EventBoard>>>,
}

/// One event's seats.
#[derive(Default)]
pub struct EventBoard {
    seats: Mutex<Seats>,
    /// One reader of the database at a time per event; the others wait and use its result.
    loading: tokio::sync::Mutex<()>,
    /// Bumped by every change applied; a load that saw it move cannot trust its snapshot.
    changes: AtomicU64,
}

#[derive(Default)]
pub struct Seats {
    /// In layout order (section, row, seat).
    pub rows: Vec<SeatRow>,
    by_number: HashMap<String, usize>,
    by_id: HashMap<String, usize>,
    loaded_at: Option<Instant>,
    /// The last counts, good until a change is applied or the earliest hold runs out.
    counted: Option<Counted>,
}

struct Counted {
    valid_until: i64,
    counts: (SeatCounts, Vec<SectionCounts>),
}

impl Seats {
    fn new(rows: Vec<SeatRow>) -> Self {
        let by_number = rows.iter().enumerate().map(|(i, s)| (s.seat_number.clone(), i)).collect();
        let by_id = rows.iter().enumerate().map(|(i, s)| (s.seat_id.clone(), i)).collect();
        Seats { rows, by_number, by_id, loaded_at: Some(Instant::now()), counted: None }
    }

    pub fn by_number(&self, number: &str) -> Option<&SeatRow> {
        self.by_number.get(number).map(|&i| &self.rows[i])
    }

    pub fn has_section(&self, section: &str) -> bool {
        self.rows.iter().any(|s| s.section == section)
    }

    /// Counts by effective status, overall and per section, as [`InventoryStore::counts`] gives them.
    /// Counted once per change: kept until a seat changes or the earliest hold runs out.
    pub fn counts(&mut self, event_id: &str, now: i64) -> (SeatCounts, Vec<SectionCounts>) {
        if let Some(c) = self.counted.as_ref().filter(|c| now < c.valid_until) {
            return c.counts.clone();
        }
        let mut t = Tally::new(event_id);
        let mut valid_until = i64::MAX;
        for s in &self.rows {
            let st = s.effective_status(now);
            if st == "RESERVED" {
                valid_until = valid_until.min(s.reserved_until.unwrap_or(i64::MAX));
            }
            t.add(&s.section, st, 1, s.price, s.price);
        }
        let counts = t.finish();
        self.counted = Some(Counted { valid_until, counts: counts.clone() });
        counts
    }

    fn seat_mut(&mut self, seat_id: &str) -> Option<&mut SeatRow> {
        self.counted = None;
        self.by_id.get(seat_id).map(|&i| &mut self.rows[i])
    }
}

impl EventBoard {
    fn needs_load(&self, max_age: Duration) -> bool {
        self.seats.lock().expect("board").loaded_at.is_none_or(|t| t.elapsed() > max_age)
    }

    /// The seats, for a short synchronous look (never held across an await).
    pub fn seats(&self) -> MutexGuard<'_, Seats> {
        self.seats.lock().expect("board")
    }

    fn apply(&self, seat_id: &str, f: impl FnOnce(&mut SeatRow)) {
        self.changes.fetch_add(1, Ordering::AcqRel);
        if let Some(s) = self.seats().seat_mut(seat_id) {
            f(s);
        }
    }

    /// Read again from the database at the next use.
    fn forget(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
        self.seats().loaded_at = None;
    }
}

impl Board {
    pub fn new(exclusive: bool) -> Self {
        let max_age = if exclusive { EXCLUSIVE_MAX_AGE } else { SHARED_MAX_AGE };
        Board { exclusive, max_age, events: Mutex::new(HashMap::new()) }
    }

    /// Is this process the only writer, so that the board is exact?
    pub fn exclusive(&self) -> bool {
        self.exclusive
    }

    fn entry(&self, event_id: &str) -> Arc<EventBoard> {
        let mut events = self.events.lock().expect("board");
        events.entry(event_id.to_string()).or_default().clone()
    }

    fn existing(&self, event_id: &str) -> Option<Arc<EventBoard>> {
        self.events.lock().expect("board").get(event_id).cloned()
    }

    /// The event's board, read from the database first if it is missing or too old.
    pub async fn get(&self, store: &InventoryStore, event_id: &str) -> Result<Arc<EventBoard>, StoreError> {
        let eb = self.entry(event_id);
        if !eb.needs_load(self.max_age) {
            return Ok(eb);
        }
        let _one = eb.loading.lock().await;
        if !eb.needs_load(self.max_age) {
            return Ok(eb.clone());
        }
        let before = eb.changes.load(Ordering::Acquire);
        let rows = store.seats(event_id).await?;
        if rows.is_empty() {
            // No seats (yet), or no such event: keep nothing, so that unknown ids cost no memory.
            self.events.lock().expect("board").remove(event_id);
        }
        let mut fresh = Seats::new(rows);
        if eb.changes.load(Ordering::Acquire) != before {
            // A change was applied while we read: our snapshot may predate it. Use it for this
            // request (the guard decides anyway) and read again next time.
            fresh.loaded_at = None;
        }
        *eb.seats() = fresh;
        Ok(eb.clone())
    }

    /// Holds granted by the guard.
    pub fn held(&self, rows: &[ReservationRow]) {
        for r in rows {
            let Some(eb) = self.existing(&r.event_id) else { continue };
            eb.apply(&r.seat_id, |s| {
                s.status = "RESERVED".into();
                s.hold_reservation_id = Some(r.reservation_id.clone());
                s.hold_user_id = Some(r.user_id.clone());
                s.reserved_until = Some(r.expires_at);
                s.version += 1;
            });
        }
    }

    /// Holds extended (pinned for a payment).
    pub fn pinned(&self, rows: &[ReservationRow]) {
        for r in rows {
            if let Some(eb) = self.existing(&r.event_id) {
                eb.apply(&r.seat_id, |s| {
                    s.reserved_until = Some(r.expires_at);
                    s.version += 1;
                });
            }
        }
    }

    /// Holds turned into bookings.
    pub fn booked(&self, rows: &[ReservationRow]) {
        for r in rows {
            if let Some(eb) = self.existing(&r.event_id) {
                eb.apply(&r.seat_id, |s| {
                    s.status = "BOOKED".into();
                    s.reserved_until = None;
                    s.version += 1;
                });
            }
        }
    }

    /// Seats given back (a hold released, a booking cancelled).
    pub fn freed(&self, rows: &[ReservationRow]) {
        for r in rows {
            if let Some(eb) = self.existing(&r.event_id) {
                eb.apply(&r.seat_id, |s| {
                    if s.hold_reservation_id.as_deref() == Some(r.reservation_id.as_str()) {
                        s.status = "AVAILABLE".into();
                        s.hold_reservation_id = None;
                        s.hold_user_id = None;
                        s.reserved_until = None;
                        s.version += 1;
                    }
                });
            }
        }
    }

    /// The guard disagreed with the board, or the layout changed: read the event again.
    pub fn forget(&self, event_id: &str) {
        if let Some(eb) = self.existing(event_id) {
            eb.forget();
        }
    }
}
