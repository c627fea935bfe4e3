//! The platform's invariants, checked across services (shared/API.md §15): `ticketing audit`, and
//! the same checks every `TICKETING_AUDIT_INTERVAL_SECS` in a process that runs the booking service,
//! exported as `ticketing_audit_violations{check}`.
//!
//! It reads what each service keeps (seats and reservations, bookings, payments, per-buyer limits)
//! straight from their databases, in that order, and checks them against each other
//! ([`check`], a pure function over the [`Snapshot`]). A sale keeps moving while it reads, so a
//! violation counts only when a second snapshot, taken [`CONFIRM_AFTER`] later, shows it again:
//! a booking confirmed between two reads is not a disagreement, a seat sold twice is.

use booking::model::{BookingRow, BookingStatus, PaymentStatus, Step};
use inventory::model::{ReservationRow, SeatRow};
use inventory::store::InventoryStore;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;
use store::Db;

/// The checks, by the names the contract gives them.
pub const CHECKS: [&str; 9] = [
    "seat_sold_twice",
    "map_disagrees_with_bookings",
    "over_capacity",
    "charge_without_booking",
    "booking_without_charge",
    "stuck_saga",
    "stale_hold",
    "buyer_over_limit",
    "ticket_admitted_twice",
];

/// A saga whose lease ran out this long ago is stuck (a live process renews its leases, and the
/// recovery sweep takes a dead one's within seconds).
const STUCK_AFTER_MS: i64 = 60_000;
/// An `ACTIVE` hold this long past its expiry means the cleanup job is not running (expiry itself
/// is immediate: such a seat is free to every reader).
const STALE_HOLD_AFTER_MS: i64 = 5 * 60_000;
/// How long to wait before the second snapshot that confirms a violation.
pub const CONFIRM_AFTER: Duration = Duration::from_secs(2);
/// At most this many violations listed per check (all are counted).
const LISTED: usize = 50;

/// What the services' databases said, read in this order.
pub struct Snapshot {
    pub bookings: Vec<BookingRow>,
    pub payments: Vec<payment::PaymentRow>,
    pub seats: Vec<SeatRow>,
    pub reservations: Vec<ReservationRow>,
    /// (event, per-buyer limit)
    pub limits: Vec<(String, i64)>,
    /// (ticket, admissions) for tickets admitted more than once.
    pub admitted_twice: Vec<(String, i64)>,
    pub now: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Violation {
    pub check: &'static str,
    pub detail: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub ok: bool,
    pub checked_at: String,
    /// Violations per check (every check listed, 0 when it holds).
    pub counts: BTreeMap<&'static str, usize>,
    /// Up to 50 per check.
    pub violations: Vec<Violation>,
    pub seats: usize,
    pub bookings: usize,
    pub payments: usize,
    /// Bookings whose saga is still running (not a violation while their lease is live).
    pub running: usize,
}

/// The databases the audit reads.
pub struct Sources {
    inventory: InventoryStore,
    bookings: Db,
    payments: Db,
    events: Db,
}

impl Sources {
    /// The four databases of the configured storage: those of the services this process runs,
    /// the others opened (as `ticketing migrate` would).
    pub async fn open(cfg: &common::config::Config, running: &crate::Services) -> Result<Self, crate::StartError> {
        async fn db(cfg: &common::config::Config, running: Option<&Db>, name: &str, m: store::Migrations) -> Result<Db, crate::StartError> {
            match running {
                Some(db) => Ok(db.clone()),
                None => crate::open(cfg, name, m).await,
            }
        }
        Ok(Sources {
            inventory: InventoryStore::new(
                db(cfg, running.inventory.as_ref().map(|s| s.db()), "inventory", inventory::migrations()).await?,
            ),
            bookings: db(cfg, running.booking.as_ref().map(|s| s.db()), "bookings", booking::migrations()).await?,
            payments: db(cfg, running.payment.as_ref().map(|s| s.db()), "payment", payment::migrations()).await?,
            events: db(cfg, running.events.as_ref().map(|s| s.db()), "events", events::migrations()).await?,
        })
    }

