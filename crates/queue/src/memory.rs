//! The queue of embedded mode: every room in this process's memory, written through to the
//! database so that a restart reloads every place.
//!
//! A join takes the rooms' mutex for a moment (a hash lookup and a push), then waits for its row to
//! be committed by the writer task, which gathers whatever is pending into one transaction (group
//! commit): a join is answered only once it is durable, and thousands of joins cost one fsync.
//! Changes reach the writer in the order the rooms made them (they are sent under the mutex).
//!
//! Positions after the opening are handed out in sequence, and admission takes the front of the
//! line, so everyone at or before `admitted_upto` has been let in and a waiting fan has
//! `position - admitted_upto - 1` fans ahead: no count over the queue is ever needed.

use crate::backend::Backend;
use crate::model::{admission_budget, Place, RoomHead, RoomState, Snapshot};
use crate::store::{Op, PlaceOf, QueueStore, RoomRow};
use async_trait::async_trait;
use common::ApiError;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

struct Room {
    opened: bool,
    paused: bool,
    rate_override: Option<i64>,
    /// The next position to hand out (from 1).
    next_pos: u64,
    admitted_upto: u64,
    admitted_total: u64,
    allowance: f64,
    last_tick: i64,
    /// Before the opening, in arrival order.
    pre: Vec<Arc<str>>,
    /// After the opening, not yet admitted: the front has position `admitted_upto + 1` (or more,
    /// where a join was lost).
    line: VecDeque<Arc<str>>,
    /// Admission times in admission order, to count those still inside their window.
    admitted: VecDeque<i64>,
    places: HashMap<Arc<str>, Place>,
}

impl Default for Room {
    fn default() -> Self {
        Room::new()
    }
}

impl Room {
    fn new() -> Room {
        Room {
            opened: false,
            paused: false,
            rate_override: None,
            // Positions start at 1.
            next_pos: 1,
            admitted_upto: 0,
            admitted_total: 0,
            allowance: 0.0,
            last_tick: 0,
            pre: Vec::new(),
            line: VecDeque::new(),
            admitted: VecDeque::new(),
            places: HashMap::new(),
        }
    }
    fn head(&self) -> RoomHead {
        RoomHead { opened: self.opened, paused: self.paused, rate_override: self.rate_override, admitted_upto: self.admitted_upto }
    }
    fn row(&self, event: &str) -> RoomRow {
        RoomRow {
            event_id: event.to_string(),
            opened: self.opened as i64,
            paused: self.paused as i64,
            rate_override: self.rate_override,
            next_pos: self.next_pos as i64,
            admitted_upto: self.admitted_upto as i64,
            admitted_total: self.admitted_total as i64,
        }
    }
}

struct Msg {
    op: Option<Op>,
    ack: Option<oneshot::Sender<Result<(), String>>>,
}

pub struct MemoryBackend {
    rooms: Mutex<HashMap<String, Room>>,
    writes: mpsc::UnboundedSender<Msg>,
    store: Arc<QueueStore>,
}

