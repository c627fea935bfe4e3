//! Tickets and check-in (shared/API.md §13).
//!
//! A ticket is one seat of a `CONFIRMED` booking: `<bookingId>-t<n>` for its n-th seat. It is not
//! written when the booking is confirmed (the purchase path stays as short as it was); it exists
//! because the booking does, and is revoked by the same transaction that cancels the booking. Its
//! `code` is signed ([`code`]) so a gate can check it offline; the signing key lives in the
//! bookings database, created by the first process that needs it, so every booking process signs
//! and checks with the same one.
//!
//! A scan admits a ticket with one conditional insert ([`store::TicketStore::admit`]): it reads
//! the booking's state and the primary key on the ticket refuses a second admission, so of any
//! number of simultaneous scans on any number of processes exactly one answers `ADMITTED`.
//!
//! Offline gates download the event's ticket list and the public key, scan on their own, and upload
//! their scans later (`POST .../scans/batch`): each is decided like an online scan at the time it
//! was made, and one that lost to another gate comes back with `conflict: true`, never dropped.

pub mod code;
pub(crate) mod http;
pub mod model;
pub mod render;
pub(crate) mod store;

pub use store::admitted_twice as audit_admitted_twice;

use crate::model::{BookingRow, BookingStatus, Step};
use crate::store::BookingStore;
use code::{Claims, TicketSigner};
use common::auth::AuthUser;
use common::clients::EventsFeed;
use common::time::{opt_rfc3339, to_rfc3339};
use common::{ApiError, ErrorCode};
pub use model::*;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use store::{Admission, ScanRow, TicketStore};
use tokio::sync::OnceCell;

/// Tickets of bookings, and the doors of events.
pub struct Tickets {
    bookings: BookingStore,
    store: TicketStore,
    signer: OnceCell<TicketSigner>,
    /// The event's name and venue for the PDF (set once at start; without it the PDF names the event id).
    events: OnceLock<Arc<dyn EventsFeed>>,
}

fn ticket_id(booking_id: &str, n: usize) -> String {
    format!("{booking_id}-t{n}")
}

/// (booking id, seat index from 0) of a ticket id.
fn parse_ticket_id(id: &str) -> Option<(&str, usize)> {
    let (booking, n) = id.rsplit_once("-t")?;
    let n: usize = n.parse().ok()?;
    let index = n.checked_sub(1)?;
    (!booking.is_empty()).then_some((booking, index))
}

fn gate_of(gate: &str) -> Result<String, ApiError> {
    common::extract::text_field("gate", gate, 1, 80)
}

fn now() -> i64 {
    common::time::now_ms()
}

impl Tickets {
    pub(crate) fn new(bookings: BookingStore) -> Self {
        let store = TicketStore::new(bookings.db.clone());
        Tickets { bookings, store, signer: OnceCell::new(), events: OnceLock::new() }
    }

    pub fn set_event_info(&self, events: Arc<dyn EventsFeed>) {
        let _ = self.events.set(events);
    }

