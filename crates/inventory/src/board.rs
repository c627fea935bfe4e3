//! The seat board: each event's seats in memory, so that the questions every request of a sale asks
//! — is this seat free? which seats are best? how many are left? — are answered without a query.
//!
//! The board never grants a seat. A hold is granted only by the guarded transaction in
//! [`InventoryStore::reserve`] or [`InventoryStore::reserve_many`]; the board answers *no* early,
//! chooses candidates, and draws the map. Each committed change made by this process is applied to
//! it right after the commit (holds, confirmations, releases), and a hold past its time reads
//! as free, as everywhere else.
//!
//! Two modes, chosen by who else can write the seats:
//! - **exclusive** (SQLite: this process is the only writer of the inventory database, see
//!   docs/operations.md): the board follows every change, so it is exact. It refuses seats that are
//!   taken with `409` at once, and it serves the availability summary and the seat map. As a safety
//!   net it is read again from the database every [`EXCLUSIVE_MAX_AGE`].
//! - **shared** (MySQL: other processes change seats too): the board catches up (in the
//!   background) when older than [`SHARED_MAX_AGE`], by reading only the seats changed since its
//!   last read (less [`CHANGE_OVERLAP_MS`], for transactions that commit late and clocks a little
//!   apart), and reads the whole venue again every [`SHARED_FULL_EVERY`] for what that missed. It
//!   chooses best-available candidates (a stale choice loses in the guard and is chosen again) and
//!   serves the availability summary (this process's changes at once, the others' within that half
//!   second; the events service's copy of the counts first catches up, see [`Board::get_synced`]). Named seats it thinks free
//!   go straight to the guard (which decides anyway); named seats it thinks taken or does not know
//!   are read from the database before a refusal, and so is the seat map.
//!
//! Either way, when the guard refuses a seat the board thought free, the event's board is read again.

use crate::model::{ReservationRow, SeatRow};
use crate::store::{InventoryStore, SectionCounts};
use common::clients::SeatCounts;
use common::money::Money;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use store::StoreError;

pub const EXCLUSIVE_MAX_AGE: Duration = Duration::from_secs(300);
pub const SHARED_MAX_AGE: Duration = Duration::from_millis(500);
pub const SHARED_FULL_EVERY: Duration = Duration::from_secs(10);
pub const CHANGE_OVERLAP_MS: i64 = 500;

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
    /// A refresh of an old (but usable) copy is under way in the background.
    refreshing: AtomicBool,
}

/// How usable an event's copy is.
enum Age {
    Fresh,
    /// Older than the board's limit: still used while a fresh copy is read in the background.
    Old,
    /// None yet, or known to be behind: read before use.
    Missing,
}

/// What a committed change did to a seat (the reservation row says which seat, hold and time).
#[derive(Clone, Copy)]
enum Change {
    Held,
    Booked,
    Freed,
}

/// A seat's stored status as an index into [`Section::by_status`].
fn slot(status: &str) -> usize {
    match status {
        "AVAILABLE" => 0,
        "RESERVED" => 1,
        "BOOKED" => 2,
        _ => 3,
    }
}

/// A section's seats counted by stored status, kept up to date by every change.
struct Section {
    name: String,
    lo: i64,
    hi: i64,
    by_status: [i64; 4],
}

#[derive(Default)]
pub struct Seats {
    /// In layout order (section, row, seat).
    pub rows: Vec<SeatRow>,
    by_number: HashMap<String, usize>,
    by_id: HashMap<String, usize>,
    sections: Vec<Section>,
    section_of: Vec<usize>,
    /// Holds by the moment they run out, so that counting finds them without a scan (entries of
    /// holds changed since are skipped).
    expiring: BinaryHeap<Reverse<(i64, usize)>>,
    loaded_at: Option<Instant>,
    /// When the whole venue was last read.
    full_at: Option<Instant>,
    /// The clock (ms) when the last read began: changes from then on are still to be read.
    synced_ms: i64,
    /// Changes applied while a fresh copy is read from the database, replayed onto it.
    journal: Option<Vec<(Change, ReservationRow)>>,
}

