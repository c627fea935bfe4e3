//! The event, its wire shape, input parsing and the status machine.

use common::money::Money;
use common::time::{opt_rfc3339, parse_rfc3339, to_rfc3339};
use common::ApiError;
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Upcoming,
    OnSale,
    SoldOut,
    Cancelled,
    Completed,
}

impl Status {
    pub const ALL: [Status; 5] = [Status::Upcoming, Status::OnSale, Status::SoldOut, Status::Cancelled, Status::Completed];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Upcoming => "UPCOMING",
            Status::OnSale => "ON_SALE",
            Status::SoldOut => "SOLD_OUT",
            Status::Cancelled => "CANCELLED",
            Status::Completed => "COMPLETED",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// May an admin (or the clock) move an event from `self` to `to`? `COMPLETED` needs the event
    /// date to have passed, which the caller checks.
    pub fn can_move_to(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Upcoming, OnSale)
                | (OnSale, SoldOut)
                | (SoldOut, OnSale)
                | (Upcoming | OnSale | SoldOut, Cancelled)
                | (Upcoming | OnSale | SoldOut, Completed)
        )
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub event_id: String,
    pub event_name: String,
    pub description: Option<String>,
    pub category: String,
    pub venue_name: String,
    pub city: String,
    pub event_date: i64,
    pub sale_start: i64,
    pub sale_end: Option<i64>,
    pub tags: String,
    pub image_url: Option<String>,
    /// UPCOMING | ON_SALE | SOLD_OUT | CANCELLED | COMPLETED
    pub status: String,
    pub total_seats: i64,
    pub available_seats: i64,
    pub booked_seats: i64,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub max_tickets_per_user: Option<i64>,
    pub waiting_room_enabled: i64,
    pub admit_per_minute: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaitingRoomView {
    pub enabled: bool,
    pub admit_per_minute: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    pub event_id: String,
    pub event_name: String,
    pub description: Option<String>,
    pub category: String,
    pub venue_name: String,
    pub city: String,
    pub event_date: String,
    pub sale_start_time: String,
    pub sale_end_time: Option<String>,
    pub tags: Vec<String>,
    pub image_url: Option<String>,
    pub status: String,
    pub total_seats: i64,
    pub available_seats: i64,
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
    pub max_tickets_per_user: Option<i64>,
    pub waiting_room: WaitingRoomView,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&EventRow> for EventView {
    fn from(r: &EventRow) -> Self {
        EventView {
            event_id: r.event_id.clone(),
            event_name: r.event_name.clone(),
            description: r.description.clone(),
            category: r.category.clone(),
            venue_name: r.venue_name.clone(),
            city: r.city.clone(),
            event_date: to_rfc3339(r.event_date),
            sale_start_time: to_rfc3339(r.sale_start),
            sale_end_time: opt_rfc3339(r.sale_end),
            tags: serde_json::from_str(&r.tags).unwrap_or_default(),
            image_url: r.image_url.clone(),
            status: r.status.clone(),
            total_seats: r.total_seats,
            available_seats: r.available_seats,
            min_price: r.min_price.map(Money),
            max_price: r.max_price.map(Money),
            max_tickets_per_user: r.max_tickets_per_user,
            waiting_room: WaitingRoomView { enabled: r.waiting_room_enabled != 0, admit_per_minute: r.admit_per_minute },
            created_at: to_rfc3339(r.created_at),
            updated_at: to_rfc3339(r.updated_at),
        }
    }
}

/// `null` and absent differ for the fields that may be cleared.
fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WaitingRoomInput {
    pub enabled: Option<bool>,
    pub admit_per_minute: Option<i64>,
}

/// The body of create (every required field present) and update (any subset).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventInput {
    #[schema(example = "Summer Rock Night")]
    pub event_name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub description: Option<Option<String>>,
    pub category: Option<String>,
    pub venue_name: Option<String>,
    pub city: Option<String>,
    /// RFC 3339 UTC.
    #[schema(example = "2030-06-01T20:00:00Z")]
    pub event_date: Option<String>,
    /// RFC 3339 UTC.
    #[schema(example = "2030-05-01T10:00:00Z")]
    pub sale_start_time: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub sale_end_time: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub image_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub max_tickets_per_user: Option<Option<i64>>,
    pub waiting_room: Option<WaitingRoomInput>,
}

fn time_field(field: &str, v: &str) -> Result<i64, ApiError> {
    parse_rfc3339(v).ok_or_else(|| ApiError::validation(field, "must be an RFC 3339 timestamp such as 2026-12-05T19:00:00Z"))
}

fn required<'a>(field: &str, v: &'a Option<String>) -> Result<&'a str, ApiError> {
    v.as_deref().ok_or_else(|| ApiError::validation(field, "is required"))
}