    async fn signer(&self) -> Result<&TicketSigner, ApiError> {
        self.signer
            .get_or_try_init(|| async {
                use base64::Engine;
                let fresh = base64::engine::general_purpose::STANDARD.encode(TicketSigner::new_seed());
                let seed = self.store.signing_seed(&fresh, now()).await?;
                let bytes: [u8; 32] = base64::engine::general_purpose::STANDARD
                    .decode(seed)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| ApiError::internal("the stored ticket signing key is not 32 bytes of base64"))?;
                Ok::<_, ApiError>(TicketSigner::from_seed(bytes))
            })
            .await
    }

    pub async fn public_key(&self) -> Result<PublicKeyView, ApiError> {
        Ok(PublicKeyView { algorithm: "Ed25519", public_key: self.signer().await?.public_key() })
    }

    /// The booking's tickets: its owner's or an admin's; only a confirmed or cancelled booking has them.
    pub async fn of_booking(&self, caller: &AuthUser, booking_id: &str) -> Result<TicketList, ApiError> {
        let b = self.readable_booking(caller, booking_id).await?;
        if !matches!(b.status, BookingStatus::Confirmed | BookingStatus::Cancelled) {
            return Err(ApiError::new(ErrorCode::InvalidStateTransition, format!("a {} booking has no tickets", b.status)));
        }
        let scans: HashMap<String, ScanRow> =
            self.store.scans_of_booking(booking_id).await?.into_iter().map(|s| (s.ticket_id.clone(), s)).collect();
        let signer = self.signer().await?;
        let tickets = self.tickets_of(&b, signer, &scans);
        Ok(TicketList { tickets })
    }

    fn tickets_of(&self, b: &BookingRow, signer: &TicketSigner, scans: &HashMap<String, ScanRow>) -> Vec<TicketView> {
        let event_id = b.event_id.clone().unwrap_or_default();
        let valid = b.status == BookingStatus::Confirmed && b.step == Step::Done;
        b.seats()
            .into_iter()
            .enumerate()
            .map(|(i, seat)| {
                let id = ticket_id(&b.booking_id, i + 1);
                let scan = scans.get(&id);
                let status = match (valid, scan) {
                    (false, _) => TicketStatus::Revoked,
                    (true, Some(_)) => TicketStatus::Used,
                    (true, None) => TicketStatus::Valid,
                };
                let claims = Claims { ticket_id: id.clone(), event_id: event_id.clone(), seat_number: seat.seat_number.clone() };
                TicketView {
                    code: signer.sign(&claims),
                    ticket_id: id,
                    booking_id: b.booking_id.clone(),
                    event_id: event_id.clone(),
                    seat_number: seat.seat_number,
                    section: seat.section,
                    row_number: seat.row_number,
                    status,
                    used_at: opt_rfc3339(scan.map(|s| s.used_at)),
                    gate: scan.map(|s| s.gate.clone()),
                }
            })
            .collect()
    }

    async fn readable_booking(&self, caller: &AuthUser, booking_id: &str) -> Result<BookingRow, ApiError> {
        let b = self.bookings.get(booking_id).await?.ok_or_else(|| ApiError::not_found("booking"))?;
        if !caller.may_read(&b.user_id) {
            return Err(ApiError::forbidden("not your booking"));
        }
        Ok(b)
    }

    /// One ticket (owner or admin), for its QR code and PDF.
    pub async fn one(&self, caller: &AuthUser, id: &str) -> Result<TicketView, ApiError> {
        let (booking_id, _) = parse_ticket_id(id).ok_or_else(|| ApiError::not_found("ticket"))?;
        let list = match self.of_booking(caller, booking_id).await {
            Err(e) if e.code == ErrorCode::InvalidStateTransition => return Err(ApiError::not_found("ticket")),
            other => other?,
        };
        list.tickets.into_iter().find(|t| t.ticket_id == id).ok_or_else(|| ApiError::not_found("ticket"))
    }

    pub async fn pdf(&self, caller: &AuthUser, id: &str) -> Result<Vec<u8>, ApiError> {
        let t = self.one(caller, id).await?;
        let event = match self.events.get() {
            Some(e) => e.event(&t.event_id).await.ok().flatten(),
            None => None,
        };
        let title = event.as_ref().map(|e| e.event_name.clone()).unwrap_or_else(|| format!("Event {}", t.event_id));
        let mut lines = Vec::new();
        if let Some(e) = &event {
            lines.push(format!("{}, {}", e.venue_name, e.city));
            lines.push(e.event_date.replace('T', " ").replace('Z', " UTC"));
        }
        lines.push(format!("Seat {}  (section {}, row {})", t.seat_number, t.section, t.row_number));
        lines.push(format!("Ticket {}", t.ticket_id));
        if t.status != TicketStatus::Valid {
            lines.push(format!("Status: {}", t.status));
        }
        Ok(render::pdf(&render::TicketSheet { title: &title, lines, code: &t.code }))
    }

    /// Admin, or a scanner of this event.
    async fn may_scan(&self, caller: &AuthUser, event_id: &str) -> Result<(), ApiError> {
        if caller.is_admin() || self.store.is_scanner(event_id, &caller.user_id).await? {
            return Ok(());
        }
        Err(ApiError::forbidden("you are not a scanner of this event"))
    }

    pub async fn scan(&self, caller: &AuthUser, event_id: &str, input: ScanInput) -> Result<ScanView, ApiError> {
        self.may_scan(caller, event_id).await?;
        let gate = gate_of(&input.gate)?;
        self.decide(event_id, &input.code, &gate, now()).await
    }

    /// A scan at `at`: check the code, then let the database decide (see the module docs).
    async fn decide(&self, event_id: &str, code: &str, gate: &str, at: i64) -> Result<ScanView, ApiError> {
        let answer = |result, claims: Option<&Claims>| ScanView {
            result,
            ticket_id: claims.map(|c| c.ticket_id.clone()),
            seat_number: claims.map(|c| c.seat_number.clone()),
            used_at: None,
            gate: None,
        };
        if code.len() > 2000 {
            return Ok(answer(ScanResult::Invalid, None));
        }
        let Some(claims) = self.signer().await?.verify(code) else {
            metrics::counter!("checkin_scans_total", "result" => ScanResult::Invalid.as_str()).increment(1);
            return Ok(answer(ScanResult::Invalid, None));
        };
        let result = if claims.event_id != event_id {
            answer(ScanResult::WrongEvent, Some(&claims))
        } else {
            let Some((booking_id, _)) = parse_ticket_id(&claims.ticket_id) else {
                return Ok(answer(ScanResult::Invalid, None));
            };
            let scan = ScanRow {
                ticket_id: claims.ticket_id.clone(),
                booking_id: booking_id.to_string(),
                event_id: event_id.to_string(),
                seat_number: claims.seat_number.clone(),
                used_at: at,
                gate: gate.to_string(),
            };
            match self.store.admit(scan).await? {
                Admission::Admitted => {
                    ScanView { used_at: Some(to_rfc3339(at)), gate: Some(gate.to_string()), ..answer(ScanResult::Admitted, Some(&claims)) }
                }
                Admission::AlreadyUsed(first) => ScanView {
                    used_at: Some(to_rfc3339(first.used_at)),
                    gate: Some(first.gate),
                    ..answer(ScanResult::AlreadyUsed, Some(&claims))
                },
                Admission::NotValid => answer(ScanResult::Revoked, Some(&claims)),
            }
        };
        metrics::counter!("checkin_scans_total", "result" => result.result.as_str()).increment(1);
        Ok(result)
    }

    /// Scans an offline gate made, uploaded later: each decided at the time it was made, in that
    /// order; one that another gate beat is reported as a conflict.
    pub async fn upload(&self, caller: &AuthUser, event_id: &str, input: BatchInput) -> Result<BatchResults, ApiError> {
        self.may_scan(caller, event_id).await?;
        let gate = gate_of(&input.gate)?;
        if input.scans.is_empty() || input.scans.len() > 1000 {
            return Err(ApiError::validation("scans", "must hold 1 to 1000 scans"));
        }
        let t = now();
        let mut order = Vec::with_capacity(input.scans.len());
        for (i, s) in input.scans.iter().enumerate() {
            let at = common::time::parse_rfc3339(&s.scanned_at)
                .ok_or_else(|| ApiError::validation(&format!("scans[{i}].scannedAt"), "must be an RFC 3339 time"))?;
            order.push((at.min(t), i));
        }
        order.sort();
        let mut results: Vec<Option<BatchResult>> = (0..input.scans.len()).map(|_| None).collect();
        for (at, i) in order {
            let code = &input.scans[i].code;
            let mut scan = self.decide(event_id, code, &gate, at).await?;
            let mut conflict = false;
            if scan.result == ScanResult::AlreadyUsed {
                // The same scan uploaded again (a retried upload) is its own admission.
                if scan.gate.as_deref() == Some(gate.as_str()) && scan.used_at.as_deref() == Some(to_rfc3339(at).as_str()) {
                    scan.result = ScanResult::Admitted;
                } else {
                    conflict = true;
                }
            }
            results[i] = Some(BatchResult { code: code.clone(), scan, conflict });
        }
        Ok(BatchResults { results: results.into_iter().flatten().collect() })
    }

    pub async fn offline_list(&self, caller: &AuthUser, event_id: &str) -> Result<OfflineList, ApiError> {
        self.may_scan(caller, event_id).await?;
        let scans: HashMap<String, ScanRow> =
            self.store.scans_of_event(event_id).await?.into_iter().map(|s| (s.ticket_id.clone(), s)).collect();
        let signer = self.signer().await?;
        let mut tickets = Vec::new();
        for b in self.bookings.confirmed_of_event(event_id).await? {
            for t in self.tickets_of(&b, signer, &scans) {
                if t.status == TicketStatus::Revoked {
                    continue;
                }
                tickets.push(OfflineTicket {
                    ticket_id: t.ticket_id,
                    seat_number: t.seat_number,
                    status: t.status,
                    used_at: t.used_at,
                    gate: t.gate,
                });
            }
        }
        Ok(OfflineList {
            event_id: event_id.to_string(),
            algorithm: "Ed25519",
            public_key: signer.public_key(),
            generated_at: to_rfc3339(now()),
            tickets,
        })
    }

    pub async fn counts(&self, caller: &AuthUser, event_id: &str) -> Result<CheckinCounts, ApiError> {
        self.may_scan(caller, event_id).await?;
        let (expected, admitted) = self.store.counts(event_id).await?;
        Ok(CheckinCounts { event_id: event_id.to_string(), expected, admitted })
    }

    pub async fn grant(&self, caller: &AuthUser, event_id: &str, user_id: &str) -> Result<(), ApiError> {
        if !caller.is_admin() {
            return Err(ApiError::forbidden("only an admin grants the scanner role"));
        }
        let event_id = common::extract::text_field("eventId", event_id, 1, 64)?;
        let user_id = common::extract::text_field("userId", user_id, 1, 128)?;
        Ok(self.store.grant_scanner(&event_id, &user_id, now()).await?)
    }

    pub async fn revoke(&self, caller: &AuthUser, event_id: &str, user_id: &str) -> Result<(), ApiError> {
        if !caller.is_admin() {
            return Err(ApiError::forbidden("only an admin revokes the scanner role"));
        }
        Ok(self.store.revoke_scanner(event_id, user_id).await?)
    }

    pub async fn my_events(&self, caller: &AuthUser) -> Result<ScannerEvents, ApiError> {
        Ok(ScannerEvents { event_ids: self.store.scanner_events(&caller.user_id).await? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_ids_name_their_booking_and_seat() {
        let id = ticket_id("0193a0b2-7c1d-7e00-8000-000000000001", 3);
        assert_eq!(parse_ticket_id(&id), Some(("0193a0b2-7c1d-7e00-8000-000000000001", 2)));
        for bad in ["", "-t1", "abc", "abc-t0", "abc-tx", "abc-t"] {
            assert_eq!(parse_ticket_id(bad), None, "{bad:?}");
        }
    }
}
