//! SQL of the events service.

use crate::model::{EventRow, Status};
use common::clients::SeatCounts;
use store::{run, tx_exec, Db, StoreError, Tx};

const COLUMNS: &str = "event_id, event_name, description, category, venue_name, city, event_date, sale_start, sale_end, \
    tags, image_url, status, total_seats, available_seats, booked_seats, min_price, max_price, max_tickets_per_user, \
    waiting_room_enabled, admit_per_minute, created_at, updated_at";

#[derive(Debug, Default)]
pub struct ListFilter {
    pub status: Option<String>,
    pub category: Option<String>,
    pub city: Option<String>,
    pub date_from: Option<i64>,
    pub date_to: Option<i64>,
}

enum Bind {
    S(String),
    I(i64),
}

#[derive(Clone)]
pub struct EventsStore {
    pub db: Db,
}

fn outbox_payload(r: &EventRow) -> serde_json::Value {
    serde_json::to_value(crate::model::EventView::from(r)).unwrap_or_default()
}

impl EventsStore {
    pub async fn insert(&self, r: &EventRow) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        tx_exec!(&mut tx, c => sqlx::query(&format!("INSERT INTO events ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"))
            .bind(&r.event_id).bind(&r.event_name).bind(&r.description).bind(&r.category).bind(&r.venue_name)
            .bind(&r.city).bind(r.event_date).bind(r.sale_start).bind(r.sale_end).bind(&r.tags).bind(&r.image_url)
            .bind(&r.status).bind(r.total_seats).bind(r.available_seats).bind(r.booked_seats).bind(r.min_price)
            .bind(r.max_price).bind(r.max_tickets_per_user).bind(r.waiting_room_enabled).bind(r.admit_per_minute)
            .bind(r.created_at).bind(r.updated_at)
            .execute(c))?;
        store::outbox::append(&mut tx, "event", &r.event_id, "EventCreated", &outbox_payload(r)).await?;
        tx.commit().await
    }

    pub async fn get(&self, id: &str) -> Result<Option<EventRow>, StoreError> {
        run!(self.db.read(), p => sqlx::query_as(&format!("SELECT {COLUMNS} FROM events WHERE event_id = ?"))
            .bind(id).fetch_optional(p).await)
        .map_err(Into::into)
    }

    /// Write the editable fields, only if the row still has the `updated_at` that was read
    /// (optimistic concurrency: a concurrent edit makes this return `false`).
    pub async fn update_fields(&self, r: &EventRow, read_at: i64) -> Result<bool, StoreError> {
        let mut tx = self.db.begin().await?;
        let n = tx_exec!(&mut tx, c => sqlx::query(
            "UPDATE events SET event_name = ?, description = ?, category = ?, venue_name = ?, city = ?, event_date = ?, \
             sale_start = ?, sale_end = ?, tags = ?, image_url = ?, max_tickets_per_user = ?, waiting_room_enabled = ?, \
             admit_per_minute = ?, updated_at = ? WHERE event_id = ? AND updated_at = ?")
            .bind(&r.event_name).bind(&r.description).bind(&r.category).bind(&r.venue_name).bind(&r.city)
            .bind(r.event_date).bind(r.sale_start).bind(r.sale_end).bind(&r.tags).bind(&r.image_url)
            .bind(r.max_tickets_per_user).bind(r.waiting_room_enabled).bind(r.admit_per_minute).bind(r.updated_at)
            .bind(&r.event_id).bind(read_at)
            .execute(c))?;
        if n != 1 {
            return Ok(false);
        }
        store::outbox::append(&mut tx, "event", &r.event_id, "EventUpdated", &outbox_payload(r)).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Move the status from `from` to `to` if it is still `from`; writes the outbox row.
    pub async fn transition(&self, id: &str, from: Status, to: Status) -> Result<bool, StoreError> {
        let mut tx = self.db.begin().await?;
        let ok = Self::transition_in(&mut tx, id, from, to).await?;
        if ok {
            tx.commit().await?;
        }
        Ok(ok)
    }

    async fn transition_in(tx: &mut Tx, id: &str, from: Status, to: Status) -> Result<bool, StoreError> {
        let now = common::time::now_ms();
        let n = tx_exec!(tx, c => sqlx::query("UPDATE events SET status = ?, updated_at = ? WHERE event_id = ? AND status = ?")
            .bind(to.as_str()).bind(now).bind(id).bind(from.as_str()).execute(c))?;
        if n != 1 {
            return Ok(false);
        }
        let event_type = match to {
            Status::Cancelled => "EventCancelled",
            _ => "EventStatusChanged",
        };
        store::outbox::append(
            tx,
            "event",
            id,
            event_type,
            &serde_json::json!({"eventId": id, "from": from.as_str(), "status": to.as_str()}),
        )
        .await?;
        Ok(true)
    }

    /// Delete an event that has no booked seat. `false` when it has some (or is gone).
    pub async fn delete_unbooked(&self, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.db.begin().await?;
        let n = tx_exec!(&mut tx, c => sqlx::query("DELETE FROM events WHERE event_id = ? AND booked_seats = 0").bind(id).execute(c))?;
        if n != 1 {
            return Ok(false);
        }
        store::outbox::append(&mut tx, "event", id, "EventDeleted", &serde_json::json!({"eventId": id})).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn list(&self, f: &ListFilter, limit: i64, offset: i64) -> Result<(Vec<EventRow>, i64), StoreError> {
        let mut conds = Vec::new();
        let mut binds = Vec::new();
        if let Some(s) = &f.status {
            conds.push("status = ?");
            binds.push(Bind::S(s.clone()));
        }
        if let Some(s) = &f.category {
            conds.push("LOWER(category) = ?");
            binds.push(Bind::S(s.to_lowercase()));
        }
        if let Some(s) = &f.city {
            conds.push("LOWER(city) = ?");
            binds.push(Bind::S(s.to_lowercase()));
        }
        if let Some(t) = f.date_from {
            conds.push("event_date >= ?");
            binds.push(Bind::I(t));
        }
        if let Some(t) = f.date_to {
            conds.push("event_date <= ?");
            binds.push(Bind::I(t));
        }
        let where_ = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
        let count_sql = format!("SELECT COUNT(*) FROM events {where_}");
        let list_sql = format!("SELECT {COLUMNS} FROM events {where_} ORDER BY event_date, event_id LIMIT ? OFFSET ?");
        let (total,): (i64,) = run!(self.db.read(), p => {
            let mut q = sqlx::query_as(&count_sql);
            for b in &binds {
                q = match b { Bind::S(s) => q.bind(s), Bind::I(i) => q.bind(i) };
            }
            q.fetch_one(p).await
        })?;
        let rows: Vec<EventRow> = run!(self.db.read(), p => {
            let mut q = sqlx::query_as(&list_sql);
            for b in &binds {
                q = match b { Bind::S(s) => q.bind(s), Bind::I(i) => q.bind(i) };
            }
            q.bind(limit).bind(offset).fetch_all(p).await
        })?;
        Ok((rows, total))
    }

    /// Ids of events whose status the clock moves: (id, from, to).
    pub async fn due_transitions(&self, now: i64) -> Result<Vec<(String, String, String)>, StoreError> {
        let rows: Vec<(String, String, String)> = run!(self.db.read(), p => sqlx::query_as(
            "SELECT event_id, status, 'COMPLETED' FROM events WHERE status IN ('UPCOMING', 'ON_SALE', 'SOLD_OUT') AND event_date <= ? \
             UNION ALL \
             SELECT event_id, status, 'ON_SALE' FROM events WHERE status = 'UPCOMING' AND sale_start <= ? AND event_date > ? AND total_seats > 0 \
             LIMIT 500")
            .bind(now).bind(now).bind(now).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Copy the inventory's counts and flip `ON_SALE <-> SOLD_OUT` to match, in one transaction.
    /// Returns whether the status moved.
    pub async fn apply_counts(&self, c: &SeatCounts) -> Result<bool, StoreError> {
        let now = common::time::now_ms();
        let mut tx = self.db.begin().await?;
        let n = tx_exec!(&mut tx, x => sqlx::query(
            "UPDATE events SET total_seats = ?, available_seats = ?, booked_seats = ?, min_price = ?, max_price = ?, updated_at = ? \
             WHERE event_id = ? AND (total_seats <> ? OR available_seats <> ? OR booked_seats <> ? \
                 OR COALESCE(min_price, -1) <> ? OR COALESCE(max_price, -1) <> ?)")
            .bind(c.total).bind(c.available).bind(c.booked).bind(c.min_price.map(|m| m.0)).bind(c.max_price.map(|m| m.0))
            .bind(now).bind(&c.event_id).bind(c.total).bind(c.available).bind(c.booked)
            .bind(c.min_price.map(|m| m.0).unwrap_or(-1)).bind(c.max_price.map(|m| m.0).unwrap_or(-1))
            .execute(x))?;
        if n == 0 {
            return Ok(false);
        }
        store::outbox::append(&mut tx, "event", &c.event_id, "EventAvailabilityChanged", &serde_json::to_value(c).unwrap_or_default())
            .await?;
        let moved = if c.total > 0 && c.available == 0 {
            Self::transition_in(&mut tx, &c.event_id, Status::OnSale, Status::SoldOut).await?
        } else if c.available > 0 {
            Self::transition_in(&mut tx, &c.event_id, Status::SoldOut, Status::OnSale).await?
        } else {
            false
        };
        tx.commit().await?;
        Ok(moved)
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await
    }
}

/// The per-buyer limit of every event that has one, for the invariant audit (`ticketing audit`).
pub async fn audit_limits(db: &Db) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(run!(db.read(), p => sqlx::query_as(
        "SELECT event_id, max_tickets_per_user FROM events WHERE max_tickets_per_user IS NOT NULL")
        .fetch_all(p).await)?)
}