impl EventInput {
    /// Apply this input to `row` (a blank one for create), validating every field it carries and
    /// the row as a whole.
    pub fn apply(self, row: &mut EventRow, creating: bool) -> Result<(), ApiError> {
        use common::extract::text_field;
        if creating {
            for (f, v) in [
                ("eventName", &self.event_name),
                ("category", &self.category),
                ("venueName", &self.venue_name),
                ("city", &self.city),
                ("eventDate", &self.event_date),
                ("saleStartTime", &self.sale_start_time),
            ] {
                required(f, v)?;
            }
        }
        if let Some(v) = &self.event_name {
            row.event_name = text_field("eventName", v, 1, 200)?;
        }
        if let Some(v) = self.description {
            row.description = match v {
                Some(d) => Some(text_field("description", &d, 0, 5000)?),
                None => None,
            };
        }
        if let Some(v) = &self.category {
            row.category = text_field("category", v, 1, 50)?;
        }
        if let Some(v) = &self.venue_name {
            row.venue_name = text_field("venueName", v, 1, 200)?;
        }
        if let Some(v) = &self.city {
            row.city = text_field("city", v, 1, 100)?;
        }
        if let Some(v) = &self.event_date {
            row.event_date = time_field("eventDate", v)?;
        }
        if let Some(v) = &self.sale_start_time {
            row.sale_start = time_field("saleStartTime", v)?;
        }
        if let Some(v) = self.sale_end_time {
            row.sale_end = match v {
                Some(t) => Some(time_field("saleEndTime", &t)?),
                None => None,
            };
        }
        if let Some(tags) = self.tags {
            if tags.len() > 20 {
                return Err(ApiError::validation("tags", "at most 20 tags"));
            }
            let mut clean = Vec::new();
            for t in tags {
                let t = text_field("tags", &t, 1, 50)?;
                if !clean.contains(&t) {
                    clean.push(t);
                }
            }
            row.tags = serde_json::to_string(&clean).unwrap_or_else(|_| "[]".into());
        }
        if let Some(v) = self.image_url {
            row.image_url = match v {
                Some(u) => {
                    let u = text_field("imageUrl", &u, 1, 2000)?;
                    if !(u.starts_with("http://") || u.starts_with("https://") || u.starts_with('/')) {
                        return Err(ApiError::validation("imageUrl", "must be an http(s) URL"));
                    }
                    Some(u)
                }
                None => None,
            };
        }
        if let Some(v) = self.max_tickets_per_user {
            if let Some(n) = v {
                if !(1..=50).contains(&n) {
                    return Err(ApiError::validation("maxTicketsPerUser", "must be between 1 and 50, or null"));
                }
            }
            row.max_tickets_per_user = v;
        }
        if let Some(w) = self.waiting_room {
            if let Some(e) = w.enabled {
                row.waiting_room_enabled = e as i64;
            }
            if let Some(n) = w.admit_per_minute {
                if !(1..=1_000_000).contains(&n) {
                    return Err(ApiError::validation("waitingRoom.admitPerMinute", "must be between 1 and 1000000"));
                }
                row.admit_per_minute = n;
            }
        }
        if row.sale_start > row.event_date {
            return Err(ApiError::validation("saleStartTime", "must not be after eventDate"));
        }
        if let Some(end) = row.sale_end {
            if end < row.sale_start || end > row.event_date {
                return Err(ApiError::validation("saleEndTime", "must be between saleStartTime and eventDate"));
            }
        }
        Ok(())
    }
}

pub fn blank_row(id: String, now: i64) -> EventRow {
    EventRow {
        event_id: id,
        event_name: String::new(),
        description: None,
        category: String::new(),
        venue_name: String::new(),
        city: String::new(),
        event_date: 0,
        sale_start: 0,
        sale_end: None,
        tags: "[]".into(),
        image_url: None,
        status: Status::Upcoming.as_str().into(),
        total_seats: 0,
        available_seats: 0,
        booked_seats: 0,
        min_price: None,
        max_price: None,
        max_tickets_per_user: None,
        waiting_room_enabled: 0,
        admit_per_minute: 1000,
        created_at: now,
        updated_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::Status::{self, *};

    #[test]
    fn the_status_machine_is_the_contract() {
        let allowed = [
            (Upcoming, OnSale),
            (OnSale, SoldOut),
            (SoldOut, OnSale),
            (Upcoming, Cancelled),
            (OnSale, Cancelled),
            (SoldOut, Cancelled),
            (Upcoming, Completed),
            (OnSale, Completed),
            (SoldOut, Completed),
        ];
        for a in Status::ALL {
            for b in Status::ALL {
                assert_eq!(a.can_move_to(b), allowed.contains(&(a, b)), "{a:?} -> {b:?}");
            }
        }
    }
}
