//! The rules of the waiting room: who may join, what a place reads as, the admin's controls, the
//! ticker that opens rooms and admits fans, and the gate's answer ([`Admissions`]).

use crate::backend::Backend;
use crate::clock::Clock;
use crate::model::{Controls, PlaceView, RoomView};
use async_trait::async_trait;
use common::clients::{Admission, Admissions, EventSaleInfo, EventsApi};
use common::{ApiError, ErrorCode};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// How long an admitted fan may reserve (`TICKETING_ADMISSION_WINDOW_SECS`).
    pub window: Duration,
    /// How often rooms are opened and fans admitted.
    pub tick: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self { window: Duration::from_secs(900), tick: Duration::from_millis(200) }
    }
}

/// The rate an event admits at when nothing says otherwise (shared/API.md §4).
pub const DEFAULT_RATE: i64 = 1000;

pub struct QueueService {
    backend: Arc<dyn Backend>,
    events: Arc<dyn EventsApi>,
    clock: Arc<dyn Clock>,
    cfg: QueueConfig,
    /// Sale info for a second: a join or a poll must not cost a call to the events service.
    info: moka::future::Cache<String, Option<EventSaleInfo>>,
    /// Admissions seen, until their window ends (only for a remote backend).
    yes: moka::future::Cache<(String, String), i64>,
    stop: tokio::sync::watch::Sender<bool>,
}

fn window_ms(cfg: &QueueConfig) -> i64 {
    cfg.window.as_millis() as i64
}

impl QueueService {
    pub fn new(backend: Arc<dyn Backend>, events: Arc<dyn EventsApi>, cfg: QueueConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            backend,
            events,
            clock,
            info: moka::future::Cache::builder().max_capacity(10_000).time_to_live(Duration::from_secs(1)).build(),
            yes: moka::future::Cache::builder().max_capacity(200_000).time_to_live(cfg.window).build(),
            cfg,
            stop: tokio::sync::watch::channel(false).0,
        }
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    async fn sale_info(&self, event_id: &str) -> Result<Option<EventSaleInfo>, ApiError> {
        if event_id.is_empty() || event_id.len() > 64 {
            return Ok(None);
        }
        if let Some(hit) = self.info.get(event_id).await {
            return Ok(hit);
        }
        let info = self.events.sale_info(event_id).await?;
        self.info.insert(event_id.to_string(), info.clone()).await;
        Ok(info)
    }

    /// The event, which must have its waiting room enabled.
    async fn room_event(&self, event_id: &str) -> Result<EventSaleInfo, ApiError> {
        let info = self.sale_info(event_id).await?.ok_or_else(|| ApiError::not_found("event"))?;
        if !info.waiting_room_enabled {
            return Err(ApiError::new(ErrorCode::Conflict, "this event has no waiting room"));
        }
        Ok(info)
    }

    /// Forget the cached sale info (tests move an event's status by hand).
    pub fn forget_events(&self) {
        self.info.invalidate_all();
    }

    fn rate_of(info: &EventSaleInfo, rate_override: Option<i64>) -> i64 {
        rate_override.or(info.admit_per_minute).unwrap_or(DEFAULT_RATE).max(1)
    }

    /// Join the queue, or get the place already held (a new one at the back once it has expired).
    pub async fn join(&self, user_id: &str, event_id: &str) -> Result<PlaceView, ApiError> {
        let info = self.room_event(event_id).await?;
        if matches!(info.status.as_str(), "CANCELLED" | "COMPLETED") {
            return Err(ApiError::new(ErrorCode::Conflict, format!("the sale is over (the event is {})", info.status)));
        }
        let now = self.now();
        if info.status != "UPCOMING" {
            // The sale is open: the pre-queue goes first, shuffled, before this fan.
            self.open_room(event_id, now).await?;
        }
        let (snap, fresh) = self.backend.join(event_id, user_id, now, window_ms(&self.cfg)).await?;
        if fresh {
            metrics::counter!("queue_joins_total").increment(1);
        }
        Ok(PlaceView::new(event_id, &snap, Self::rate_of(&info, snap.room.rate_override), now, window_ms(&self.cfg)))
    }

