//! The guard: holds of seats, one buyer's at a time ([`InventoryStore::reserve`]) or a group of
//! buyers' in one transaction ([`InventoryStore::reserve_many`], the group commit of `crate::batch`).

use super::*;

impl InventoryStore {
    /// The guard. Hold every seat of `seat_ids` for `user_id` until `expires_at`, or none of them.
    ///
    /// The seats are read again inside the transaction, and each is taken by an update that only
    /// matches if the seat is still free and still has the version just read. If any update matches
    /// nothing, someone else got there first: the transaction rolls back and the seats are named.
    /// A hold that had run out is superseded here (its reservation marked `EXPIRED`), which is what
    /// makes an expired seat reservable at once.
    pub async fn reserve(
        &self,
        event_id: &str,
        user_id: &str,
        seat_ids: &[String],
        limit: Option<i64>,
        expires_at: i64,
        now: i64,
    ) -> Result<Result<Vec<ReservationRow>, Refusal>, StoreError> {
        let mut tx = self.db.begin().await?;
        if let Some(limit) = limit {
            // First statement of the transaction: lock the buyer's row, so that on MySQL the count
            // below is read after any concurrent reservation of the same buyer has committed.
            let upsert = if tx.is_mysql() {
                "INSERT IGNORE INTO buyer_guard (event_id, user_id, version) VALUES (?, ?, 0)"
            } else {
                "INSERT INTO buyer_guard (event_id, user_id, version) VALUES (?, ?, 0) ON CONFLICT DO NOTHING"
            };
            tx_exec!(&mut tx, c => sqlx::query(upsert).bind(event_id).bind(user_id).execute(c))?;
            tx_exec!(&mut tx, c => sqlx::query("UPDATE buyer_guard SET version = version + 1 WHERE event_id = ? AND user_id = ?")
                .bind(event_id).bind(user_id).execute(c))?;
            let (held,): (i64,) = tx_run!(&mut tx, c => sqlx::query_as(
                "SELECT COUNT(*) FROM reservations WHERE event_id = ? AND user_id = ? \
                 AND (status = 'CONFIRMED' OR (status = 'ACTIVE' AND expires_at > ?))")
                .bind(event_id).bind(user_id).bind(now).fetch_one(c).await)?;
            if held + seat_ids.len() as i64 > limit {
                return Ok(Err(Refusal::Limit(limit, held)));
            }
        }
        let sql =
            format!("SELECT {SEAT_COLS} FROM seats WHERE event_id = ? AND seat_id IN ({}) ORDER BY seat_id", placeholders(seat_ids.len()));
        let rows: Vec<SeatRow> = tx_run!(&mut tx, c => {
            let mut q = sqlx::query_as(&sql).bind(event_id);
            for id in seat_ids {
                q = q.bind(id);
            }
            q.fetch_all(c).await
        })?;
        // Only a run-out hold is judged differently when fans wait: ask the waitlist only then.
        let strict = rows.iter().any(|s| run_out(s, now)) && !waitlist::waiting_events(&mut tx, &[event_id]).await?.is_empty();
        let taken: Vec<String> = rows.iter().filter(|s| !free_to_buyers(s, now, strict)).map(|s| s.seat_number.clone()).collect();
        if !taken.is_empty() || rows.len() != seat_ids.len() {
            return Ok(Err(Refusal::Unavailable(taken)));
        }
        let mut out = Vec::with_capacity(rows.len());
        for s in &rows {
            let r = ReservationRow::hold(s, user_id, expires_at, now);
            let n = tx_exec!(&mut tx, c => sqlx::query(&format!(
                "UPDATE seats SET status = 'RESERVED', hold_reservation_id = ?, hold_user_id = ?, reserved_until = ?, \
                 version = version + 1, updated_at = ? WHERE seat_id = ? AND version = ? AND {FREE}"))
                .bind(&r.reservation_id).bind(user_id).bind(expires_at).bind(now).bind(&s.seat_id).bind(s.version).bind(now)
                .execute(c))?;
            if n != 1 {
                return Ok(Err(Refusal::Unavailable(vec![s.seat_number.clone()])));
            }
            if let (Some(old), "RESERVED") = (&s.hold_reservation_id, s.status.as_str()) {
                tx_exec!(&mut tx, c => sqlx::query(
                    "UPDATE reservations SET status = 'EXPIRED', updated_at = ? WHERE reservation_id = ? AND status = 'ACTIVE' AND expires_at <= ?")
                    .bind(now).bind(old).bind(now).execute(c))?;
            }
            out.push(r);
        }
        Self::insert_reservations(&mut tx, &out, now).await?;
        store::outbox::append(
            &mut tx,
            "event_seats",
            event_id,
            "SeatsReserved",
            &serde_json::json!({
                "eventId": event_id, "userId": user_id, "reservationIds": out.iter().map(|r| &r.reservation_id).collect::<Vec<_>>(),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(out))
    }

    /// Group commit: decide many buyers' holds in one transaction, in the order given, each all of its
    /// seats or none. What the transaction reads must stay true until it commits, so that the
    /// decisions made from that read are the database's own: on SQLite this process's single writer
    /// connection makes it so; on MySQL the read locks the seat rows (`FOR UPDATE`, in primary-key
    /// order, so that two processes' groups queue rather than deadlock) until the commit. The updates
    /// still carry the free-seat condition, and if they do not match exactly what was decided,
    /// nothing is committed and `None` tells the caller to take the requests one by one through
    /// [`InventoryStore::reserve`].
    pub async fn reserve_many(
        &self,
        reqs: &[HoldRequest],
        expires_at: i64,
        now: i64,
    ) -> Result<Option<Vec<Result<Vec<ReservationRow>, Refusal>>>, StoreError> {
        let mut ids: Vec<&str> = reqs.iter().flat_map(|r| r.seat_ids.iter().map(String::as_str)).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut tx = self.db.begin().await?;
        let lock = if tx.is_mysql() { " ORDER BY seat_id FOR UPDATE" } else { "" };
        let sql = format!("SELECT {SEAT_COLS} FROM seats WHERE seat_id IN ({}){lock}", placeholders(ids.len()));
        let rows: Vec<SeatRow> = tx_run!(&mut tx, c => {
            let mut q = sqlx::query_as(&sql);
            for id in &ids {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?;
        let seats: HashMap<&str, &SeatRow> = rows.iter().map(|s| (s.seat_id.as_str(), s)).collect();
        // Only a run-out hold is judged differently when fans wait: the waitlist is asked about the
        // events whose requested seats include one, which a sale's holds rarely do.
        let mut events: Vec<&str> = rows.iter().filter(|s| run_out(s, now)).map(|s| s.event_id.as_str()).collect();
        events.sort_unstable();
        events.dedup();
        let strict = waitlist::waiting_events(&mut tx, &events).await?;
        let mut taken_here: HashSet<&str> = HashSet::new();
        let mut decided = Vec::with_capacity(reqs.len());
        let mut held: Vec<ReservationRow> = Vec::new();
        let mut superseded: Vec<&str> = Vec::new();
        for r in reqs {
            let mut refused = Vec::new();
            let mut unknown = false;
            for id in &r.seat_ids {
                match seats.get(id.as_str()) {
                    Some(s) if s.event_id == r.event_id => {
                        if !free_to_buyers(s, now, strict.contains(&r.event_id)) || taken_here.contains(id.as_str()) {
                            refused.push(s.seat_number.clone());
                        }
                    }
                    _ => unknown = true,
                }
            }
            if unknown || !refused.is_empty() {
                decided.push(Err(Refusal::Unavailable(refused)));
                continue;
            }
            let mut mine = Vec::with_capacity(r.seat_ids.len());
            for id in &r.seat_ids {
                let s = seats[id.as_str()];
                taken_here.insert(s.seat_id.as_str());
                if let (Some(old), "RESERVED") = (&s.hold_reservation_id, s.status.as_str()) {
                    superseded.push(old);
                }
                mine.push(ReservationRow::hold(s, &r.user_id, expires_at, now));
            }
            held.extend(mine.iter().cloned());
            decided.push(Ok(mine));
        }
        if held.is_empty() {
            return Ok(Some(decided));
        }
        let whens = vec!["WHEN ? THEN ?"; held.len()].join(" ");
        let sql = format!(
            "UPDATE seats SET status = 'RESERVED', hold_reservation_id = CASE seat_id {whens} END, \
             hold_user_id = CASE seat_id {whens} END, reserved_until = ?, version = version + 1, updated_at = ? \
             WHERE seat_id IN ({}) AND {FREE}",
            placeholders(held.len())
        );
        let n = tx_exec!(&mut tx, c => {
            let mut q = sqlx::query(&sql);
            for r in &held {
                q = q.bind(&r.seat_id).bind(&r.reservation_id);
            }
            for r in &held {
                q = q.bind(&r.seat_id).bind(&r.user_id);
            }
            q = q.bind(expires_at).bind(now);
            for r in &held {
                q = q.bind(&r.seat_id);
            }
            q.bind(now).execute(c)
        })?;
        if n != held.len() as u64 {
            tracing::warn!(decided = held.len(), updated = n, "group commit saw another writer; taking the requests one by one");
            return Ok(None);
        }
        if !superseded.is_empty() {
            let sql = format!(
                "UPDATE reservations SET status = 'EXPIRED', updated_at = ? WHERE reservation_id IN ({}) \
                AND status = 'ACTIVE' AND expires_at <= ?",
                placeholders(superseded.len())
            );
            tx_exec!(&mut tx, c => {
                let mut q = sqlx::query(&sql).bind(now);
                for id in &superseded {
                    q = q.bind(*id);
                }
                q.bind(now).execute(c)
            })?;
        }
        Self::insert_reservations(&mut tx, &held, now).await?;
        let announced: Vec<Announcement> = reqs
            .iter()
            .zip(&decided)
            .filter_map(|(r, d)| {
                d.as_ref().ok().map(|rows| Announcement::new("event_seats", &r.event_id, "SeatsReserved", serde_json::json!({
                "eventId": r.event_id, "userId": r.user_id, "reservationIds": rows.iter().map(|x| &x.reservation_id).collect::<Vec<_>>(),
            })))
            })
            .collect();
        store::outbox::append_many(&mut tx, &announced).await?;
        tx.commit().await?;
        Ok(Some(decided))
    }
}
