//! The wire shape of `GET /api/search` (shared/API.md §8). Typed structs, never `json!`: money must
//! keep its exact decimal text.

use crate::index::StoredHit;
use common::extract::PageInfo;
use common::money::Money;
use serde::Serialize;

/// Below this share of seats left (and above zero), an event is `LIMITED`: fewer than 1 in 10.
pub const LIMITED_PERCENT: i64 = 10;

/// `SOLD_OUT` when no seat is available (including an event without a seat map yet),
/// `LIMITED` when fewer than [`LIMITED_PERCENT`]% of the seats are left, else `AVAILABLE`.
pub fn availability(available: i64, total: i64) -> &'static str {
    if available <= 0 || total <= 0 {
        "SOLD_OUT"
    } else if available * 100 < total * LIMITED_PERCENT {
        "LIMITED"
    } else {
        "AVAILABLE"
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub event_id: String,
    pub event_name: String,
    pub description: Option<String>,
    pub category: String,
    pub city: String,
    pub venue_name: String,
    pub event_date: String,
    pub status: String,
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
    pub available_seats: i64,
    pub total_seats: i64,
    /// AVAILABLE | LIMITED | SOLD_OUT
    pub availability: &'static str,
}

impl From<StoredHit> for SearchHit {
    fn from(h: StoredHit) -> Self {
        SearchHit {
            availability: availability(h.available_seats, h.total_seats),
            event_id: h.event_id,
            event_name: h.event_name,
            description: h.description,
            category: h.category,
            city: h.city,
            venue_name: h.venue_name,
            event_date: h.event_date,
            status: h.status,
            min_price: h.min_price.map(Money),
            max_price: h.max_price.map(Money),
            available_seats: h.available_seats,
            total_seats: h.total_seats,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default, utoipa::ToSchema)]
pub struct Facets {
    pub city: Vec<FacetValue>,
    pub category: Vec<FacetValue>,
}

/// What the cache keeps: everything but `tookMs`, which is measured per request.
#[derive(Debug, Clone)]
pub struct ResultPage {
    pub results: Vec<SearchHit>,
    pub page: PageInfo,
    pub facets: Facets,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResponse {
    pub results: Vec<SearchHit>,
    pub page: PageInfo,
    pub facets: Facets,
    pub took_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::availability;

    #[test]
    fn availability_thresholds() {
        assert_eq!(availability(0, 0), "SOLD_OUT");
        assert_eq!(availability(0, 100), "SOLD_OUT");
        assert_eq!(availability(9, 100), "LIMITED");
        assert_eq!(availability(10, 100), "AVAILABLE");
        assert_eq!(availability(1, 5), "AVAILABLE");
        assert_eq!(availability(1, 11), "LIMITED");
        assert_eq!(availability(100, 100), "AVAILABLE");
    }
}