    /// The caller's place; `404` when they have not joined.
    pub async fn me(&self, user_id: &str, event_id: &str) -> Result<PlaceView, ApiError> {
        let snap = self
            .backend
            .place(event_id, user_id)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "you have not joined the queue of this event"))?;
        let info = self.sale_info(event_id).await?.ok_or_else(|| ApiError::not_found("event"))?;
        Ok(PlaceView::new(event_id, &snap, Self::rate_of(&info, snap.room.rate_override), self.now(), window_ms(&self.cfg)))
    }

    pub async fn view(&self, event_id: &str) -> Result<RoomView, ApiError> {
        let info = self.sale_info(event_id).await?.ok_or_else(|| ApiError::not_found("event"))?;
        let r = self.backend.room(event_id, self.now(), window_ms(&self.cfg)).await?;
        Ok(RoomView {
            event_id: event_id.to_string(),
            enabled: info.waiting_room_enabled,
            admit_per_minute: Self::rate_of(&info, r.head.rate_override),
            paused: r.head.paused,
            waiting: r.pre + r.line,
            admitted: r.admitted,
            admitted_total: r.admitted_total,
        })
    }

    /// The admin's rate and pause: the next tick already follows them.
    pub async fn control(&self, event_id: &str, c: Controls) -> Result<RoomView, ApiError> {
        c.check()?;
        self.room_event(event_id).await?;
        self.backend.set_controls(event_id, c.admit_per_minute, c.paused, self.now()).await?;
        self.view(event_id).await
    }

    async fn open_room(&self, event_id: &str, now: i64) -> Result<(), ApiError> {
        if let Some(n) = self.backend.open(event_id, now).await? {
            tracing::info!(event_id, shuffled = n, "sale opened: the pre-queue was shuffled into the first places");
        }
        Ok(())
    }

    /// One pass of the ticker over every room: open those whose sale has opened, admit the next fans.
    pub async fn tick_once(&self) -> Result<(), ApiError> {
        let now = self.now();
        let window = window_ms(&self.cfg);
        for event_id in self.backend.rooms().await? {
            let Some(info) = self.sale_info(&event_id).await? else { continue };
            if !info.waiting_room_enabled || info.status == "UPCOMING" {
                continue;
            }
            self.open_room(&event_id, now).await?;
            if matches!(info.status.as_str(), "CANCELLED" | "COMPLETED") {
                continue;
            }
            let joined = self.backend.admit(&event_id, now, info.admit_per_minute.unwrap_or(DEFAULT_RATE)).await?;
            if !joined.is_empty() {
                metrics::counter!("queue_admitted_total").increment(joined.len() as u64);
                for j in &joined {
                    metrics::histogram!("queue_admission_lag_seconds").record((now - j).max(0) as f64 / 1000.0);
                }
            }
            let r = self.backend.room(&event_id, now, window).await?;
            metrics::gauge!("queue_waiting", "event" => event_id.clone()).set((r.pre + r.line) as f64);
            metrics::gauge!("queue_admitted", "event" => event_id.clone()).set(r.admitted as f64);
        }
        Ok(())
    }

    /// Run the ticker until [`QueueService::stop`].
    pub fn spawn_jobs(self: &Arc<Self>) {
        let svc = self.clone();
        let mut stop = self.stop.subscribe();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(svc.cfg.tick);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    _ = stop.changed() => break,
                }
                if *stop.borrow() {
                    break;
                }
                if let Err(e) = svc.tick_once().await {
                    tracing::warn!(error = %e, "queue tick failed");
                }
            }
        });
    }

    /// Stop the ticker and wait until every accepted change is durable.
    pub async fn stop(&self) {
        let _ = self.stop.send(true);
        self.backend.flush().await;
    }

    pub async fn ping(&self) -> Result<(), String> {
        self.backend.ping().await
    }

    /// The fan's admission, as the internal route tells it.
    pub async fn admission(&self, event_id: &str, user_id: &str) -> Result<Admission, ApiError> {
        let now = self.now();
        let w = window_ms(&self.cfg);
        Ok(match self.backend.admitted_at(event_id, user_id).await? {
            Some(at) if now < at + w => Admission { admitted: true, admitted_until: Some(at + w) },
            _ => Admission { admitted: false, admitted_until: None },
        })
    }
}

#[async_trait]
impl Admissions for QueueService {
    async fn is_admitted(&self, event_id: &str, user_id: &str) -> Result<bool, ApiError> {
        let remote = self.backend.remote();
        let now = self.now();
        if remote {
            if let Some(until) = self.yes.get(&(event_id.to_string(), user_id.to_string())).await {
                if until > now {
                    return Ok(true);
                }
            }
        }
        let a = self.admission(event_id, user_id).await?;
        if let (true, true, Some(until)) = (remote, a.admitted, a.admitted_until) {
            self.yes.insert((event_id.to_string(), user_id.to_string()), until).await;
        }
        Ok(a.admitted)
    }
}
