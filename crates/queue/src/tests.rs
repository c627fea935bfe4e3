//! The queue's rules on the in-memory backend with a hand-moved clock: no sleeping.

use crate::memory::MemoryBackend;
use crate::model::{Controls, PlaceStatus};
use crate::{ManualClock, QueueConfig, QueueService};
use async_trait::async_trait;
use common::clients::{Admissions, EventSaleInfo, EventsApi};
use common::ApiError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const T0: i64 = 1_900_000_000_000;

struct FakeEvents(Mutex<EventSaleInfo>);

#[async_trait]
impl EventsApi for FakeEvents {
    async fn sale_info(&self, event_id: &str) -> Result<Option<EventSaleInfo>, ApiError> {
        let i = self.0.lock().unwrap().clone();
        Ok((i.event_id == event_id).then_some(i))
    }
}

struct Fixture {
    svc: Arc<QueueService>,
    events: Arc<FakeEvents>,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
}

async fn db(dir: &std::path::Path) -> store::Db {
    store::Db::open(&store::StoreConfig::Sqlite { dir: dir.into() }, "queue", crate::migrations()).await.unwrap()
}

async fn fixture(rate: i64, window_secs: u64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let info = EventSaleInfo {
        event_id: "ev".into(),
        status: "UPCOMING".into(),
        max_tickets_per_user: None,
        waiting_room_enabled: true,
        admit_per_minute: Some(rate),
    };
    let events = Arc::new(FakeEvents(Mutex::new(info)));
    let clock = Arc::new(ManualClock::new(T0));
    let backend = MemoryBackend::open(db(dir.path()).await).await.unwrap();
    let cfg = QueueConfig { window: Duration::from_secs(window_secs), tick: Duration::from_millis(100) };
    let svc = Arc::new(QueueService::new(backend, events.clone(), cfg, clock.clone()));
    Fixture { svc, events, clock, dir }
}

impl Fixture {
    fn set_status(&self, s: &str) {
        self.events.0.lock().unwrap().status = s.into();
        self.svc.forget_events();
    }
    /// Move the clock by `ms` in one-second ticks.
    async fn run(&self, ms: i64) {
        let mut left = ms;
        while left > 0 {
            let step = left.min(1000);
            self.clock.advance(step);
            self.svc.tick_once().await.unwrap();
            left -= step;
        }
    }
    async fn status(&self, user: &str) -> crate::model::PlaceView {
        self.svc.me(user, "ev").await.unwrap()
    }
}

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("u{i}")).collect()
}

#[tokio::test]
async fn joining_twice_keeps_the_place_and_unknown_rooms_are_refused() {
    let f = fixture(60, 900).await;
    f.set_status("ON_SALE");
    let a = f.svc.join("a", "ev").await.unwrap();
    f.svc.join("b", "ev").await.unwrap();
    let again = f.svc.join("a", "ev").await.unwrap();
    assert_eq!(a.position, again.position);
    assert_eq!(a.position, Some(1));
    assert_eq!(f.svc.join("a", "nope").await.unwrap_err().code, common::ErrorCode::NotFound);
    assert_eq!(f.svc.me("zz", "ev").await.unwrap_err().code, common::ErrorCode::NotFound);
    f.events.0.lock().unwrap().waiting_room_enabled = false;
    f.svc.forget_events();
    assert_eq!(f.svc.join("c", "ev").await.unwrap_err().code, common::ErrorCode::Conflict);
}

#[tokio::test]
async fn the_pre_queue_is_shuffled_at_the_opening_and_later_fans_queue_behind() {
    let f = fixture(60, 900).await;
    let early = users(50);
    for u in &early {
        let p = f.svc.join(u, "ev").await.unwrap();
        assert_eq!((p.status, p.position), (PlaceStatus::PreQueue, None));
    }
    f.svc.control("ev", Controls { paused: Some(true), ..Default::default() }).await.unwrap();
    f.set_status("ON_SALE");
    f.run(1000).await;
    let late = f.svc.join("late", "ev").await.unwrap();
    assert_eq!(late.position, Some(51));
    let mut positions = Vec::new();
    for u in &early {
        let p = f.status(u).await;
        assert_eq!(p.status, PlaceStatus::Waiting);
        positions.push(p.position.unwrap());
    }
    let mut sorted = positions.clone();
    sorted.sort();
    assert_eq!(sorted, (1..=50).collect::<Vec<u64>>(), "the pre-queue takes places 1..n");
    assert_ne!(positions, sorted, "50 early fans kept their arrival order: not shuffled");
}

