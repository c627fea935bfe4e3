//! The waitlist of a sold-out event (shared/API.md §14): the rules a fan meets. How freed seats
//! reach the waitlist first, and exactly once, is in the SQL (`store/waitlist.rs`).

use crate::service::InventoryService;
use crate::store::{EntryRow, Joined};
use axum::http::StatusCode;
use common::time::to_rfc3339;
use common::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinInput {
    /// Seats wanted together, 1 to 10.
    pub quantity: i64,
    /// Only seats of this section.
    #[serde(default)]
    pub section: Option<String>,
}

common::text_enum! {
    /// Where a waitlist entry stands.
    pub enum EntryStatus {
        Waiting = "WAITING",
        /// Seats are held for the fan until `offer.expiresAt`.
        Offered = "OFFERED",
        /// The fan bought the offered seats.
        Fulfilled = "FULFILLED",
        /// The offer ran out (or its holds were let go); the seats went on to the next entry.
        Expired = "EXPIRED",
        /// The fan left.
        Cancelled = "CANCELLED",
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    /// Ordinary `ACTIVE` holds of the fan: buy them with `POST /api/bookings/confirm`.
    pub reservation_ids: Vec<String>,
    pub expires_at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryView {
    pub entry_id: String,
    pub event_id: String,
    pub quantity: i64,
    pub section: Option<String>,
    pub status: EntryStatus,
    /// Place among the event's live entries, from 1 (null once the entry has ended).
    pub position: Option<i64>,
    pub offer: Option<Offer>,
    pub created_at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntryList {
    pub entries: Vec<EntryView>,
}

fn status_of(e: &EntryRow, now: i64) -> EntryStatus {
    match e.effective_status(now) {
        "OFFERED" => EntryStatus::Offered,
        "FULFILLED" => EntryStatus::Fulfilled,
        "EXPIRED" => EntryStatus::Expired,
        "CANCELLED" => EntryStatus::Cancelled,
        _ => EntryStatus::Waiting,
    }
}

fn now() -> i64 {
    common::time::now_ms()
}

impl InventoryService {
    /// Join the event's waitlist; seats already free are offered at once.
    pub async fn join_waitlist(&self, user_id: &str, event_id: &str, input: JoinInput) -> Result<(StatusCode, EntryView), ApiError> {
        if !(1..=10).contains(&input.quantity) {
            return Err(ApiError::validation("quantity", "must be 1 to 10"));
        }
        let section = match input.section.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(common::extract::text_field("section", s, 1, 50)?),
            None => None,
        };
        let ev = self.event(event_id).await?;
        if !matches!(ev.status.as_str(), "ON_SALE" | "SOLD_OUT") {
            return Err(ApiError::new(
                ErrorCode::InvalidStateTransition,
                format!("only a sold-out or on-sale event has a waitlist (this one is {})", ev.status),
            ));
        }
        if let Some(s) = &section {
            if !self.store.has_section(event_id, s).await? {
                return Err(ApiError::validation("section", format!("no section '{s}' in this event")));
            }
        }
        let t = now();
        if let Some(limit) = ev.max_tickets_per_user {
            let held = self.store.held_by(event_id, user_id, t).await?;
            if held + input.quantity > limit {
                return Err(crate::service::limit_exceeded(limit, held));
            }
        }
        let row = EntryRow {
            entry_id: common::ids::new_id(),
            event_id: event_id.to_string(),
            user_id: user_id.to_string(),
            quantity: input.quantity,
            section,
            buyer_limit: ev.max_tickets_per_user,
            status: "WAITING".into(),
            offer_reservation_ids: None,
            offer_expires_at: None,
            created_at: t,
            seq: 0,
        };
        let joined = store::retry(3, || self.store.join_waitlist(&row, t)).await?;
        Ok(match joined {
            Joined::Created(e, offered) => {
                self.board_held(&offered);
                metrics::counter!("waitlist_joins_total").increment(1);
                (StatusCode::CREATED, self.entry_view(&e).await?)
            }
            Joined::Existing(e) => (StatusCode::OK, self.entry_view(&e).await?),
        })
    }

    pub async fn my_waitlist(&self, user_id: &str) -> Result<EntryList, ApiError> {
        let mut entries = Vec::new();
        for e in self.store.entries_of(user_id).await? {
            entries.push(self.entry_view(&e).await?);
        }
        Ok(EntryList { entries })
    }

    /// The owner leaves; an open offer's seats are let go (to the next entries first).
    pub async fn leave_waitlist(&self, user_id: &str, entry_id: &str) -> Result<(), ApiError> {
        let e = self.store.entry(entry_id).await?.ok_or_else(|| ApiError::not_found("waitlist entry"))?;
        if e.user_id != user_id {
            return Err(ApiError::forbidden("not your waitlist entry"));
        }
        if let Some((_, released)) = self.store.leave_waitlist(entry_id, user_id, now()).await? {
            self.board_released(&released);
        }
        Ok(())
    }

    async fn entry_view(&self, e: &EntryRow) -> Result<EntryView, ApiError> {
        let t = now();
        let status = status_of(e, t);
        let position = match status {
            EntryStatus::Waiting | EntryStatus::Offered => Some(self.store.ahead_of(e).await? + 1),
            _ => None,
        };
        let offer = (status == EntryStatus::Offered)
            .then(|| Offer { reservation_ids: e.offer_ids(), expires_at: to_rfc3339(e.offer_expires_at.unwrap_or(t)) });
        Ok(EntryView {
            entry_id: e.entry_id.clone(),
            event_id: e.event_id.clone(),
            quantity: e.quantity,
            section: e.section.clone(),
            status,
            position,
            offer,
            created_at: to_rfc3339(e.created_at),
        })
    }
}
