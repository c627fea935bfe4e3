//! A short cache in front of a remote events service: the sale check is on every reservation, and
//! an HTTP round trip per request would put the events service on the hot path.
//!
//! Only `ON_SALE` answers are kept (for a second): a sale that has just opened is seen at once, and a
//! sale that has just closed may still take reservations for at most that second.

use async_trait::async_trait;
use common::clients::{EventSaleInfo, EventsApi};
use common::ApiError;
use std::sync::Arc;
use std::time::Duration;

pub struct CachedEvents {
    inner: Arc<dyn EventsApi>,
    cache: moka::future::Cache<String, EventSaleInfo>,
}

impl CachedEvents {
    pub fn new(inner: Arc<dyn EventsApi>, ttl: Duration) -> Self {
        Self { inner, cache: moka::future::Cache::builder().max_capacity(10_000).time_to_live(ttl).build() }
    }
}

#[async_trait]
impl EventsApi for CachedEvents {
    async fn sale_info(&self, event_id: &str) -> Result<Option<EventSaleInfo>, ApiError> {
        if let Some(hit) = self.cache.get(event_id).await {
            return Ok(Some(hit));
        }
        let info = self.inner.sale_info(event_id).await?;
        if let Some(i) = &info {
            if i.on_sale() {
                self.cache.insert(event_id.to_string(), i.clone()).await;
            }
        }
        Ok(info)
    }
}
