//! SQL of the waitlist (shared/API.md §14), in the inventory's database so that a freed seat goes
//! to the waitlist *in the transaction that frees it*: there is no moment at which a seat a waiting
//! fan could be served with is `AVAILABLE` to everyone else.
//!
//! The matcher ([`offer_free`]) runs inside every transaction that makes seats `AVAILABLE` (a hold
//! let go, a booking cancelled or declined, holds expired by the cleanup job, an offer left) and
//! when a fan joins: in order of joining, the first `WAITING` entry whose quantity (and section)
//! the free seats can serve gets them as ordinary `ACTIVE` holds until the offer runs out, and the
//! entry becomes `OFFERED`. Entries it cannot serve stay where they are; seats nobody fits stay
//! `AVAILABLE` to all.
//!
//! While an event has `WAITING` entries, a hold that has run out is not free to other buyers
//! (`waiting_events`): it stays with its seat until the cleanup job expires it and the matcher hands
//! it on. The inventory runs that job for such events every second.

use super::{InventoryStore, SEAT_COLS};
use crate::allocate::{best_available, Slot};
use crate::model::{ReservationRow, SeatRow};
use store::outbox::Announcement;
use store::{placeholders, run, tx_exec, tx_run, StoreError, Tx};

pub const ENTRY_COLS: &str = "entry_id, event_id, user_id, quantity, section, buyer_limit, status, \
    offer_reservation_ids, offer_expires_at, created_at, seq";

/// Entries the matcher looks at per event and pass; the rest wait for the next seats freed.
const ENTRIES_PER_PASS: i64 = 500;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    pub entry_id: String,
    pub event_id: String,
    pub user_id: String,
    pub quantity: i64,
    pub section: Option<String>,
    /// The event's per-buyer limit when the fan joined: an offer never takes them over it.
    pub buyer_limit: Option<i64>,
    pub status: String,
    pub offer_reservation_ids: Option<String>,
    pub offer_expires_at: Option<i64>,
    pub created_at: i64,
    pub seq: i64,
}

impl EntryRow {
    /// `OFFERED` past its time is `EXPIRED` to every reader, before the cleanup job writes it.
    pub fn effective_status(&self, now: i64) -> &str {
        if self.status == "OFFERED" && self.offer_expires_at.is_some_and(|t| t <= now) {
            "EXPIRED"
        } else {
            &self.status
        }
    }
    pub fn offer_ids(&self) -> Vec<String> {
        self.offer_reservation_ids.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
    }
}

fn live_key(event_id: &str, user_id: &str) -> String {
    format!("{event_id}:{user_id}")
}

/// What joining found.
pub enum Joined {
    /// A new entry (and the seats offered to it at once, if any were free).
    Created(EntryRow, Vec<ReservationRow>),
    /// The account's live entry for the event.
    Existing(EntryRow),
}

