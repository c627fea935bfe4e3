//! The rules of the catalogue, and its two background jobs: the clock (status moves by time) and the
//! follower of the inventory's outbox (seat counts).

use crate::model::{blank_row, EventInput, EventRow, EventView, Status};
use crate::store::{EventsStore, ListFilter};
use async_trait::async_trait;
use common::clients::{EventSaleInfo, EventsApi, InventoryApi, OutboxRecord};
use common::extract::Paging;
use common::{ApiError, ErrorCode};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use store::outbox::Cursor;

/// A page of the catalogue. (Typed, not `json!`: money must stay exact decimal text.)
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EventPage {
    pub events: Vec<EventView>,
    pub page: common::extract::PageInfo,
}

pub struct EventsService {
    store: EventsStore,
    /// The sale check runs on every reservation: answered from memory, emptied at every change this
    /// process makes to the event. Other events processes' changes show within the second it lives.
    sale_cache: moka::future::Cache<String, EventSaleInfo>,
    /// Bumped at every change, so that a sale check that read the database before a change does not
    /// put its stale answer into the cache after it.
    changes: std::sync::atomic::AtomicU64,
    /// The inventory, asked whether an event has seats before an admin opens its sale (the copy of
    /// the counts may be a moment behind a layout just saved). Set by [`Self::spawn_jobs`].
    inventory: std::sync::OnceLock<Arc<dyn InventoryApi>>,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub page: Option<i64>,
    pub size: Option<i64>,
    pub status: Option<String>,
    pub category: Option<String>,
    pub city: Option<String>,
    pub date_from: Option<String>,
    pub date_to: Option<String>,
}

fn nonempty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// A plain date as `dateTo` means the whole of that day.
fn date_to_bound(s: &str) -> Option<i64> {
    let t = common::time::parse_rfc3339(s)?;
    Some(if s.trim().len() == 10 { t + 86_400_000 - 1 } else { t })
}

impl EventsService {
    pub fn new(db: store::Db) -> Self {
        let sale_cache = moka::future::Cache::builder().max_capacity(10_000).time_to_live(Duration::from_secs(1)).build();
        Self { store: EventsStore { db }, sale_cache, changes: Default::default(), inventory: std::sync::OnceLock::new() }
    }

    pub fn db(&self) -> &store::Db {
        &self.store.db
    }

    /// An event changed here: the next sale check reads it again.
    async fn changed(&self, id: &str) {
        self.changes.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.sale_cache.invalidate(id).await;
    }

    async fn load(&self, id: &str) -> Result<EventRow, ApiError> {
        self.store.get(id).await?.ok_or_else(|| ApiError::not_found("event"))
    }

    pub async fn create(&self, input: EventInput) -> Result<EventView, ApiError> {
        let now = common::time::now_ms();
        let mut row = blank_row(common::ids::new_id(), now);
        input.apply(&mut row, true)?;
        self.store.insert(&row).await?;
        Ok(EventView::from(&row))
    }

    pub async fn get(&self, id: &str) -> Result<EventView, ApiError> {
        Ok(EventView::from(&self.load(id).await?))
    }

    pub async fn update(&self, id: &str, input: EventInput) -> Result<EventView, ApiError> {
        let mut row = self.load(id).await?;
        let read_at = row.updated_at;
        input.apply(&mut row, false)?;
        // Strictly later than what we read, so the optimistic check always sees a change.
        row.updated_at = common::time::now_ms().max(read_at + 1);
        let updated = self.store.update_fields(&row, read_at).await?;
        self.changed(id).await;
        if !updated {
            return Err(ApiError::new(ErrorCode::Conflict, "the event changed meanwhile; read it again and retry"));
        }
        self.get(id).await
    }

    pub async fn set_status(&self, id: &str, status: &str) -> Result<EventView, ApiError> {
        let to = Status::parse(status)
            .ok_or_else(|| ApiError::validation("status", format!("must be one of {}", Status::ALL.map(|s| s.as_str()).join(", "))))?;
        let row = self.load(id).await?;
        let from = Status::parse(&row.status).unwrap_or(Status::Upcoming);
        if from == to {
            // Asking for the status the event already has changes nothing.
            return Ok(EventView::from(&row));
        }
        let invalid =
            || ApiError::new(ErrorCode::InvalidStateTransition, format!("cannot move an event from {} to {}", from.as_str(), to.as_str()));
        if !from.can_move_to(to) {
            return Err(invalid());
        }
        if to == Status::Completed && row.event_date > common::time::now_ms() {
            return Err(ApiError::new(ErrorCode::InvalidStateTransition, "an event is COMPLETED only after its date has passed"));
        }
        if from == Status::Upcoming && to == Status::OnSale && row.total_seats == 0 && !self.has_seats(id).await? {
            return Err(ApiError::new(
                ErrorCode::InvalidStateTransition,
                "an event with no seat layout cannot go on sale: save its seats first",
            ));
        }
        let moved = self.store.transition(id, from, to).await?;
        self.changed(id).await;
        if !moved {
            return Err(ApiError::new(ErrorCode::Conflict, "the event's status changed meanwhile; read it again and retry"));
        }
        self.get(id).await
    }