impl MemoryBackend {
    /// Load every room from the database and start the writer.
    pub async fn open(db: store::Db) -> Result<Arc<MemoryBackend>, store::StoreError> {
        let store = Arc::new(QueueStore { db });
        let (rooms_rows, places) = store.load().await?;
        let mut rooms: HashMap<String, Room> = HashMap::new();
        for r in rooms_rows {
            let mut room = Room::new();
            room.opened = r.opened != 0;
            room.paused = r.paused != 0;
            room.rate_override = r.rate_override;
            room.next_pos = r.next_pos.max(1) as u64;
            room.admitted_upto = r.admitted_upto.max(0) as u64;
            room.admitted_total = r.admitted_total.max(0) as u64;
            rooms.insert(r.event_id, room);
        }
        let mut admitted_times: HashMap<String, Vec<i64>> = HashMap::new();
        let mut pre_order: HashMap<String, Vec<(i64, Arc<str>)>> = HashMap::new();
        for p in places {
            let room = rooms.entry(p.event_id.clone()).or_default();
            let user: Arc<str> = p.user_id.as_str().into();
            let place = Place { position: p.position.max(0) as u64, joined_at: p.joined_at, admitted_at: p.admitted_at };
            if place.position == 0 {
                pre_order.entry(p.event_id.clone()).or_default().push((p.joined_at, user.clone()));
            } else if place.admitted_at == 0 && place.position > room.admitted_upto {
                // Loaded in position order.
                room.line.push_back(user.clone());
            } else if place.admitted_at > 0 {
                admitted_times.entry(p.event_id.clone()).or_default().push(place.admitted_at);
            }
            room.next_pos = room.next_pos.max(place.position + 1);
            room.places.insert(user, place);
        }
        for (ev, mut pre) in pre_order {
            pre.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
            if let Some(room) = rooms.get_mut(&ev) {
                room.pre = pre.into_iter().map(|(_, u)| u).collect();
            }
        }
        for (ev, mut times) in admitted_times {
            times.sort_unstable();
            if let Some(room) = rooms.get_mut(&ev) {
                room.admitted = times.into();
            }
        }
        let now = common::time::now_ms();
        for room in rooms.values_mut() {
            room.last_tick = now;
            room.allowance = if room.opened { 0.0 } else { 1.0 };
        }
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(writer(store.clone(), rx));
        Ok(Arc::new(MemoryBackend { rooms: Mutex::new(rooms), writes: tx, store }))
    }

    fn send(&self, op: Op) {
        // The writer ends only when this backend is dropped.
        let _ = self.writes.send(Msg { op: Some(op), ack: None });
    }

