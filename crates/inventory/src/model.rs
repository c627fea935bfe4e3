//! Seats and reservations: rows, wire shapes and request parsing.

use common::money::Money;
use common::time::to_rfc3339;
use common::ApiError;
use serde::{Deserialize, Serialize};

pub const MAX_SEATS_PER_EVENT: i64 = 100_000;
pub const MAX_SEATS_PER_ROW: i64 = 2_000;
pub const MAX_SEATS_PER_REQUEST: usize = 10;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SeatRow {
    pub seat_id: String,
    pub event_id: String,
    pub seat_number: String,
    pub section: String,
    pub section_order: i64,
    pub row_no: i64,
    pub seat_index: i64,
    pub row_size: i64,
    pub seat_type: String,
    pub price: i64,
    pub status: String,
    pub hold_reservation_id: Option<String>,
    pub hold_user_id: Option<String>,
    pub reserved_until: Option<i64>,
    pub version: i64,
}

impl SeatRow {
    /// The status a client sees: a hold past its time is already `AVAILABLE`.
    pub fn effective_status(&self, now: i64) -> &str {
        if self.status == "RESERVED" && self.reserved_until.is_some_and(|t| t <= now) {
            "AVAILABLE"
        } else {
            &self.status
        }
    }
    pub fn is_free(&self, now: i64) -> bool {
        self.effective_status(now) == "AVAILABLE"
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeatView {
    pub seat_id: String,
    pub seat_number: String,
    pub section: String,
    pub row_number: i64,
    pub seat_type: String,
    pub price: Money,
    pub status: String,
}

impl SeatView {
    pub fn new(s: &SeatRow, now: i64) -> Self {
        SeatView {
            seat_id: s.seat_id.clone(),
            seat_number: s.seat_number.clone(),
            section: s.section.clone(),
            row_number: s.row_no,
            seat_type: s.seat_type.clone(),
            price: Money(s.price),
            status: s.effective_status(now).to_string(),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReservationRow {
    pub reservation_id: String,
    pub event_id: String,
    pub seat_id: String,
    pub seat_number: String,
    pub section: String,
    pub row_no: i64,
    pub price: i64,
    pub user_id: String,
    pub status: String,
    pub expires_at: i64,
    pub booking_id: Option<String>,
    pub created_at: i64,
    /// The waitlist entry this hold was offered to; read only where it matters (confirming and
    /// letting go of holds), so the column is not in every query.
    #[sqlx(default)]
    pub waitlist_entry_id: Option<String>,
}

impl ReservationRow {
    /// A new live hold of `seat` for `user_id` (a fresh reservation id).
    pub fn hold(seat: &SeatRow, user_id: &str, expires_at: i64, now: i64) -> Self {
        ReservationRow {
            reservation_id: common::ids::new_id(),
            event_id: seat.event_id.clone(),
            seat_id: seat.seat_id.clone(),
            seat_number: seat.seat_number.clone(),
            section: seat.section.clone(),
            row_no: seat.row_no,
            price: seat.price,
            user_id: user_id.to_string(),
            status: "ACTIVE".into(),
            expires_at,
            booking_id: None,
            created_at: now,
            waitlist_entry_id: None,
        }
    }

    /// `ACTIVE` past its expiry is `EXPIRED` to every reader, before the cleanup job writes it.
    pub fn effective_status(&self, now: i64) -> &str {
        if self.status == "ACTIVE" && self.expires_at <= now {
            "EXPIRED"
        } else {
            &self.status
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReservationView {
    pub reservation_id: String,
    pub event_id: String,
    pub seat_id: String,
    pub seat_number: String,
    pub section: String,
    pub row_number: i64,
    pub price: Money,
    pub user_id: String,
    pub status: String,
    pub expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking_id: Option<String>,
    pub created_at: String,
}

impl ReservationView {
    pub fn new(r: &ReservationRow, now: i64) -> Self {
        ReservationView {
            reservation_id: r.reservation_id.clone(),
            event_id: r.event_id.clone(),
            seat_id: r.seat_id.clone(),
            seat_number: r.seat_number.clone(),
            section: r.section.clone(),
            row_number: r.row_no,
            price: Money(r.price),
            user_id: r.user_id.clone(),
            status: r.effective_status(now).to_string(),
            expires_at: to_rfc3339(r.expires_at),
            booking_id: r.booking_id.clone(),
            created_at: to_rfc3339(r.created_at),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum SeatType {
    Regular,
    Vip,
    Premium,
}

impl SeatType {
    pub fn as_str(self) -> &'static str {
        match self {
            SeatType::Regular => "REGULAR",
            SeatType::Vip => "VIP",
            SeatType::Premium => "PREMIUM",
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RowInput {
    pub row_number: i64,
    pub seats: i64,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SectionInput {
    pub section: String,
    pub seat_type: SeatType,
    pub price: Money,
    pub rows: Vec<RowInput>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LayoutInput {
    pub sections: Vec<SectionInput>,
}

impl LayoutInput {
    /// Check the layout and expand it into seats (ids and numbers fresh).
    pub fn into_seats(self, event_id: &str) -> Result<Vec<SeatRow>, ApiError> {
        if self.sections.is_empty() {
            return Err(ApiError::validation("sections", "must not be empty"));
        }
        if self.sections.len() > 200 {
            return Err(ApiError::validation("sections", "at most 200 sections"));
        }
        let mut names = std::collections::HashSet::new();
        let mut total: i64 = 0;
        let mut seats = Vec::new();
        for (order, s) in self.sections.into_iter().enumerate() {
            let f = |name: &str| format!("sections[{order}].{name}");
            let section = common::extract::text_field(&f("section"), &s.section, 1, 50)?;
            if section.contains(char::is_control) {
                return Err(ApiError::validation(&f("section"), "must be printable"));
            }
            if !names.insert(section.to_lowercase()) {
                return Err(ApiError::validation(&f("section"), format!("duplicate section '{section}'")));
            }
            if s.price.cents() < 0 {
                return Err(ApiError::validation(&f("price"), "must not be negative"));
            }
            if s.rows.is_empty() {
                return Err(ApiError::validation(&f("rows"), "must not be empty"));
            }
            let mut row_numbers = std::collections::HashSet::new();
            for (ri, r) in s.rows.iter().enumerate() {
                let rf = |name: &str| format!("sections[{order}].rows[{ri}].{name}");
                if !(1..=10_000).contains(&r.row_number) {
                    return Err(ApiError::validation(&rf("rowNumber"), "must be between 1 and 10000"));
                }
                if !row_numbers.insert(r.row_number) {
                    return Err(ApiError::validation(&rf("rowNumber"), format!("duplicate row {} in section '{section}'", r.row_number)));
                }
                if !(1..=MAX_SEATS_PER_ROW).contains(&r.seats) {
                    return Err(ApiError::validation(&rf("seats"), format!("must be between 1 and {MAX_SEATS_PER_ROW}")));
                }
                total += r.seats;
                if total > MAX_SEATS_PER_EVENT {
                    return Err(ApiError::validation("sections", format!("at most {MAX_SEATS_PER_EVENT} seats an event")));
                }
                for i in 1..=r.seats {
                    seats.push(SeatRow {
                        seat_id: common::ids::new_id(),
                        event_id: event_id.to_string(),
                        seat_number: format!("{section}-{}-{i}", r.row_number),
                        section: section.clone(),
                        section_order: order as i64,
                        row_no: r.row_number,
                        seat_index: i,
                        row_size: r.seats,
                        seat_type: s.seat_type.as_str().to_string(),
                        price: s.price.cents(),
                        status: "AVAILABLE".into(),
                        hold_reservation_id: None,
                        hold_user_id: None,
                        reserved_until: None,
                        version: 0,
                    });
                }
            }
        }
        Ok(seats)
    }
}

/// `{eventId, seatNumbers}` (1 to 10 distinct) or `{eventId, quantity, section?}` (best available).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReserveInput {
    pub event_id: String,
    pub seat_numbers: Option<Vec<String>>,
    pub quantity: Option<i64>,
    pub section: Option<String>,
}

/// What a reservation request asks for, once parsed.
#[derive(Debug, Clone)]
pub enum Wanted {
    Seats(Vec<String>),
    Best { quantity: usize, section: Option<String> },
}

impl ReserveInput {
    pub fn parse(self) -> Result<(String, Wanted), ApiError> {
        let event_id = common::extract::text_field("eventId", &self.event_id, 1, 64)?;
        let wanted = match (self.seat_numbers, self.quantity) {
            (Some(_), Some(_)) => return Err(ApiError::validation("seatNumbers", "give seatNumbers or quantity, not both")),
            (None, None) => return Err(ApiError::validation("seatNumbers", "give seatNumbers (1 to 10) or quantity")),
            (Some(list), None) => {
                if list.is_empty() || list.len() > MAX_SEATS_PER_REQUEST {
                    return Err(ApiError::validation("seatNumbers", format!("must hold 1 to {MAX_SEATS_PER_REQUEST} seats")));
                }
                let mut seen = std::collections::HashSet::new();
                let mut out = Vec::new();
                for n in list {
                    let n = common::extract::text_field("seatNumbers", &n, 1, 80)?;
                    if !seen.insert(n.clone()) {
                        return Err(ApiError::validation("seatNumbers", format!("seat '{n}' is listed twice")));
                    }
                    out.push(n);
                }
                Wanted::Seats(out)
            }
            (None, Some(q)) => {
                if !(1..=MAX_SEATS_PER_REQUEST as i64).contains(&q) {
                    return Err(ApiError::validation("quantity", format!("must be between 1 and {MAX_SEATS_PER_REQUEST}")));
                }
                let section = match self.section {
                    Some(s) if !s.trim().is_empty() => Some(common::extract::text_field("section", &s, 1, 50)?),
                    _ => None,
                };
                Wanted::Best { quantity: q as usize, section }
            }
        };
        Ok((event_id, wanted))
    }
}
