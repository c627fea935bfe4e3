//! The events service as the search indexer's feed, in process ([`EventsFeed`]), and the internal
//! route that serves one event's full view to an indexer in another process.

use crate::service::EventsService;
use async_trait::async_trait;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use common::auth::ServiceCaller;
use common::clients::{EventDoc, EventsFeed, OutboxRecord};
use common::extract::Path;
use common::{ApiError, ErrorCode};
use std::sync::Arc;

fn doc_of(v: crate::model::EventView) -> EventDoc {
    EventDoc {
        event_id: v.event_id,
        event_name: v.event_name,
        description: v.description,
        category: v.category,
        venue_name: v.venue_name,
        city: v.city,
        event_date: v.event_date,
        status: v.status,
        tags: v.tags,
        total_seats: v.total_seats,
        available_seats: v.available_seats,
        min_price: v.min_price,
        max_price: v.max_price,
    }
}

#[async_trait]
impl EventsFeed for EventsService {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError> {
        EventsService::outbox_after(self, after, limit).await
    }
    async fn event(&self, event_id: &str) -> Result<Option<EventDoc>, ApiError> {
        match self.get(event_id).await {
            Ok(v) => Ok(Some(doc_of(v))),
            Err(e) if e.code == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// `GET /internal/events/{event_id}/view`: the full view, for an indexer in another process
/// (service token only).
pub fn feed_router(svc: Arc<EventsService>) -> Router {
    Router::new().route("/internal/events/{event_id}/view", get(view)).with_state(svc)
}

async fn view(
    State(s): State<Arc<EventsService>>,
    _: ServiceCaller,
    Path(id): Path<String>,
) -> Result<axum::Json<crate::model::EventView>, ApiError> {
    Ok(axum::Json(s.get(&id).await?))
}