/// The events among `event_ids` whose waitlist has someone `WAITING`: there, a run-out hold is
/// not free to other buyers (see the module docs).
pub async fn waiting_events(tx: &mut Tx, event_ids: &[&str]) -> Result<Vec<String>, StoreError> {
    if event_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql =
        format!("SELECT DISTINCT event_id FROM waitlist WHERE status = 'WAITING' AND event_id IN ({})", placeholders(event_ids.len()));
    let rows: Vec<(String,)> = tx_run!(tx, c => {
        let mut q = sqlx::query_as(&sql);
        for e in event_ids {
            q = q.bind(*e);
        }
        q.fetch_all(c).await
    })?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Seats a buyer holds (live) or has booked for an event.
pub async fn held_by_in(tx: &mut Tx, event_id: &str, user_id: &str, now: i64) -> Result<i64, StoreError> {
    let (held,): (i64,) = tx_run!(tx, c => sqlx::query_as(
        "SELECT COUNT(*) FROM reservations WHERE event_id = ? AND user_id = ? \
         AND (status = 'CONFIRMED' OR (status = 'ACTIVE' AND expires_at > ?))")
        .bind(event_id).bind(user_id).bind(now).fetch_one(c).await)?;
    Ok(held)
}

/// Hand the event's free seats to its waitlist, in order of joining (see the module docs). Returns
/// the holds made; their announcements go to `said`.
pub async fn offer_free(
    tx: &mut Tx,
    event_id: &str,
    now: i64,
    offer_ms: i64,
    said: &mut Vec<Announcement>,
) -> Result<Vec<ReservationRow>, StoreError> {
    let entries: Vec<EntryRow> = tx_run!(&mut *tx, c => sqlx::query_as(&format!(
        "SELECT {ENTRY_COLS} FROM waitlist WHERE event_id = ? AND status = 'WAITING' ORDER BY seq LIMIT ?"))
        .bind(event_id).bind(ENTRIES_PER_PASS).fetch_all(c).await)?;
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    // Read without locks (on MySQL a locking read of an event's seats would lock them all); the
    // seats chosen are locked and checked again below before they are taken.
    let mut free: Vec<SeatRow> = tx_run!(&mut *tx, c => sqlx::query_as(&format!(
        "SELECT {SEAT_COLS} FROM seats WHERE event_id = ? AND status = 'AVAILABLE' ORDER BY section_order, row_no, seat_index LIMIT 5000"))
        .bind(event_id).fetch_all(c).await)?;
    let mut offered = Vec::new();
    for e in entries {
        if free.is_empty() {
            break;
        }
        let fits: Vec<usize> = (0..free.len()).filter(|&i| e.section.as_ref().is_none_or(|s| &free[i].section == s)).collect();
        let q = e.quantity as usize;
        if fits.len() < q {
            continue;
        }
        if let Some(limit) = e.buyer_limit {
            if held_by_in(tx, event_id, &e.user_id, now).await? + e.quantity > limit {
                continue;
            }
        }
        let slots: Vec<Slot> = fits
            .iter()
            .map(|&i| Slot {
                section_order: free[i].section_order,
                row_no: free[i].row_no,
                seat_index: free[i].seat_index,
                row_size: free[i].row_size,
            })
            .collect();
        let Some(picked) = best_available(&slots, q) else { continue };
        let mut chosen: Vec<usize> = picked.into_iter().map(|k| fits[k]).collect();
        chosen.sort_unstable();
        if tx.is_mysql() && !still_free(tx, &chosen.iter().map(|&i| &free[i]).collect::<Vec<_>>()).await? {
            // A buyer took one of them since the read: leave this entry for the next pass.
            let gone: Vec<String> = chosen.iter().map(|&i| free[i].seat_id.clone()).collect();
            free.retain(|s| !gone.contains(&s.seat_id));
            continue;
        }
        let expires = now + offer_ms;
        let rows: Vec<ReservationRow> = chosen
            .iter()
            .map(|&i| ReservationRow {
                waitlist_entry_id: Some(e.entry_id.clone()),
                ..ReservationRow::hold(&free[i], &e.user_id, expires, now)
            })
            .collect();
        let ids: Vec<&str> = rows.iter().map(|r| r.reservation_id.as_str()).collect();
        // Claim the entry first: a concurrent matcher (another process freeing other seats) that
        // claimed it already wins, and this one moves on to the next entry.
        let claimed = tx_exec!(&mut *tx, c => sqlx::query(
            "UPDATE waitlist SET status = 'OFFERED', offer_reservation_ids = ?, offer_expires_at = ?, updated_at = ? \
             WHERE entry_id = ? AND status = 'WAITING'")
            .bind(serde_json::to_string(&ids).unwrap_or_default()).bind(expires).bind(now).bind(&e.entry_id).execute(c))?;
        if claimed != 1 {
            continue;
        }
        for (r, &i) in rows.iter().zip(&chosen) {
            let n = tx_exec!(&mut *tx, c => sqlx::query(
                "UPDATE seats SET status = 'RESERVED', hold_reservation_id = ?, hold_user_id = ?, reserved_until = ?, \
                 version = version + 1, updated_at = ? WHERE seat_id = ? AND status = 'AVAILABLE'")
                .bind(&r.reservation_id).bind(&e.user_id).bind(expires).bind(now).bind(&free[i].seat_id).execute(c))?;
            if n != 1 {
                // Locked (MySQL) or the only writer (SQLite): cannot happen; undo everything.
                return Err(StoreError::Changed);
            }
        }
        InventoryStore::insert_reservations(tx, &rows, now).await?;
        said.push(Announcement::new(
            "event_seats",
            event_id,
            "SeatsReserved",
            serde_json::json!({"eventId": event_id, "userId": e.user_id, "reservationIds": ids}),
        ));
        said.push(Announcement::new(
            "waitlist",
            event_id,
            "WaitlistOffered",
            serde_json::json!({
                "entryId": e.entry_id, "eventId": event_id, "userId": e.user_id, "quantity": e.quantity,
                "reservationIds": ids, "seatNumbers": rows.iter().map(|r| &r.seat_number).collect::<Vec<_>>(),
                "expiresAt": common::time::to_rfc3339(expires),
            }),
        ));
        metrics::counter!("waitlist_offers_total").increment(1);
        let taken: Vec<String> = rows.iter().map(|r| r.seat_id.clone()).collect();
        free.retain(|s| !taken.contains(&s.seat_id));
        offered.extend(rows);
    }
    Ok(offered)
}

/// MySQL: lock the chosen seats and check that nobody took them since they were read.
async fn still_free(tx: &mut Tx, seats: &[&SeatRow]) -> Result<bool, StoreError> {
    let mut ids: Vec<&str> = seats.iter().map(|s| s.seat_id.as_str()).collect();
    ids.sort_unstable();
    let sql = format!(
        "SELECT seat_id, version FROM seats WHERE seat_id IN ({}) AND status = 'AVAILABLE' ORDER BY seat_id FOR UPDATE",
        placeholders(ids.len())
    );
    let rows: Vec<(String, i64)> = tx_run!(tx, c => {
        let mut q = sqlx::query_as(&sql);
        for id in &ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })?;
    Ok(rows.len() == seats.len() && seats.iter().all(|s| rows.iter().any(|(id, v)| id == &s.seat_id && *v == s.version)))
}

/// Holds of offers that were let go, cancelled or ran out: their entries are `EXPIRED` (the
/// offer was not taken).
pub async fn offers_ended(tx: &mut Tx, rows: &[ReservationRow], now: i64) -> Result<(), StoreError> {
    set_offer_entries(tx, rows, "EXPIRED", now).await
}

/// Holds of offers were confirmed for a booking: their entries are `FULFILLED`.
pub async fn offers_taken(tx: &mut Tx, rows: &[ReservationRow], now: i64) -> Result<(), StoreError> {
    set_offer_entries(tx, rows, "FULFILLED", now).await
}

async fn set_offer_entries(tx: &mut Tx, rows: &[ReservationRow], to: &str, now: i64) -> Result<(), StoreError> {
    let mut entries: Vec<&str> = rows.iter().filter_map(|r| r.waitlist_entry_id.as_deref()).collect();
    if entries.is_empty() {
        return Ok(());
    }
    entries.sort_unstable();
    entries.dedup();
    let sql = format!(
        "UPDATE waitlist SET status = ?, live_key = NULL, updated_at = ? WHERE status = 'OFFERED' AND entry_id IN ({})",
        placeholders(entries.len())
    );
    tx_exec!(tx, c => {
        let mut q = sqlx::query(&sql).bind(to).bind(now);
        for e in &entries {
            q = q.bind(*e);
        }
        q.execute(c)
    })?;
    Ok(())
}

impl InventoryStore {
    /// Join an event's waitlist: one live entry per account and event (a second join returns it).
    /// Seats already free are offered at once, in the same transaction.
    pub async fn join_waitlist(&self, e: &EntryRow, now: i64) -> Result<Joined, StoreError> {
        let mut tx = self.db.begin().await?;
        let inserted = tx_exec!(&mut tx, c => sqlx::query(
            "INSERT INTO waitlist (entry_id, event_id, user_id, quantity, section, buyer_limit, status, live_key, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, 'WAITING', ?, ?, ?)")
            .bind(&e.entry_id).bind(&e.event_id).bind(&e.user_id).bind(e.quantity).bind(&e.section).bind(e.buyer_limit)
            .bind(live_key(&e.event_id, &e.user_id)).bind(now).bind(now).execute(c))
        .map_err(StoreError::from);
        match inserted {
            Ok(_) => {}
            Err(err) if err.is_unique_violation() => {
                drop(tx);
                return match self.live_entry(&e.event_id, &e.user_id).await? {
                    Some(found) => Ok(Joined::Existing(found)),
                    // It ended between the insert and the read: join again.
                    None => Err(StoreError::Changed),
                };
            }
            Err(err) => return Err(err),
        }
        let mut said = Vec::new();
        let offered = offer_free(&mut tx, &e.event_id, now, self.waitlist_offer_ms, &mut said).await?;
        store::outbox::append_many(&mut tx, &said).await?;
        let entry = Self::entry_in(&mut tx, &e.entry_id).await?.ok_or(StoreError::Changed)?;
        tx.commit().await?;
        Ok(Joined::Created(entry, offered))
    }

    async fn entry_in(tx: &mut Tx, entry_id: &str) -> Result<Option<EntryRow>, StoreError> {
        Ok(tx_run!(tx, c => sqlx::query_as(&format!("SELECT {ENTRY_COLS} FROM waitlist WHERE entry_id = ?"))
            .bind(entry_id).fetch_optional(c).await)?)
    }

    pub async fn live_entry(&self, event_id: &str, user_id: &str) -> Result<Option<EntryRow>, StoreError> {
        Ok(run!(self.db.write(), p => sqlx::query_as(&format!("SELECT {ENTRY_COLS} FROM waitlist WHERE live_key = ?"))
            .bind(live_key(event_id, user_id)).fetch_optional(p).await)?)
    }

    pub async fn entry(&self, entry_id: &str) -> Result<Option<EntryRow>, StoreError> {
        Ok(run!(self.db.write(), p => sqlx::query_as(&format!("SELECT {ENTRY_COLS} FROM waitlist WHERE entry_id = ?"))
            .bind(entry_id).fetch_optional(p).await)?)
    }

    pub async fn entries_of(&self, user_id: &str) -> Result<Vec<EntryRow>, StoreError> {
        Ok(run!(self.db.read(), p => sqlx::query_as(&format!(
            "SELECT {ENTRY_COLS} FROM waitlist WHERE user_id = ? ORDER BY seq DESC LIMIT 200"))
            .bind(user_id).fetch_all(p).await)?)
    }

    /// Live entries of the event ahead of this one.
    pub async fn ahead_of(&self, e: &EntryRow) -> Result<i64, StoreError> {
        let (n,): (i64,) = run!(self.db.read(), p => sqlx::query_as(
            "SELECT COUNT(*) FROM waitlist WHERE event_id = ? AND status IN ('WAITING', 'OFFERED') AND seq < ?")
            .bind(&e.event_id).bind(e.seq).fetch_one(p).await)?;
        Ok(n)
    }

    /// The owner leaves: the entry is `CANCELLED`, an open offer's seats are let go (and go to the
    /// next entries). Returns the entry as it was, or `None` if it is not the owner's.
    pub async fn leave_waitlist(&self, entry_id: &str, user_id: &str, now: i64) -> Result<Option<(EntryRow, Released)>, StoreError> {
        let mut tx = self.db.begin().await?;
        let lock = if tx.is_mysql() { " FOR UPDATE" } else { "" };
        let found: Option<EntryRow> = tx_run!(&mut tx, c => sqlx::query_as(&format!("SELECT {ENTRY_COLS} FROM waitlist WHERE entry_id = ?{lock}"))
            .bind(entry_id).fetch_optional(c).await)?;
        let Some(e) = found.filter(|e| e.user_id == user_id) else { return Ok(None) };
        let mut released = Released::default();
        if matches!(e.status.as_str(), "WAITING" | "OFFERED") {
            tx_exec!(&mut tx, c => sqlx::query(
                "UPDATE waitlist SET status = 'CANCELLED', live_key = NULL, updated_at = ? WHERE entry_id = ? AND status = ?")
                .bind(now).bind(entry_id).bind(&e.status).execute(c))?;
            let ids = e.offer_ids();
            if e.status == "OFFERED" && !ids.is_empty() {
                let rows = Self::owned(&mut tx, &ids, Some(user_id)).await?.unwrap_or_default();
                let mut said = Vec::new();
                for r in rows.iter().filter(|r| r.status == "ACTIVE") {
                    if Self::cancel_and_free(&mut tx, r, ("ACTIVE", "RESERVED"), now).await? == 1 {
                        released.freed.push(r.clone());
                    }
                }
                said.extend(Self::announcements(&released.freed, "SeatsReleased"));
                released.offered = offer_free(&mut tx, &e.event_id, now, self.waitlist_offer_ms, &mut said).await?;
                store::outbox::append_many(&mut tx, &said).await?;
            }
        }
        tx.commit().await?;
        Ok(Some((e, released)))
    }

    /// Events with a live waitlist whose holds have run out: the cleanup job expires them every
    /// second so their seats reach the waitlist promptly.
    pub async fn waitlisted_due(&self, now: i64) -> Result<bool, StoreError> {
        let r: Option<(i64,)> = run!(self.db.read(), p => sqlx::query_as(
            "SELECT 1 FROM reservations r WHERE r.status = 'ACTIVE' AND r.expires_at <= ? \
             AND r.event_id IN (SELECT w.event_id FROM waitlist w WHERE w.status IN ('WAITING', 'OFFERED')) LIMIT 1")
            .bind(now).fetch_optional(p).await)?;
        Ok(r.is_some())
    }
}

/// Seats a transaction gave back, and those it offered at once to the waitlist.
#[derive(Debug, Default)]
pub struct Released {
    pub freed: Vec<ReservationRow>,
    pub offered: Vec<ReservationRow>,
}