    fn send_acked(&self, op: Option<Op>) -> oneshot::Receiver<Result<(), String>> {
        let (tx, rx) = oneshot::channel();
        let _ = self.writes.send(Msg { op, ack: Some(tx) });
        rx
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Room>> {
        self.rooms.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Gather what is pending into one transaction; answer each join once its batch is committed.
async fn writer(store: Arc<QueueStore>, mut rx: mpsc::UnboundedReceiver<Msg>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < 5_000 {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let ops: Vec<&Op> = batch.iter().filter_map(|m| m.op.as_ref()).collect();
        let mut result = Ok(());
        if !ops.is_empty() {
            for attempt in 0..5 {
                match store.apply(&ops).await {
                    Ok(()) => {
                        result = Ok(());
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, attempt, "writing the queue failed");
                        result = Err(e.to_string());
                        tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                    }
                }
            }
        }
        metrics::histogram!("queue_write_batch_size").record(ops.len() as f64);
        for m in batch {
            if let Some(ack) = m.ack {
                let _ = ack.send(result.clone());
            }
        }
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    async fn join(&self, event: &str, user: &str, now: i64, window_ms: i64) -> Result<(Snapshot, bool), ApiError> {
        let (snap, ack) = {
            let mut rooms = self.lock();
            let created = !rooms.contains_key(event);
            let room = rooms.entry(event.to_string()).or_default();
            if let Some(p) = room.places.get(user) {
                if !p.expired(now, window_ms) {
                    return Ok((Snapshot { place: *p, room: room.head() }, false));
                }
            }
            let key: Arc<str> = user.into();
            let place = if room.opened {
                let pos = room.next_pos;
                room.next_pos += 1;
                room.line.push_back(key.clone());
                Place { position: pos, joined_at: now, admitted_at: 0 }
            } else {
                room.pre.push(key.clone());
                Place { position: 0, joined_at: now, admitted_at: 0 }
            };
            room.places.insert(key.clone(), place);
            if created {
                self.send(Op::Room(room.row(event)));
            }
            let op = Op::Places {
                event: event.to_string(),
                places: vec![PlaceOf { user: key, position: place.position, joined_at: now, admitted_at: 0 }],
            };
            (Snapshot { place, room: room.head() }, self.send_acked(Some(op)))
        };
        match ack.await {
            Ok(Ok(())) => Ok((snap, true)),
            Ok(Err(e)) => Err(ApiError::unavailable(format!("the queue could not be saved: {e}"))),
            Err(_) => Err(ApiError::unavailable("the queue is shutting down")),
        }
    }

    async fn place(&self, event: &str, user: &str) -> Result<Option<Snapshot>, ApiError> {
        let rooms = self.lock();
        Ok(rooms.get(event).and_then(|r| r.places.get(user).map(|p| Snapshot { place: *p, room: r.head() })))
    }

    async fn room(&self, event: &str, now: i64, window_ms: i64) -> Result<RoomState, ApiError> {
        let mut rooms = self.lock();
        let Some(r) = rooms.get_mut(event) else { return Ok(RoomState::default()) };
        while r.admitted.front().is_some_and(|t| t + window_ms <= now) {
            r.admitted.pop_front();
        }
        Ok(RoomState {
            head: r.head(),
            pre: r.pre.len() as u64,
            line: r.line.len() as u64,
            admitted: r.admitted.len() as u64,
            admitted_total: r.admitted_total,
        })
    }

    async fn set_controls(&self, event: &str, rate: Option<i64>, paused: Option<bool>, now: i64) -> Result<(), ApiError> {
        let ack = {
            let mut rooms = self.lock();
            let room = rooms.entry(event.to_string()).or_default();
            if let Some(r) = rate {
                room.rate_override = Some(r);
            }
            if let Some(p) = paused {
                if p != room.paused {
                    room.last_tick = now;
                }
                room.paused = p;
            }
            self.send_acked(Some(Op::Room(room.row(event))))
        };
        match ack.await {
            Ok(Ok(())) => Ok(()),
            _ => Err(ApiError::unavailable("the queue's controls could not be saved")),
        }
    }

    async fn open(&self, event: &str, now: i64) -> Result<Option<u64>, ApiError> {
        let mut rooms = self.lock();
        let room = rooms.entry(event.to_string()).or_default();
        if room.opened {
            return Ok(None);
        }
        let mut pre = std::mem::take(&mut room.pre);
        crate::fair::shuffle(&mut pre);
        let mut positions = Vec::with_capacity(pre.len());
        for user in pre {
            let pos = room.next_pos;
            room.next_pos += 1;
            if let Some(p) = room.places.get_mut(&user) {
                p.position = pos;
                positions.push(PlaceOf { user: user.clone(), position: pos, joined_at: p.joined_at, admitted_at: 0 });
            }
            room.line.push_back(user);
        }
        room.opened = true;
        // The first fan goes in at once.
        room.allowance = 1.0;
        room.last_tick = now;
        let n = positions.len() as u64;
        self.send(Op::Places { event: event.to_string(), places: positions });
        self.send(Op::Room(room.row(event)));
        Ok(Some(n))
    }

    async fn admit(&self, event: &str, now: i64, default_rate: i64) -> Result<Vec<i64>, ApiError> {
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(event) else { return Ok(vec![]) };
        if !room.opened {
            return Ok(vec![]);
        }
        let rate = room.rate_override.unwrap_or(default_rate);
        let waiting = room.line.len() as u64;
        let n = admission_budget(&mut room.allowance, &mut room.last_tick, now, rate, room.paused, waiting);
        if n == 0 {
            return Ok(vec![]);
        }
        let mut waited = Vec::with_capacity(n as usize);
        let from = room.admitted_upto + 1;
        for _ in 0..n {
            let Some(user) = room.line.pop_front() else { break };
            if let Some(p) = room.places.get_mut(&user) {
                p.admitted_at = now;
                room.admitted_upto = room.admitted_upto.max(p.position);
                waited.push(p.joined_at);
            }
            room.admitted.push_back(now);
        }
        room.admitted_total += waited.len() as u64;
        self.send(Op::Admit { event: event.to_string(), from, to: room.admitted_upto, at: now });
        self.send(Op::Room(room.row(event)));
        Ok(waited)
    }

    async fn rooms(&self) -> Result<Vec<String>, ApiError> {
        Ok(self.lock().keys().cloned().collect())
    }

    async fn admitted_at(&self, event: &str, user: &str) -> Result<Option<i64>, ApiError> {
        let rooms = self.lock();
        Ok(rooms.get(event).and_then(|r| r.places.get(user)).map(|p| p.admitted_at).filter(|t| *t > 0))
    }

    async fn ping(&self) -> Result<(), String> {
        self.store.db.ping().await.map_err(|e| format!("queue database: {e}"))
    }

    async fn flush(&self) {
        let _ = self.send_acked(None).await;
    }
}