impl Seats {
    fn new(rows: Vec<SeatRow>) -> Self {
        let mut seats = Seats {
            loaded_at: Some(Instant::now()),
            full_at: Some(Instant::now()),
            synced_ms: common::time::now_ms(),
            ..Default::default()
        };
        for (i, s) in rows.iter().enumerate() {
            seats.by_number.insert(s.seat_number.clone(), i);
            seats.by_id.insert(s.seat_id.clone(), i);
            match seats.sections.last_mut() {
                Some(sec) if sec.name == s.section => {
                    sec.lo = sec.lo.min(s.price);
                    sec.hi = sec.hi.max(s.price);
                }
                _ => seats.sections.push(Section { name: s.section.clone(), lo: s.price, hi: s.price, by_status: [0; 4] }),
            }
            let sec = seats.sections.len() - 1;
            seats.sections[sec].by_status[slot(&s.status)] += 1;
            seats.section_of.push(sec);
            if let (Some(until), "RESERVED") = (s.reserved_until, s.status.as_str()) {
                seats.expiring.push(Reverse((until, i)));
            }
        }
        seats.rows = rows;
        seats
    }

    /// A copy read from the database, with the changes applied while it was read.
    fn replayed(rows: Vec<SeatRow>, journal: &[(Change, ReservationRow)]) -> Self {
        let mut fresh = Seats::new(rows);
        for (change, r) in journal {
            fresh.apply(*change, r);
        }
        fresh
    }

    /// Seats read again from the database replace their copies; false (and nothing changed) when
    /// one of them is not on the board (a new layout: the whole venue must be read).
    fn merge(&mut self, rows: Vec<SeatRow>) -> bool {
        if rows.iter().any(|r| !self.by_id.contains_key(&r.seat_id)) {
            return false;
        }
        for row in rows {
            let i = self.by_id[&row.seat_id];
            self.set(i, move |s| *s = row);
        }
        true
    }

    pub fn by_number(&self, number: &str) -> Option<&SeatRow> {
        self.by_number.get(number).map(|&i| &self.rows[i])
    }

    pub fn has_section(&self, section: &str) -> bool {
        self.sections.iter().any(|s| s.name == section)
    }

    /// Change seat `i`, keeping the section counts and the expiry queue in step.
    fn set(&mut self, i: usize, f: impl FnOnce(&mut SeatRow)) {
        let before = slot(&self.rows[i].status);
        f(&mut self.rows[i]);
        let s = &self.rows[i];
        let sec = &mut self.sections[self.section_of[i]];
        sec.by_status[before] -= 1;
        sec.by_status[slot(&s.status)] += 1;
        if let (Some(until), "RESERVED") = (s.reserved_until, s.status.as_str()) {
            self.expiring.push(Reverse((until, i)));
        }
    }

    fn apply(&mut self, change: Change, r: &ReservationRow) {
        let Some(&i) = self.by_id.get(&r.seat_id) else { return };
        match change {
            Change::Held => self.set(i, |s| {
                s.status = "RESERVED".into();
                s.hold_reservation_id = Some(r.reservation_id.clone());
                s.hold_user_id = Some(r.user_id.clone());
                s.reserved_until = Some(r.expires_at);
                s.version += 1;
            }),
            Change::Booked => self.set(i, |s| {
                s.status = "BOOKED".into();
                s.reserved_until = None;
                s.version += 1;
            }),
            Change::Freed if self.rows[i].hold_reservation_id.as_deref() == Some(r.reservation_id.as_str()) => self.set(i, free),
            Change::Freed => {}
        }
    }

    /// Holds that have run out read as free from that moment, as for the guard and every reader.
    fn expire(&mut self, now: i64) {
        while let Some(&Reverse((until, i))) = self.expiring.peek() {
            if until > now {
                break;
            }
            self.expiring.pop();
            let s = &self.rows[i];
            if s.status == "RESERVED" && s.reserved_until == Some(until) {
                self.set(i, free);
            }
        }
    }

