//! The inventory as the booking service reaches it in process: [`InventoryHolds`] on
//! [`InventoryService`], the same calls the `/internal/inventory/reservations/*` routes serve.

use crate::model::ReservationView;
use crate::service::InventoryService;
use async_trait::async_trait;
use common::clients::{Hold, InventoryHolds};
use common::ApiError;

fn hold(v: ReservationView) -> Hold {
    Hold {
        reservation_id: v.reservation_id,
        event_id: v.event_id,
        seat_id: v.seat_id,
        seat_number: v.seat_number,
        section: v.section,
        row_number: v.row_number,
        price: v.price,
        user_id: v.user_id,
        status: v.status,
        expires_at: v.expires_at,
    }
}

#[async_trait]
impl InventoryHolds for InventoryService {
    async fn confirm(&self, ids: &[String], user_id: &str, booking_id: &str) -> Result<Vec<Hold>, ApiError> {
        Ok(InventoryService::confirm(self, ids, user_id, booking_id).await?.reservations.into_iter().map(hold).collect())
    }
    async fn release(&self, ids: &[String], user_id: &str) -> Result<u64, ApiError> {
        InventoryService::release(self, ids, user_id).await
    }
    async fn free(&self, ids: &[String], booking_id: &str) -> Result<u64, ApiError> {
        self.free_booked(ids, booking_id).await
    }
}