#[tokio::test]
async fn admission_follows_the_rate_in_order_and_never_passes_anyone() {
    let f = fixture(60, 900).await;
    f.set_status("ON_SALE");
    let fans = users(40);
    for u in &fans {
        f.svc.join(u, "ev").await.unwrap();
    }
    for second in 1..=20i64 {
        f.run(1000).await;
        let mut admitted = 0;
        let mut seen_waiting = false;
        for u in &fans {
            let p = f.status(u).await;
            match p.status {
                PlaceStatus::Admitted => {
                    assert!(!seen_waiting, "{u} admitted after someone ahead still waits");
                    admitted += 1;
                }
                PlaceStatus::Waiting => seen_waiting = true,
                s => panic!("unexpected {s:?}"),
            }
        }
        // 60 a minute: one a second, and the first at once.
        assert!(admitted as i64 <= second + 1, "{admitted} admitted after {second}s");
        assert!(admitted as i64 >= second, "{admitted} admitted after {second}s");
    }
    let v = f.svc.view("ev").await.unwrap();
    assert_eq!(v.admitted_total, v.admitted);
    assert_eq!(v.waiting + v.admitted, 40);
}

#[tokio::test]
async fn pause_and_rate_changes_take_effect_at_once() {
    let f = fixture(60, 900).await;
    f.set_status("ON_SALE");
    for u in users(300) {
        f.svc.join(&u, "ev").await.unwrap();
    }
    f.run(5000).await;
    let before = f.svc.view("ev").await.unwrap().admitted_total;
    f.svc.control("ev", Controls { paused: Some(true), ..Default::default() }).await.unwrap();
    f.run(30_000).await;
    assert_eq!(f.svc.view("ev").await.unwrap().admitted_total, before, "admitted while paused");
    let v = f.svc.control("ev", Controls { paused: Some(false), admit_per_minute: Some(600) }).await.unwrap();
    assert_eq!((v.paused, v.admit_per_minute), (false, 600));
    f.run(10_000).await;
    let after = f.svc.view("ev").await.unwrap().admitted_total;
    assert!((before + 95..=before + 102).contains(&after), "{before} -> {after} in 10 s at 600/min");
    assert!(f.svc.control("ev", Controls { admit_per_minute: Some(0), ..Default::default() }).await.is_err());
    assert!(f.svc.control("ev", Controls { admit_per_minute: Some(10_000_000), ..Default::default() }).await.is_err());
}

#[tokio::test]
async fn the_window_runs_out_into_expired_and_joining_again_goes_to_the_back() {
    let f = fixture(60, 60).await;
    f.set_status("ON_SALE");
    f.svc.join("a", "ev").await.unwrap();
    for u in users(10) {
        f.svc.join(&u, "ev").await.unwrap();
    }
    f.run(1000).await;
    let a = f.status("a").await;
    assert_eq!(a.status, PlaceStatus::Admitted);
    assert!(f.svc.is_admitted("ev", "a").await.unwrap());
    assert!(!f.svc.is_admitted("ev", "u9").await.unwrap());
    f.run(59_000).await;
    assert_eq!(f.status("a").await.status, PlaceStatus::Admitted);
    f.run(1000).await;
    let a = f.status("a").await;
    assert_eq!(a.status, PlaceStatus::Expired);
    assert_eq!(a.position, Some(1), "the position stays with the place");
    assert!(!f.svc.is_admitted("ev", "a").await.unwrap());
    let again = f.svc.join("a", "ev").await.unwrap();
    assert_eq!((again.status, again.position), (PlaceStatus::Waiting, Some(12)));
}

#[tokio::test]
async fn a_restart_keeps_every_place() {
    let f = fixture(60, 900).await;
    for u in users(20) {
        f.svc.join(&u, "ev").await.unwrap();
    }
    f.set_status("ON_SALE");
    f.run(3000).await;
    f.svc.join("late", "ev").await.unwrap();
    let mut before = Vec::new();
    for u in users(20).iter().chain(["late".to_string()].iter()) {
        before.push((u.clone(), f.status(u).await));
    }
    f.svc.stop().await;
    let backend = MemoryBackend::open(db(f.dir.path()).await).await.unwrap();
    let cfg = QueueConfig { window: Duration::from_secs(900), tick: Duration::from_millis(100) };
    let svc = QueueService::new(backend, f.events.clone(), cfg, f.clock.clone());
    for (u, p) in before {
        assert_eq!(svc.me(&u, "ev").await.unwrap(), p, "{u}");
    }
    assert_eq!(svc.view("ev").await.unwrap().admitted_total, f.svc.view("ev").await.unwrap().admitted_total);
}