    pub async fn delete(&self, id: &str) -> Result<(), ApiError> {
        self.load(id).await?;
        let deleted = self.store.delete_unbooked(id).await?;
        self.changed(id).await;
        if !deleted {
            if self.store.get(id).await?.is_none() {
                return Ok(());
            }
            return Err(ApiError::new(ErrorCode::Conflict, "the event has bookings: cancel it instead"));
        }
        Ok(())
    }

    pub async fn list(&self, q: ListQuery) -> Result<EventPage, ApiError> {
        let paging = Paging::parse(q.page, q.size)?;
        let status = match nonempty(q.status) {
            Some(s) => Some(
                Status::parse(&s.to_uppercase())
                    .ok_or_else(|| ApiError::validation("status", "is not an event status"))?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        let date_from = match nonempty(q.date_from) {
            Some(s) => Some(
                common::time::parse_rfc3339(&s).ok_or_else(|| ApiError::validation("dateFrom", "must be a date or RFC 3339 timestamp"))?,
            ),
            None => None,
        };
        let date_to = match nonempty(q.date_to) {
            Some(s) => Some(date_to_bound(&s).ok_or_else(|| ApiError::validation("dateTo", "must be a date or RFC 3339 timestamp"))?),
            None => None,
        };
        if let (Some(a), Some(b)) = (date_from, date_to) {
            if a > b {
                return Err(ApiError::validation("dateFrom", "must not be after dateTo"));
            }
        }
        let filter = ListFilter { status, category: nonempty(q.category), city: nonempty(q.city), date_from, date_to };
        let (rows, total) = self.store.list(&filter, paging.size, paging.offset()).await?;
        Ok(EventPage { events: rows.iter().map(EventView::from).collect(), page: paging.page_info(total) })
    }

    pub async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError> {
        Ok(store::outbox::read_after(&self.store.db, after, limit).await?)
    }

    /// One pass of the clock: open sales that are due, complete events that are past.
    pub async fn tick(&self) -> Result<usize, ApiError> {
        let now = common::time::now_ms();
        let mut moved = 0;
        for (id, from, to) in self.store.due_transitions(now).await? {
            let (Some(from), Some(to)) = (Status::parse(&from), Status::parse(&to)) else { continue };
            let done = self.store.transition(&id, from, to).await?;
            self.changed(&id).await;
            if done {
                tracing::info!(event_id = %id, from = from.as_str(), to = to.as_str(), "status moved by the clock");
                moved += 1;
            }
        }
        Ok(moved)
    }

    /// Read the inventory's outbox from our cursor and copy the counts of every event it touched.
    /// Returns how many rows were handled.
    pub async fn follow_inventory_once(&self, inventory: &dyn InventoryApi, cursor: &mut Cursor) -> Result<usize, ApiError> {
        let pos = cursor.load().await?;
        let batch = inventory.outbox_after(pos, 1000).await?;
        let ready = cursor.ready(pos, batch);
        let Some(last) = ready.last().map(|r| r.id) else { return Ok(0) };
        let touched: BTreeSet<&str> = ready.iter().map(|r| r.aggregate_id.as_str()).collect();
        for event_id in touched {
            let counts = inventory.seat_counts(event_id).await?;
            if self.store.apply_counts(&counts).await? {
                self.changed(event_id).await;
            }
        }
        cursor.save(last).await?;
        Ok(ready.len())
    }

    /// Start the clock and the inventory follower; they stop when the runtime does.
    /// Whether the inventory has a seat layout for the event (asked, not the copied counts).
    async fn has_seats(&self, id: &str) -> Result<bool, ApiError> {
        match self.inventory.get() {
            Some(inv) => Ok(inv.seat_counts(id).await?.total > 0),
            None => Ok(false),
        }
    }

    pub fn spawn_jobs(self: &Arc<Self>, inventory: Arc<dyn InventoryApi>) {
        let _ = self.inventory.set(inventory.clone());
        let svc = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            loop {
                every.tick().await;
                if let Err(e) = svc.tick().await {
                    tracing::warn!(error = %e, "event clock pass failed");
                }
            }
        });
        let svc = self.clone();
        tokio::spawn(async move {
            let mut cursor = Cursor::new(svc.store.db.clone(), "inventory");
            loop {
                // A pause after every pass, busy or not: in a sale the counts are then copied a few
                // times a second from large batches, rather than recounted for every few holds.
                match svc.follow_inventory_once(inventory.as_ref(), &mut cursor).await {
                    Ok(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "following the inventory outbox failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
    }

    pub async fn ping(&self) -> Result<(), ApiError> {
        Ok(self.store.ping().await?)
    }
}

#[async_trait]
impl EventsApi for EventsService {
    async fn sale_info(&self, event_id: &str) -> Result<Option<EventSaleInfo>, ApiError> {
        use std::sync::atomic::Ordering;
        if let Some(hit) = self.sale_cache.get(event_id).await {
            return Ok(Some(hit));
        }
        let before = self.changes.load(Ordering::Acquire);
        let info = self.store.get(event_id).await?.map(|r| EventSaleInfo {
            event_id: r.event_id,
            status: r.status,
            max_tickets_per_user: r.max_tickets_per_user,
            waiting_room_enabled: r.waiting_room_enabled != 0,
            admit_per_minute: Some(r.admit_per_minute),
        });
        if let Some(i) = &info {
            if self.changes.load(Ordering::Acquire) == before {
                self.sale_cache.insert(event_id.to_string(), i.clone()).await;
            }
        }
        Ok(info)
    }
}
