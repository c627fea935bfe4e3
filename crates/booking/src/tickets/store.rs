//! SQL of tickets and check-in, in the bookings database: a ticket is a seat of a booking (no row
//! of its own until it is scanned), so it is issued and revoked in the same transaction as its
//! booking. `ticket_scans` holds a ticket's one admission: its primary key is what makes a ticket
//! `ADMITTED` exactly once, whatever the number of gates and processes.

use store::group::Group;
use store::{exec, run, Db, StoreError};

/// A ticket's admission.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScanRow {
    pub ticket_id: String,
    pub booking_id: String,
    pub event_id: String,
    pub seat_number: String,
    pub used_at: i64,
    pub gate: String,
}

const SCAN_COLS: &str = "ticket_id, booking_id, event_id, seat_number, used_at, gate";

/// What recording a scan found.
pub enum Admission {
    /// This scan admitted the ticket.
    Admitted,
    /// An earlier scan did: it.
    AlreadyUsed(ScanRow),
    /// The booking is not confirmed (cancelled, refunded, being cancelled) or does not exist.
    NotValid,
}

#[derive(Clone)]
pub struct TicketStore {
    db: Db,
    /// Scans from every gate, grouped into shared transactions (a door opening is a burst).
    group: Group,
}

impl TicketStore {
    pub fn new(db: Db) -> Self {
        let group = Group::start(db.clone(), "checkin");
        TicketStore { db, group }
    }

    /// The ticket signing seed, created once by whichever process asks first.
    pub async fn signing_seed(&self, fresh: &str, now: i64) -> Result<String, StoreError> {
        let inserted = exec!(self.db.write(), p => sqlx::query(
            "INSERT INTO ticket_keys (key_id, seed, created_at) VALUES ('current', ?, ?)")
            .bind(fresh).bind(now).execute(p));
        match inserted.map_err(StoreError::from) {
            Ok(_) => {}
            Err(e) if e.is_unique_violation() => {}
            Err(e) => return Err(e),
        }
        let (seed,): (String,) = run!(self.db.write(), p => sqlx::query_as(
            "SELECT seed FROM ticket_keys WHERE key_id = 'current'").fetch_one(p).await)?;
        Ok(seed)
    }

    /// Admit a ticket of a booking that is `CONFIRMED` and not being cancelled, unless it was
    /// admitted before. One statement decides: the insert reads the booking's state, and the
    /// primary key refuses a second admission.
    pub async fn admit(&self, scan: ScanRow) -> Result<Admission, StoreError> {
        let data = scan.clone();
        let inserted = self
            .group
            .run(data, move |tx, s| {
                Box::pin(async move {
                    let r = store::tx_exec!(tx, c => sqlx::query(
                        "INSERT INTO ticket_scans (ticket_id, booking_id, event_id, seat_number, used_at, gate) \
                         SELECT ?, ?, ?, ?, ?, ? FROM bookings WHERE booking_id = ? AND status = 'CONFIRMED' AND step = 'DONE'")
                        .bind(&s.ticket_id).bind(&s.booking_id).bind(&s.event_id).bind(&s.seat_number).bind(s.used_at).bind(&s.gate)
                        .bind(&s.booking_id).execute(c))
                    .map_err(StoreError::from);
                    match r {
                        Ok(n) => Ok(Some(n == 1)),
                        Err(e) if e.is_unique_violation() => Ok(None),
                        Err(e) => Err(e),
                    }
                })
            })
            .await?;
        Ok(match inserted {
            Some(true) => Admission::Admitted,
            Some(false) => Admission::NotValid,
            None => match self.scan(&scan.ticket_id).await? {
                Some(first) => Admission::AlreadyUsed(first),
                None => Admission::NotValid,
            },
        })
    }

    pub async fn scan(&self, ticket_id: &str) -> Result<Option<ScanRow>, StoreError> {
        Ok(run!(self.db.write(), p => sqlx::query_as(&format!("SELECT {SCAN_COLS} FROM ticket_scans WHERE ticket_id = ?"))
            .bind(ticket_id).fetch_optional(p).await)?)
    }

    pub async fn scans_of_booking(&self, booking_id: &str) -> Result<Vec<ScanRow>, StoreError> {
        Ok(run!(self.db.read(), p => sqlx::query_as(&format!("SELECT {SCAN_COLS} FROM ticket_scans WHERE booking_id = ?"))
            .bind(booking_id).fetch_all(p).await)?)
    }

    pub async fn scans_of_event(&self, event_id: &str) -> Result<Vec<ScanRow>, StoreError> {
        Ok(run!(self.db.read(), p => sqlx::query_as(&format!("SELECT {SCAN_COLS} FROM ticket_scans WHERE event_id = ?"))
            .bind(event_id).fetch_all(p).await)?)
    }

    /// (tickets of the event's confirmed bookings, tickets admitted).
    pub async fn counts(&self, event_id: &str) -> Result<(i64, i64), StoreError> {
        // MySQL sums to a DECIMAL; SQLite to an integer.
        let sum = if self.db.is_mysql() { "CAST(SUM(JSON_LENGTH(seats)) AS SIGNED)" } else { "SUM(json_array_length(seats))" };
        let (expected,): (Option<i64>,) = run!(self.db.read(), p => sqlx::query_as(&format!(
            "SELECT {sum} FROM bookings WHERE event_id = ? AND status = 'CONFIRMED'"))
            .bind(event_id).fetch_one(p).await)?;
        let (admitted,): (i64,) = run!(self.db.read(), p => sqlx::query_as("SELECT COUNT(*) FROM ticket_scans WHERE event_id = ?")
            .bind(event_id).fetch_one(p).await)?;
        Ok((expected.unwrap_or(0), admitted))
    }

    pub async fn grant_scanner(&self, event_id: &str, user_id: &str, now: i64) -> Result<(), StoreError> {
        let r = exec!(self.db.write(), p => sqlx::query("INSERT INTO event_scanners (event_id, user_id, granted_at) VALUES (?, ?, ?)")
            .bind(event_id).bind(user_id).bind(now).execute(p))
        .map_err(StoreError::from);
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.is_unique_violation() => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn revoke_scanner(&self, event_id: &str, user_id: &str) -> Result<(), StoreError> {
        exec!(self.db.write(), p => sqlx::query("DELETE FROM event_scanners WHERE event_id = ? AND user_id = ?")
            .bind(event_id).bind(user_id).execute(p))?;
        Ok(())
    }

    pub async fn is_scanner(&self, event_id: &str, user_id: &str) -> Result<bool, StoreError> {
        let r: Option<(i64,)> = run!(self.db.read(), p => sqlx::query_as("SELECT 1 FROM event_scanners WHERE event_id = ? AND user_id = ?")
            .bind(event_id).bind(user_id).fetch_optional(p).await)?;
        Ok(r.is_some())
    }

    pub async fn scanner_events(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = run!(self.db.read(), p => sqlx::query_as(
            "SELECT event_id FROM event_scanners WHERE user_id = ? ORDER BY granted_at")
            .bind(user_id).fetch_all(p).await)?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}

/// Tickets admitted more than once, with how many times (the audit's `ticket_admitted_twice`; the
/// primary key makes it impossible, and the audit checks it from the data all the same).
pub async fn admitted_twice(db: &Db) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(run!(db.read(), p => sqlx::query_as(
        "SELECT ticket_id, COUNT(*) FROM ticket_scans GROUP BY ticket_id HAVING COUNT(*) > 1")
        .fetch_all(p).await)?)
}
