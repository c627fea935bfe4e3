//! SQL of the in-memory queue's write-through copy (embedded mode): one body of SQL for SQLite and
//! MySQL. `REPLACE INTO` is the upsert both dialects share.

use store::{run, tx_exec, Db, StoreError};

/// One change to persist, in the order the rooms made them.
#[derive(Debug, Clone)]
pub enum Op {
    /// Places taken or moved (a join, or the pre-queue's shuffled positions at the opening).
    Places {
        event: String,
        places: Vec<PlaceOf>,
    },
    Room(RoomRow),
    /// Positions `from..=to` were admitted at `at`.
    Admit {
        event: String,
        from: u64,
        to: u64,
        at: i64,
    },
}

/// One fan's place, as stored.
#[derive(Debug, Clone)]
pub struct PlaceOf {
    /// Shared with the room's own map: the opening of a room of 500,000 fans copies no names.
    pub user: std::sync::Arc<str>,
    pub position: u64,
    pub joined_at: i64,
    pub admitted_at: i64,
}

/// Places written per statement: 5 parameters each, well inside both databases' limits.
const PLACES_PER_STATEMENT: usize = 1_000;

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct RoomRow {
    pub event_id: String,
    pub opened: i64,
    pub paused: i64,
    pub rate_override: Option<i64>,
    pub next_pos: i64,
    pub admitted_upto: i64,
    pub admitted_total: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlaceRow {
    pub event_id: String,
    pub user_id: String,
    pub position: i64,
    pub joined_at: i64,
    pub admitted_at: i64,
}

pub struct QueueStore {
    pub db: Db,
}

impl QueueStore {
    /// Every room and every place, places in queue order (pre-queue by arrival).
    pub async fn load(&self) -> Result<(Vec<RoomRow>, Vec<PlaceRow>), StoreError> {
        let rooms: Vec<RoomRow> = run!(self.db.read(), p => sqlx::query_as(
            "SELECT event_id, opened, paused, rate_override, next_pos, admitted_upto, admitted_total FROM queue_rooms")
            .fetch_all(p).await)?;
        let places: Vec<PlaceRow> = run!(self.db.read(), p => sqlx::query_as(
            "SELECT event_id, user_id, position, joined_at, admitted_at FROM queue_places ORDER BY event_id, position, joined_at, user_id")
            .fetch_all(p).await)?;
        Ok((rooms, places))
    }

    /// Apply a batch in one transaction (group commit: one fsync for many joins). Consecutive
    /// places go in multi-row statements, so a batch of thousands of joins is a few statements.
    pub async fn apply(&self, ops: &[&Op]) -> Result<(), StoreError> {
        let now = common::time::now_ms();
        let mut tx = self.db.begin().await?;
        let mut places: Vec<(&str, &PlaceOf)> = Vec::new();
        for op in ops {
            if let Op::Places { event, places: p } = op {
                places.extend(p.iter().map(|x| (event.as_str(), x)));
                continue;
            }
            Self::write_places(&mut tx, &mut places).await?;
            match op {
                Op::Places { .. } => unreachable!("handled above"),
                Op::Room(r) => {
                    tx_exec!(&mut tx, c => sqlx::query(
                        "REPLACE INTO queue_rooms (event_id, opened, paused, rate_override, next_pos, admitted_upto, admitted_total, updated_at) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                        .bind(&r.event_id).bind(r.opened).bind(r.paused).bind(r.rate_override).bind(r.next_pos)
                        .bind(r.admitted_upto).bind(r.admitted_total).bind(now).execute(c))?;
                }
                Op::Admit { event, from, to, at } => {
                    tx_exec!(&mut tx, c => sqlx::query(
                        "UPDATE queue_places SET admitted_at = ? WHERE event_id = ? AND position >= ? AND position <= ? AND admitted_at = 0")
                        .bind(at).bind(event).bind(*from as i64).bind(*to as i64).execute(c))?;
                }
            }
        }
        Self::write_places(&mut tx, &mut places).await?;
        tx.commit().await
    }

    /// Write (and empty) the places gathered so far, in order: a later row for the same fan wins.
    async fn write_places(tx: &mut store::Tx, places: &mut Vec<(&str, &PlaceOf)>) -> Result<(), StoreError> {
        for chunk in places.chunks(PLACES_PER_STATEMENT) {
            let values = vec!["(?, ?, ?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!("REPLACE INTO queue_places (event_id, user_id, position, joined_at, admitted_at) VALUES {values}");
            tx_exec!(tx, c => {
                let mut q = sqlx::query(&sql);
                for (event, p) in chunk {
                    q = q.bind(*event).bind(&*p.user).bind(p.position as i64).bind(p.joined_at).bind(p.admitted_at);
                }
                q.execute(c)
            })?;
        }
        places.clear();
        Ok(())
    }
}