    /// Counts by effective status, overall and per section, as [`InventoryStore::counts`] gives
    /// them; the work is per section, not per seat.
    pub fn counts(&mut self, event_id: &str, now: i64) -> (SeatCounts, Vec<SectionCounts>) {
        self.expire(now);
        let mut total = SeatCounts { event_id: event_id.to_string(), ..Default::default() };
        let mut sections = Vec::with_capacity(self.sections.len());
        for s in &self.sections {
            let [available, reserved, booked, blocked] = s.by_status;
            let n = available + reserved + booked + blocked;
            total.total += n;
            total.available += available;
            total.reserved += reserved;
            total.booked += booked;
            total.blocked += blocked;
            total.min_price = Some(total.min_price.map_or(Money(s.lo), |m| m.min(Money(s.lo))));
            total.max_price = Some(total.max_price.map_or(Money(s.hi), |m| m.max(Money(s.hi))));
            sections.push(SectionCounts { section: s.name.clone(), total: n, available, min_price: Money(s.lo), max_price: Money(s.hi) });
        }
        (total, sections)
    }
}

fn free(s: &mut SeatRow) {
    s.status = "AVAILABLE".into();
    s.hold_reservation_id = None;
    s.hold_user_id = None;
    s.reserved_until = None;
    s.version += 1;
}

impl EventBoard {
    fn age(&self, max_age: Duration) -> Age {
        match self.seats().loaded_at {
            None => Age::Missing,
            Some(t) if t.elapsed() > max_age => Age::Old,
            Some(_) => Age::Fresh,
        }
    }

    /// Read the seats from the database. Changes applied during the read are replayed onto the
    /// fresh copy (a change the copy already holds is set again, harmlessly), so nothing applied is
    /// lost by a reload. Returns whether the event has no seats.
    async fn reload(&self, store: &InventoryStore, event_id: &str) -> Result<bool, StoreError> {
        let started = common::time::now_ms();
        self.seats().journal = Some(Vec::new());
        let rows = store.seats(event_id).await;
        let mut seats = self.seats();
        let journal = seats.journal.take().unwrap_or_default();
        let rows = rows?;
        let empty = rows.is_empty();
        *seats = Seats::replayed(rows, &journal);
        seats.synced_ms = started;
        Ok(empty)
    }

    /// Bring a copy up to date: only the seats changed since the last read (changes this process
    /// applied meanwhile replayed on top, as in a reload), or the whole venue when there is no copy
    /// yet, when that is due, or when the change read finds seats the board does not know. Returns
    /// whether the event has no seats.
    async fn refresh(&self, store: &InventoryStore, event_id: &str, full_every: Duration) -> Result<bool, StoreError> {
        let (since, full_due) = {
            let s = self.seats();
            (s.synced_ms, s.full_at.is_none_or(|t| t.elapsed() >= full_every))
        };
        if full_due {
            return self.reload(store, event_id).await;
        }
        let started = common::time::now_ms();
        self.seats().journal = Some(Vec::new());
        let rows = store.seats_changed_since(event_id, since - CHANGE_OVERLAP_MS).await;
        let merged = {
            let mut seats = self.seats();
            let journal = seats.journal.take().unwrap_or_default();
            let merged = seats.merge(rows?);
            if merged {
                for (change, r) in &journal {
                    seats.apply(*change, r);
                }
                seats.synced_ms = started;
                seats.loaded_at = Some(Instant::now());
            }
            merged.then(|| seats.rows.is_empty())
        };
        match merged {
            Some(empty) => Ok(empty),
            None => self.reload(store, event_id).await,
        }
    }

    /// The seats, for a short synchronous look (never held across an await).
    pub fn seats(&self) -> MutexGuard<'_, Seats> {
        self.seats.lock().expect("board")
    }

    fn apply(&self, change: Change, r: &ReservationRow) {
        let mut seats = self.seats();
        seats.apply(change, r);
        if let Some(j) = seats.journal.as_mut() {
            j.push((change, r.clone()));
        }
    }
}

impl Board {
    pub fn new(exclusive: bool) -> Self {
        let max_age = if exclusive { EXCLUSIVE_MAX_AGE } else { SHARED_MAX_AGE };
        Board { exclusive, max_age, events: Mutex::new(HashMap::new()) }
    }