    /// Bookings first: a booking confirmed before they are read has its seats booked before the
    /// seats are read.
    pub async fn snapshot(&self) -> Result<Snapshot, store::StoreError> {
        Ok(Snapshot {
            bookings: booking::audit_rows(&self.bookings).await?,
            payments: payment::audit_rows(&self.payments).await?,
            seats: self.inventory.audit_seats().await?,
            reservations: self.inventory.audit_reservations().await?,
            limits: events::audit_limits(&self.events).await?,
            admitted_twice: booking::tickets::audit_admitted_twice(&self.bookings).await?,
            now: common::time::now_ms(),
        })
    }

    /// Check two snapshots [`CONFIRM_AFTER`] apart; a violation counts when both show it.
    pub async fn run(&self) -> Result<Report, store::StoreError> {
        let first = check(&self.snapshot().await?);
        if first.ok {
            return Ok(first);
        }
        tokio::time::sleep(CONFIRM_AFTER).await;
        let second = check(&self.snapshot().await?);
        let seen: HashSet<&Violation> = first.violations.iter().collect();
        let violations: Vec<Violation> = second.violations.iter().filter(|v| seen.contains(v)).cloned().collect();
        // A check that both snapshots fail counts the smaller of their two counts (the listed
        // violations are at most 50 a check; the counts are of all of them).
        let counts = CHECKS
            .iter()
            .map(|c| (*c, if violations.iter().any(|v| v.check == *c) { first.counts[c].min(second.counts[c]) } else { 0 }))
            .collect();
        Ok(Report { ok: violations.is_empty(), counts, violations, ..second })
    }
}

/// Every invariant over one snapshot.
pub fn check(s: &Snapshot) -> Report {
    let mut found: Vec<Violation> = Vec::new();
    let mut v = |check: &'static str, detail: String| found.push(Violation { check, detail });
    let bookings: HashMap<&str, &BookingRow> = s.bookings.iter().map(|b| (b.booking_id.as_str(), b)).collect();
    let payments: HashMap<&str, &payment::PaymentRow> = s.payments.iter().map(|p| (p.payment_id.as_str(), p)).collect();
    let seats: HashMap<&str, &SeatRow> = s.seats.iter().map(|x| (x.seat_id.as_str(), x)).collect();
    let reservations: HashMap<&str, &ReservationRow> = s.reservations.iter().map(|r| (r.reservation_id.as_str(), r)).collect();
    let running = |b: &BookingRow| b.step != Step::Done;
    let confirmed: Vec<&BookingRow> = s.bookings.iter().filter(|b| b.status == BookingStatus::Confirmed).collect();

    // A seat in two confirmed bookings; a confirmed booking's seat not booked for it on the map.
    let mut sold_in: HashMap<&str, Vec<&str>> = HashMap::new();
    let seats_of: Vec<(&BookingRow, Vec<booking::model::BookingSeat>)> = confirmed.iter().map(|b| (*b, b.seats())).collect();
    for (b, its) in &seats_of {
        for seat in its {
            sold_in.entry(seat.seat_id.as_str()).or_default().push(b.booking_id.as_str());
            let on_map = seats.get(seat.seat_id.as_str());
            let booked_for_it =
                on_map.is_some_and(|m| m.status == "BOOKED" && m.hold_reservation_id.as_deref() == Some(seat.reservation_id.as_str()));
            if !booked_for_it && b.step != Step::Cancelling {
                v(
                    "map_disagrees_with_bookings",
                    format!(
                        "seat {} of confirmed booking {} is {} on the map",
                        seat.seat_number,
                        b.booking_id,
                        on_map.map_or("missing", |m| m.status.as_str())
                    ),
                );
            }
        }
    }
    for (seat, owners) in &sold_in {
        if owners.len() > 1 {
            v("seat_sold_twice", format!("seat {seat} is in {} confirmed bookings: {}", owners.len(), owners.join(", ")));
        }
    }
    // A booked seat nobody is paying for or has paid for.
    for m in s.seats.iter().filter(|m| m.status == "BOOKED") {
        let owner = m.hold_reservation_id.as_deref().and_then(|r| reservations.get(r)).and_then(|r| r.booking_id.as_deref());
        let fine = owner.and_then(|id| bookings.get(id)).is_some_and(|b| b.status == BookingStatus::Confirmed || running(b));
        if !fine {
            v(
                "map_disagrees_with_bookings",
                format!(
                    "seat {} ({}) is BOOKED on the map but no confirmed or running booking has it (booking {})",
                    m.seat_number,
                    m.seat_id,
                    owner.unwrap_or("none")
                ),
            );
        }
    }
    // Sold + held within the venue.
    let mut capacity: HashMap<&str, i64> = HashMap::new();
    for m in &s.seats {
        *capacity.entry(m.event_id.as_str()).or_default() += 1;
    }
    let mut taken: HashMap<&str, i64> = HashMap::new();
    for (b, its) in &seats_of {
        *taken.entry(b.event_id.as_deref().unwrap_or_default()).or_default() += its.len() as i64;
    }
    for r in s.reservations.iter().filter(|r| r.status == "ACTIVE" && r.expires_at > s.now) {
        *taken.entry(r.event_id.as_str()).or_default() += 1;
    }
    for (event, n) in &taken {
        let cap = capacity.get(event).copied().unwrap_or(0);
        if *n > cap {
            v("over_capacity", format!("event {event}: {n} seats sold or held, capacity {cap}"));
        }
    }
    // Money and bookings agree.
    for p in s.payments.iter().filter(|p| p.status == PaymentStatus::Success) {
        let b = p.booking_id.as_deref().and_then(|id| bookings.get(id));
        if !b.is_some_and(|b| b.status == BookingStatus::Confirmed || running(b)) {
            v(
                "charge_without_booking",
                format!(
                    "payment {} was charged ({} cents) but its booking {} is {}",
                    p.payment_id,
                    p.amount,
                    p.booking_id.as_deref().unwrap_or("none"),
                    b.map_or("missing".to_string(), |b| b.status.to_string())
                ),
            );
        }
    }
    for b in confirmed.iter().filter(|b| b.step == Step::Done) {
        let paid = b.payment_id.as_deref().and_then(|id| payments.get(id)).is_some_and(|p| p.status == PaymentStatus::Success);
        if !paid {
            v(
                "booking_without_charge",
                format!(
                    "booking {} is CONFIRMED without a successful payment ({})",
                    b.booking_id,
                    b.payment_id.as_deref().unwrap_or("none")
                ),
            );
        }
    }
    // Sagas and holds that time should have ended.
    for b in s.bookings.iter().filter(|b| running(b) && b.lease_until < s.now - STUCK_AFTER_MS) {
        v(
            "stuck_saga",
            format!("booking {} has been at {} since its lease ran out {} s ago", b.booking_id, b.step, (s.now - b.lease_until) / 1000),
        );
    }
    for r in s.reservations.iter().filter(|r| r.status == "ACTIVE" && r.expires_at < s.now - STALE_HOLD_AFTER_MS) {
        v("stale_hold", format!("reservation {} expired {} s ago and is still ACTIVE", r.reservation_id, (s.now - r.expires_at) / 1000));
    }
    // The per-buyer limit: seats held (live) or booked per buyer and event.
    let limits: HashMap<&str, i64> = s.limits.iter().map(|(e, l)| (e.as_str(), *l)).collect();
    let mut per_buyer: HashMap<(&str, &str), i64> = HashMap::new();
    for r in &s.reservations {
        let counts = r.status == "CONFIRMED" || (r.status == "ACTIVE" && r.expires_at > s.now);
        if counts && limits.contains_key(r.event_id.as_str()) {
            *per_buyer.entry((r.event_id.as_str(), r.user_id.as_str())).or_default() += 1;
        }
    }
    for ((event, user), n) in &per_buyer {
        if *n > limits[event] {
            v("buyer_over_limit", format!("buyer {user} has {n} seats of event {event}, the limit is {}", limits[event]));
        }
    }
    for (ticket, n) in &s.admitted_twice {
        v("ticket_admitted_twice", format!("ticket {ticket} was admitted {n} times"));
    }

    found.sort();
    let mut counts: BTreeMap<&'static str, usize> = CHECKS.iter().map(|c| (*c, 0)).collect();
    let mut listed: Vec<Violation> = Vec::new();
    for f in found {
        let n = counts.entry(f.check).or_default();
        *n += 1;
        if *n <= LISTED {
            listed.push(f);
        }
    }
    Report {
        ok: listed.is_empty(),
        checked_at: common::time::to_rfc3339(s.now),
        counts,
        violations: listed,
        seats: s.seats.len(),
        bookings: s.bookings.len(),
        payments: s.payments.len(),
        running: s.bookings.iter().filter(|b| running(b)).count(),
    }
}

/// Export a report as `ticketing_audit_violations{check}`.
pub fn export(r: &Report) {
    for (check, n) in &r.counts {
        metrics::gauge!("ticketing_audit_violations", "check" => *check).set(*n as f64);
    }
}

/// The periodic audit of a process that runs the booking service: every `every`, until that
/// service stops. Failures to read are logged and retried at the next tick.
pub fn spawn(sources: Sources, every: Duration, booking: std::sync::Arc<booking::BookingService>) {
    tokio::spawn(async move {
        // The first pass at once: the metric exists from the start, and a restart is checked.
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if booking.stopped() {
                break;
            }
            match sources.run().await {
                Ok(r) => {
                    export(&r);
                    if !r.ok {
                        tracing::error!(violations = ?r.counts, first = ?r.violations.first(), "the audit found broken invariants");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "the periodic audit could not read the databases"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000_000;

    fn seat(id: &str, status: &str, hold: Option<&str>) -> SeatRow {
        SeatRow {
            seat_id: id.into(),
            event_id: "e".into(),
            seat_number: id.into(),
            section: "A".into(),
            section_order: 0,
            row_no: 1,
            seat_index: 0,
            row_size: 3,
            seat_type: "REGULAR".into(),
            price: 1000,
            status: status.into(),
            hold_reservation_id: hold.map(Into::into),
            hold_user_id: None,
            reserved_until: None,
            version: 0,
        }
    }

    fn reservation(id: &str, seat: &str, status: &str, booking: Option<&str>) -> ReservationRow {
        ReservationRow {
            reservation_id: id.into(),
            event_id: "e".into(),
            seat_id: seat.into(),
            seat_number: seat.into(),
            section: "A".into(),
            row_no: 1,
            price: 1000,
            user_id: "u".into(),
            status: status.into(),
            expires_at: NOW + 60_000,
            booking_id: booking.map(Into::into),
            created_at: NOW,
            waitlist_entry_id: None,
        }
    }

    fn booking(id: &str, status: BookingStatus, step: Step, seats: &[(&str, &str)], payment: Option<&str>) -> BookingRow {
        let seats: Vec<serde_json::Value> = seats
            .iter()
            .map(|(s, r)| {
                serde_json::json!({
            "seatId": s, "seatNumber": s, "section": "A", "rowNumber": 1, "price": 10, "reservationId": r})
            })
            .collect();
        BookingRow {
            booking_id: id.into(),
            booking_reference: "REF".into(),
            user_id: "u".into(),
            event_id: Some("e".into()),
            reservation_ids: "[]".into(),
            seats: serde_json::to_string(&seats).unwrap(),
            total_amount: 1000,
            currency: "USD".into(),
            status,
            step,
            payment_id: payment.map(Into::into),
            payment_status: if payment.is_some() { PaymentStatus::Success } else { PaymentStatus::Pending },
            error: None,
            lease_owner: None,
            lease_until: NOW,
            created_at: NOW,
            confirmed_at: None,
            cancelled_at: None,
        }
    }

    fn paid(id: &str, booking: &str, status: PaymentStatus) -> payment::PaymentRow {
        payment::PaymentRow {
            payment_id: id.into(),
            idempotency_key: format!("booking:{booking}"),
            user_id: "u".into(),
            booking_id: Some(booking.into()),
            amount: 1000,
            currency: "USD".into(),
            card_last4: "4242".into(),
            status,
            decline_code: None,
            transaction_id: None,
            created_at: NOW,
            processed_at: Some(NOW),
            refunded_at: None,
        }
    }

    fn consistent() -> Snapshot {
        Snapshot {
            bookings: vec![booking("b1", BookingStatus::Confirmed, Step::Done, &[("s1", "r1")], Some("p1"))],
            payments: vec![paid("p1", "b1", PaymentStatus::Success)],
            seats: vec![seat("s1", "BOOKED", Some("r1")), seat("s2", "RESERVED", Some("r2")), seat("s3", "AVAILABLE", None)],
            reservations: vec![reservation("r1", "s1", "CONFIRMED", Some("b1")), reservation("r2", "s2", "ACTIVE", None)],
            limits: vec![("e".into(), 2)],
            admitted_twice: vec![],
            now: NOW,
        }
    }

    fn failing(s: &Snapshot) -> Vec<&'static str> {
        let r = check(s);
        r.counts.iter().filter(|(_, n)| **n > 0).map(|(c, _)| *c).collect()
    }

    #[test]
    fn a_consistent_platform_passes_and_every_check_is_counted() {
        let r = check(&consistent());
        assert!(r.ok, "{:?}", r.violations);
        assert_eq!(r.counts.len(), CHECKS.len());
    }

    #[test]
    fn each_broken_invariant_is_named() {
        // The same seat in a second confirmed booking.
        let mut s = consistent();
        s.bookings.push(booking("b2", BookingStatus::Confirmed, Step::Done, &[("s1", "r9")], Some("p2")));
        s.payments.push(paid("p2", "b2", PaymentStatus::Success));
        assert!(failing(&s).contains(&"seat_sold_twice"), "{:?}", check(&s).violations);
        assert!(failing(&s).contains(&"map_disagrees_with_bookings"));

        // Charged, but the booking failed; confirmed without money.
        let mut s = consistent();
        s.bookings[0].status = BookingStatus::Failed;
        assert_eq!(failing(&s), vec!["charge_without_booking", "map_disagrees_with_bookings"]);
        let mut s = consistent();
        s.payments[0].status = PaymentStatus::Refunded;
        assert_eq!(failing(&s), vec!["booking_without_charge"]);

        // A saga nobody drives, a hold the cleanup forgot, a buyer past the limit.
        let mut s = consistent();
        s.bookings.push(booking("b3", BookingStatus::Pending, Step::New, &[], None));
        s.bookings[1].lease_until = NOW - 120_000;
        assert_eq!(failing(&s), vec!["stuck_saga"]);
        let mut s = consistent();
        s.reservations[1].expires_at = NOW - 600_000;
        assert_eq!(failing(&s), vec!["stale_hold"]);
        let mut s = consistent();
        s.limits = vec![("e".into(), 1)];
        assert_eq!(failing(&s), vec!["buyer_over_limit"]);
        let mut s = consistent();
        s.admitted_twice = vec![("b1-t1".into(), 2)];
        assert_eq!(failing(&s), vec!["ticket_admitted_twice"]);

        // A booked seat of nobody's booking; more sold + held than seats.
        let mut s = consistent();
        s.seats[2] = seat("s3", "BOOKED", Some("r3"));
        assert_eq!(failing(&s), vec!["map_disagrees_with_bookings"]);
        let mut s = consistent();
        s.seats.truncate(1);
        s.reservations[1].seat_id = "s1".into();
        assert!(failing(&s).contains(&"over_capacity"), "{:?}", check(&s).violations);
    }

    #[test]
    fn a_running_saga_may_hold_booked_seats_and_money() {
        let mut s = consistent();
        s.bookings[0].status = BookingStatus::Pending;
        s.bookings[0].step = Step::New;
        s.bookings[0].lease_until = NOW + 5_000;
        assert!(check(&s).ok, "{:?}", check(&s).violations);
    }
}