    /// How often a refresh reads the whole venue: every time for an exact board (it is read again
    /// only when it was wrong, or very old); otherwise every [`SHARED_FULL_EVERY`], reading only
    /// the changed seats in between.
    fn full_every(&self) -> Duration {
        if self.exclusive {
            Duration::ZERO
        } else {
            SHARED_FULL_EVERY
        }
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

    /// The event's board: read from the database first when there is none (or it is behind); when
    /// it is only old, used as it is while one background task reads a fresh copy, so that a
    /// refresh of a large venue never holds up the requests of a sale.
    pub async fn get(&self, store: &InventoryStore, event_id: &str) -> Result<Arc<EventBoard>, StoreError> {
        let eb = self.entry(event_id);
        match eb.age(self.max_age) {
            Age::Fresh => Ok(eb),
            Age::Old => {
                if !eb.refreshing.swap(true, Ordering::AcqRel) {
                    let (eb, store, event_id) = (eb.clone(), store.clone(), event_id.to_string());
                    let full_every = self.full_every();
                    tokio::spawn(async move {
                        let _one = eb.loading.lock().await;
                        if let Err(e) = eb.refresh(&store, &event_id, full_every).await {
                            tracing::warn!(error = %e, event_id, "refreshing the seat board failed");
                        }
                        eb.refreshing.store(false, Ordering::Release);
                    });
                }
                Ok(eb)
            }
            Age::Missing => {
                let _one = eb.loading.lock().await;
                if matches!(eb.age(self.max_age), Age::Missing) && eb.refresh(store, event_id, self.full_every()).await? {
                    // No seats (yet), or no such event: keep nothing, so that unknown ids cost no memory.
                    self.events.lock().expect("board").remove(event_id);
                }
                Ok(eb.clone())
            }
        }
    }

    /// The event's board, up to date with the database at this moment: exact as it is when this
    /// process is the only writer; otherwise after reading the seats changed since its last read.
    /// For counts that must not lag (the events service's copy of them), at the price of a short
    /// read of the changed rows rather than a count over the whole venue.
    pub async fn get_synced(&self, store: &InventoryStore, event_id: &str) -> Result<Arc<EventBoard>, StoreError> {
        let eb = self.get(store, event_id).await?;
        if !self.exclusive {
            let _one = eb.loading.lock().await;
            eb.refresh(store, event_id, self.full_every()).await?;
        }
        Ok(eb)
    }

    /// A new layout, just written: the board starts from it without reading it back.
    pub fn install(&self, event_id: &str, mut rows: Vec<SeatRow>) {
        rows.sort_by_key(|s| (s.section_order, s.row_no, s.seat_index));
        let eb = self.entry(event_id);
        *eb.seats() = Seats::new(rows);
    }

    fn apply(&self, change: Change, rows: &[ReservationRow]) {
        for r in rows {
            if let Some(eb) = self.existing(&r.event_id) {
                eb.apply(change, r);
            }
        }
    }

    /// Holds granted by the guard.
    pub fn held(&self, rows: &[ReservationRow]) {
        self.apply(Change::Held, rows);
    }

    /// Holds turned into bookings.
    pub fn booked(&self, rows: &[ReservationRow]) {
        self.apply(Change::Booked, rows);
    }

    /// Seats given back (a hold released, a booking cancelled).
    pub fn freed(&self, rows: &[ReservationRow]) {
        self.apply(Change::Freed, rows);
    }

    /// The guard disagreed with the board. A board shared with other processes is behind: read
    /// the event again before the next use (only the seats changed since). This process's own
    /// board is exact (every change is applied as it commits): another request of the same group,
    /// or one that committed a moment before, took the seat, and the board knows it by now, so it
    /// keeps its copy. Reloading there made every conflict cost a read of the whole map (contended
    /// holds ran ten times slower than uncontended ones).
    pub fn forget(&self, event_id: &str) {
        if self.exclusive {
            return;
        }
        if let Some(eb) = self.existing(event_id) {
            eb.seats().loaded_at = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Tally;

    fn layout() -> Vec<SeatRow> {
        let l: crate::model::LayoutInput = serde_json::from_value(serde_json::json!({"sections": [
            {"section": "A", "seatType": "REGULAR", "price": 10, "rows": [{"rowNumber": 1, "seats": 3}, {"rowNumber": 2, "seats": 3}]},
            {"section": "B", "seatType": "VIP", "price": 20, "rows": [{"rowNumber": 1, "seats": 4}]}]}))
        .unwrap();
        l.into_seats("e").unwrap()
    }

    /// The slow way: every seat's effective status, summed as the database's `GROUP BY` is.
    fn recount(seats: &Seats, now: i64) -> String {
        let mut t = Tally::new("e");
        for s in &seats.rows {
            t.add(&s.section, s.effective_status(now), 1, s.price, s.price);
        }
        format!("{:?}", t.finish())
    }

    fn hold(seats: &Seats, i: usize, id: &str, until: i64) -> ReservationRow {
        ReservationRow { reservation_id: id.into(), ..ReservationRow::hold(&seats.rows[i], "u", until, 0) }
    }

    #[test]
    fn counts_kept_change_by_change_equal_a_recount_at_every_moment() {
        let mut seats = Seats::new(layout());
        let t = 1_000_000;
        let (a, b, c, d) =
            (hold(&seats, 0, "a", t + 100), hold(&seats, 1, "b", t + 50), hold(&seats, 6, "c", t + 10), hold(&seats, 7, "d", t + 30));
        for r in [&a, &b, &c, &d] {
            seats.apply(Change::Held, r);
        }
        seats.apply(Change::Booked, &b);
        seats.apply(Change::Freed, &a);
        // A release of a hold the seat no longer has changes nothing.
        seats.apply(Change::Freed, &ReservationRow { reservation_id: "stale".into(), ..b.clone() });
        for now in [t, t + 20, t + 40, t + 60, t + 150, t + 250] {
            assert_eq!(format!("{:?}", seats.counts("e", now)), recount(&seats, now), "at t+{}", now - t);
        }
        let (total, sections) = seats.counts("e", t + 250);
        assert_eq!((total.total, total.available, total.reserved, total.booked), (10, 9, 0, 1));
        assert_eq!(sections.iter().map(|s| (s.section.as_str(), s.available)).collect::<Vec<_>>(), [("A", 5), ("B", 4)]);
        assert!(seats.by_number(&seats.rows[7].seat_number.clone()).unwrap().is_free(t + 250));
    }

    #[test]
    fn a_reload_replays_what_was_applied_while_it_read() {
        let rows = layout();
        let eb = EventBoard::default();
        *eb.seats() = Seats::new(rows.clone());
        eb.seats().journal = Some(Vec::new());
        // A hold granted while the database was being read: the rows read do not have it.
        let r = hold(&eb.seats(), 2, "late", i64::MAX);
        eb.apply(Change::Held, &r);
        let journal = eb.seats().journal.take().unwrap();
        let mut fresh = Seats::replayed(rows, &journal);
        assert_eq!(fresh.rows[2].hold_reservation_id.as_deref(), Some("late"));
        assert_eq!(fresh.counts("e", 0).0.reserved, 1);
    }

    #[test]
    fn changed_seats_read_again_replace_their_copies_and_keep_the_counts() {
        let mut seats = Seats::new(layout());
        let t = 1_000_000;
        // Another process held seat 1 and booked seat 8; this process's copy learns it from the rows.
        let mut held = seats.rows[1].clone();
        (held.status, held.hold_reservation_id, held.reserved_until, held.version) = ("RESERVED".into(), Some("x".into()), Some(t + 50), 1);
        let mut booked = seats.rows[8].clone();
        (booked.status, booked.version) = ("BOOKED".into(), 2);
        assert!(seats.merge(vec![held, booked]));
        for (now, available) in [(t, 8), (t + 100, 9)] {
            assert_eq!(format!("{:?}", seats.counts("e", now)), recount(&seats, now), "at t+{}", now - t);
            assert_eq!(seats.counts("e", now).0.available, available, "at t+{} (the other process's hold runs out too)", now - t);
        }
        // A seat the board does not know (a new layout): nothing is changed, the venue must be read.
        let mut stranger = seats.rows[0].clone();
        (stranger.seat_id, stranger.status) = ("new-layout-seat".into(), "BOOKED".into());
        let before = format!("{:?}", seats.counts("e", t + 100));
        assert!(!seats.merge(vec![seats.rows[2].clone(), stranger]));
        assert_eq!(format!("{:?}", seats.counts("e", t + 100)), before);
    }
}
