//! Unit tests of the rules with fake neighbours: dedup, claims and leases, retries, reminders.

use crate::clock::{Clock, ManualClock};
use crate::mail::Mailer;
use crate::service::{NotificationConfig, NotificationService, Sources};
use crate::store::{NewNotification, NotificationStore};
use async_trait::async_trait;
use common::auth::{AuthUser, Role};
use common::clients::{
    BookingHolder, BookingsFeed, EventDoc, EventsFeed, InventoryApi, OutboxRecord, SeatCounts, UserContact, UserDirectory,
};
use common::ApiError;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const HOUR: i64 = 3600 * 1000;

#[derive(Default)]
struct Fakes {
    booking_rows: Mutex<Vec<OutboxRecord>>,
    event_rows: Mutex<Vec<OutboxRecord>>,
    inventory_rows: Mutex<Vec<OutboxRecord>>,
    holders: Mutex<Vec<BookingHolder>>,
    event_date: Mutex<String>,
}

#[async_trait]
impl BookingsFeed for Fakes {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError> {
        Ok(self.booking_rows.lock().unwrap().iter().filter(|r| r.id > after).take(limit as usize).cloned().collect())
    }
    async fn holders(&self, _: &str, _: i64) -> Result<Vec<BookingHolder>, ApiError> {
        Ok(self.holders.lock().unwrap().clone())
    }
}

#[async_trait]
impl EventsFeed for Fakes {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError> {
        Ok(self.event_rows.lock().unwrap().iter().filter(|r| r.id > after).take(limit as usize).cloned().collect())
    }
    async fn event(&self, event_id: &str) -> Result<Option<EventDoc>, ApiError> {
        let v = json!({"eventId": event_id, "eventName": "Rock Night", "category": "CONCERT", "venueName": "Test Arena",
            "city": "Lisbon", "eventDate": *self.event_date.lock().unwrap(), "status": "ON_SALE"});
        Ok(Some(serde_json::from_value(v).expect("an event doc")))
    }
}

#[async_trait]
impl InventoryApi for Fakes {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError> {
        Ok(self.inventory_rows.lock().unwrap().iter().filter(|r| r.id > after).take(limit as usize).cloned().collect())
    }
    async fn seat_counts(&self, _: &str) -> Result<SeatCounts, ApiError> {
        Err(ApiError::unavailable("not used by the notifier"))
    }
}

#[async_trait]
impl UserDirectory for Fakes {
    async fn contact(&self, user_id: &str) -> Result<Option<UserContact>, ApiError> {
        Ok(Some(UserContact { user_id: user_id.into(), email: format!("{user_id}@example.com"), name: "Fan".into() }))
    }
}

struct Harness {
    dir: tempfile::TempDir,
    db: store::Db,
    fakes: Arc<Fakes>,
    clock: Arc<ManualClock>,
}

impl Harness {
    async fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let db =
            store::Db::open(&store::StoreConfig::Sqlite { dir: dir.path().into() }, "notification", crate::migrations()).await.unwrap();
        let fakes = Arc::new(Fakes::default());
        *fakes.event_date.lock().unwrap() = "2030-06-01T20:00:00Z".into();
        let clock = Arc::new(ManualClock::new(common::time::now_ms()));
        Harness { dir, db, fakes, clock }
    }

    fn service(&self, smtp: Option<&str>, cfg: NotificationConfig) -> NotificationService {
        let sources =
            Sources { bookings: self.fakes.clone(), events: self.fakes.clone(), users: self.fakes.clone(), inventory: self.fakes.clone() };
        let mailer = Mailer::new(smtp, "Tickets <tickets@example.org>", &self.dir.path().join("mail"), Duration::from_secs(5)).unwrap();
        NotificationService::new(self.db.clone(), sources, mailer, cfg, self.clock.clone())
    }

    fn booking_row(&self, id: i64, event_type: &str, booking: &str, user: &str, payment_status: &str) {
        self.fakes.booking_rows.lock().unwrap().push(OutboxRecord {
            id,
            aggregate_type: "booking".into(),
            aggregate_id: booking.into(),
            event_type: event_type.into(),
            payload: json!({"bookingId": booking, "bookingReference": "REF23456", "userId": user, "eventId": "ev1",
                "status": "CONFIRMED", "paymentId": "pay1", "paymentStatus": payment_status, "totalAmountCents": 10000,
                "currency": "USD", "seatNumbers": ["A-1-1", "A-1-2"]}),
            created_at: 0,
        });
    }

    async fn statuses(&self, user: &str) -> Vec<(String, String)> {
        let svc = self.service(None, NotificationConfig::default());
        let me = AuthUser { user_id: user.into(), role: Role::User };
        svc.mine(&me).await.unwrap().notifications.into_iter().map(|n| (n.kind, n.status)).collect()
    }
}

fn new_notification(key: &str) -> NewNotification {
    NewNotification {
        dedup_key: key.into(),
        user_id: "u1".into(),
        kind: "BOOKING_CONFIRMED".into(),
        recipient: "u1@example.com".into(),
        subject: "s".into(),
        body_text: "t".into(),
        body_html: "<p>h</p>".into(),
    }
}

#[tokio::test]
async fn a_waitlist_offer_mails_its_fan_once_and_a_confirmation_links_the_tickets() {
    let h = Harness::new().await;
    let cfg = NotificationConfig { app_url: "https://tickets.example.org/".into(), ..NotificationConfig::default() };
    let svc = h.service(None, cfg);
    let offer = |id| OutboxRecord {
        id,
        aggregate_type: "waitlist".into(),
        aggregate_id: "ev1".into(),
        event_type: "WaitlistOffered".into(),
        payload: json!({"entryId": "w1", "eventId": "ev1", "userId": "u1", "quantity": 2, "reservationIds": ["r1", "r2"],
            "seatNumbers": ["A-1-3", "A-1-4"], "expiresAt": "2030-05-01T10:15:00Z"}),
        created_at: 0,
    };
    let held = OutboxRecord { event_type: "SeatsReserved".into(), aggregate_type: "event_seats".into(), ..offer(1) };
    *h.fakes.inventory_rows.lock().unwrap() = vec![held, offer(2)];
    let mut cursor = store::outbox::Cursor::new(h.db.clone(), "inventory");
    assert_eq!(svc.follow(crate::service::Feed::Inventory, &mut cursor).await.unwrap(), 2);
    svc.on_inventory_record(&offer(2)).await.unwrap();
    assert_eq!(h.statuses("u1").await, vec![("WAITLIST_OFFER".to_string(), "PENDING".to_string())]);
    h.booking_row(1, "BookingConfirmed", "b1", "u1", "SUCCESS");
    svc.follow_bookings_once(&mut store::outbox::Cursor::new(h.db.clone(), "bookings")).await.unwrap();
    assert_eq!(svc.dispatch_once().await.unwrap(), 2);
    let mut mails: Vec<String> =
        std::fs::read_dir(h.dir.path().join("mail")).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    mails.sort_by_key(|m| m.contains("WAITLIST") || m.contains("Seats for you"));
    assert!(mails[1].contains("Seats for you: Rock Night") && mails[1].contains("A-1-3, A-1-4"), "{}", mails[1]);
    assert!(mails[1].contains("https://tickets.example.org/me/bookings"), "{}", mails[1]);
    assert!(mails[0].contains("https://tickets.example.org/me/bookings"), "the confirmation links the tickets: {}", mails[0]);
}

#[tokio::test]
async fn an_outbox_row_read_again_makes_no_second_notification() {
    let h = Harness::new().await;
    let svc = h.service(None, NotificationConfig::default());
    h.booking_row(1, "BookingRequested", "b1", "u1", "PENDING");
    h.booking_row(2, "BookingConfirmed", "b1", "u1", "SUCCESS");
    let mut cursor = store::outbox::Cursor::new(h.db.clone(), "bookings");
    assert_eq!(svc.follow_bookings_once(&mut cursor).await.unwrap(), 2);
    assert_eq!(svc.follow_bookings_once(&mut cursor).await.unwrap(), 0);
    // A crash before the cursor was saved: the rows are handled again.
    let again = h.fakes.booking_rows.lock().unwrap().clone();
    for r in &again {
        svc.on_booking_record(r).await.unwrap();
    }
    assert_eq!(h.statuses("u1").await, vec![("BOOKING_CONFIRMED".to_string(), "PENDING".to_string())]);

    // The spool gets one message with both parts and the booking's details.
    assert_eq!(svc.dispatch_once().await.unwrap(), 1);
    assert_eq!(svc.dispatch_once().await.unwrap(), 0);
    assert_eq!(h.statuses("u1").await, vec![("BOOKING_CONFIRMED".to_string(), "SENT".to_string())]);
    let files: Vec<_> = std::fs::read_dir(h.dir.path().join("mail")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    for want in
        ["To: u1@example.com", "From: Tickets <tickets@example.org>", "REF23456", "text/plain", "text/html", "multipart/alternative"]
    {
        assert!(eml.contains(want), "missing {want}:\n{eml}");
    }
    // Another user sees nothing of it.
    assert!(h.statuses("u2").await.is_empty());
}

#[tokio::test]
async fn one_sender_owns_a_claimed_notification_until_its_lease_runs_out() {
    let h = Harness::new().await;
    let store = NotificationStore { db: h.db.clone() };
    assert!(store.insert(&new_notification("k1"), 1_000).await.unwrap());
    assert!(!store.insert(&new_notification("k1"), 1_000).await.unwrap(), "dedup key");
    let id = store.due(2_000, 10).await.unwrap().pop().expect("due");
    // A claims until 12 000; B cannot take it meanwhile.
    assert!(store.claim(&id, "A", 12_000, 2_000).await.unwrap());
    assert!(!store.claim(&id, "B", 13_000, 3_000).await.unwrap());
    assert!(store.due(3_000, 10).await.unwrap().is_empty(), "a leased row is not due");
    assert!(!store.mark_sent(&id, "B", 3_000).await.unwrap(), "only the lease owner finishes it");
    // A died mid-send: once its lease ran out, B takes the row over (the one possible duplicate)...
    assert!(store.claim(&id, "B", 25_000, 12_001).await.unwrap());
    // ...and A, back from the dead, cannot mark it any more.
    assert!(!store.mark_sent(&id, "A", 12_002).await.unwrap());
    assert!(!store.mark_attempt_failed(&id, "A", "x", None, 12_002).await.unwrap());
    assert!(store.mark_sent(&id, "B", 12_003).await.unwrap());
    assert!(!store.claim(&id, "C", 99_000, 90_000).await.unwrap(), "a sent row is never claimed again");
}

#[tokio::test]
async fn concurrent_dispatchers_send_each_notification_once() {
    let h = Harness::new().await;
    let a = Arc::new(h.service(None, NotificationConfig::default()));
    let b = Arc::new(h.service(None, NotificationConfig::default()));
    let store = NotificationStore { db: h.db.clone() };
    for i in 0..20 {
        store.insert(&new_notification(&format!("k{i}")), 1_000).await.unwrap();
    }
    let (x, y) = tokio::join!(a.dispatch_once(), b.dispatch_once());
    assert_eq!(x.unwrap() + y.unwrap(), 20);
    assert_eq!(std::fs::read_dir(h.dir.path().join("mail")).unwrap().count(), 20);
}

#[tokio::test]
async fn a_dead_smtp_server_means_retries_with_backoff_then_failed_with_the_reason() {
    let h = Harness::new().await;
    // Nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cfg = NotificationConfig { max_attempts: 3, retry_base: Duration::from_millis(50), ..Default::default() };
    let svc = h.service(Some(&format!("smtp://127.0.0.1:{port}")), cfg);
    let store = NotificationStore { db: h.db.clone() };
    store.insert(&new_notification("k"), common::time::now_ms()).await.unwrap();
    let started = std::time::Instant::now();
    let mut attempts_seen = vec![];
    while started.elapsed() < Duration::from_secs(10) {
        svc.dispatch_once().await.unwrap();
        let me = AuthUser { user_id: "u1".into(), role: Role::User };
        let n = svc.mine(&me).await.unwrap().notifications.remove(0);
        if attempts_seen.last() != Some(&n.attempts) {
            attempts_seen.push(n.attempts);
        }
        if n.status == "FAILED" {
            assert_eq!(n.attempts, 3);
            assert!(n.failure_reason.as_deref().unwrap_or("").contains("SMTP"), "{:?}", n.failure_reason);
            assert!(n.sent_at.is_none());
            break;
        }
        assert_eq!(n.status, "PENDING");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(attempts_seen, vec![1, 2, 3]);
    // Backoff: 50 ms after the first failure, 100 ms after the second.
    assert!(started.elapsed() >= Duration::from_millis(150), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_reminder_fires_once_one_day_before_the_event() {
    let h = Harness::new().await;
    let event = common::time::parse_rfc3339("2030-06-01T20:00:00Z").unwrap();
    h.clock.set(event - 48 * HOUR);
    let svc = h.service(None, NotificationConfig::default());
    let other_process = h.service(None, NotificationConfig::default());
    h.booking_row(1, "BookingConfirmed", "b1", "u1", "SUCCESS");
    h.booking_row(2, "BookingConfirmed", "b2", "u2", "SUCCESS");
    h.booking_row(3, "BookingCancelled", "b2", "u2", "REFUNDED");
    let mut cursor = store::outbox::Cursor::new(h.db.clone(), "bookings");
    svc.follow_bookings_once(&mut cursor).await.unwrap();

    assert_eq!(svc.fire_due_reminders().await.unwrap(), 0);
    h.clock.set(event - 24 * HOUR - 1);
    assert_eq!(svc.fire_due_reminders().await.unwrap(), 0, "not a moment early");
    h.clock.set(event - 24 * HOUR);
    let (a, b) = tokio::join!(svc.fire_due_reminders(), other_process.fire_due_reminders());
    assert_eq!(a.unwrap() + b.unwrap(), 1, "once, however many schedulers");
    h.clock.advance(HOUR);
    assert_eq!(svc.fire_due_reminders().await.unwrap(), 0);
    let kinds: Vec<_> = h.statuses("u1").await.into_iter().map(|x| x.0).collect();
    assert_eq!(kinds, vec!["EVENT_REMINDER", "BOOKING_CONFIRMED"]);
    // The cancelled booking gets no reminder.
    let kinds: Vec<_> = h.statuses("u2").await.into_iter().map(|x| x.0).collect();
    assert_eq!(kinds, vec!["BOOKING_CANCELLED", "BOOKING_CONFIRMED"]);
}

#[tokio::test]
async fn a_moved_event_moves_its_reminders_and_a_past_one_is_dropped() {
    let h = Harness::new().await;
    let event = common::time::parse_rfc3339("2030-06-01T20:00:00Z").unwrap();
    h.clock.set(event - 48 * HOUR);
    let svc = h.service(None, NotificationConfig::default());
    h.booking_row(1, "BookingConfirmed", "b1", "u1", "SUCCESS");
    let mut bc = store::outbox::Cursor::new(h.db.clone(), "bookings");
    svc.follow_bookings_once(&mut bc).await.unwrap();
    // Moved a week later.
    *h.fakes.event_date.lock().unwrap() = "2030-06-08T20:00:00Z".into();
    h.fakes.event_rows.lock().unwrap().push(OutboxRecord {
        id: 1,
        aggregate_type: "event".into(),
        aggregate_id: "ev1".into(),
        event_type: "EventUpdated".into(),
        payload: json!({"eventId": "ev1", "eventDate": "2030-06-08T20:00:00Z"}),
        created_at: 0,
    });
    let mut ec = store::outbox::Cursor::new(h.db.clone(), "events");
    svc.follow_events_once(&mut ec).await.unwrap();
    h.clock.set(event - 24 * HOUR);
    assert_eq!(svc.fire_due_reminders().await.unwrap(), 0, "the old date no longer counts");
    // A scheduler that was down until after the show sends no "tomorrow".
    h.clock.set(event + 8 * 24 * HOUR);
    assert_eq!(svc.fire_due_reminders().await.unwrap(), 0);
    assert_eq!(h.statuses("u1").await.len(), 1);
}

#[tokio::test]
async fn an_event_cancellation_reaches_each_holder_once() {
    let h = Harness::new().await;
    let svc = h.service(None, NotificationConfig::default());
    *h.fakes.holders.lock().unwrap() = vec![
        BookingHolder {
            booking_id: "b1".into(),
            booking_reference: "REF1AAAA".into(),
            user_id: "u1".into(),
            status: "CONFIRMED".into(),
            seat_numbers: vec![],
        },
        BookingHolder {
            booking_id: "b2".into(),
            booking_reference: "REF2BBBB".into(),
            user_id: "u1".into(),
            status: "CANCELLED".into(),
            seat_numbers: vec![],
        },
        BookingHolder {
            booking_id: "b3".into(),
            booking_reference: "REF3CCCC".into(),
            user_id: "u2".into(),
            status: "CONFIRMED".into(),
            seat_numbers: vec![],
        },
    ];
    let row = OutboxRecord {
        id: 7,
        aggregate_type: "event".into(),
        aggregate_id: "ev1".into(),
        event_type: "EventCancelled".into(),
        payload: json!({"eventId": "ev1", "status": "CANCELLED"}),
        created_at: 0,
    };
    svc.on_event_record(&row).await.unwrap();
    svc.on_event_record(&row).await.unwrap();
    assert_eq!(h.statuses("u1").await, vec![("EVENT_CANCELLED".to_string(), "PENDING".to_string())]);
    assert_eq!(h.statuses("u2").await.len(), 1);
    svc.dispatch_once().await.unwrap();
    let mails: Vec<String> =
        std::fs::read_dir(h.dir.path().join("mail")).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    let u1 = mails.iter().find(|m| m.contains("To: u1@example.com")).expect("u1's mail");
    assert!(u1.contains("REF1AAAA") && u1.contains("REF2BBBB"), "{u1}");
    let _ = h.clock.now_ms();
}

#[tokio::test]
async fn a_declined_payment_is_told() {
    let h = Harness::new().await;
    let svc = h.service(None, NotificationConfig::default());
    h.booking_row(1, "BookingFailed", "b1", "u1", "FAILED");
    let mut cursor = store::outbox::Cursor::new(h.db.clone(), "bookings");
    svc.follow_bookings_once(&mut cursor).await.unwrap();
    assert_eq!(h.statuses("u1").await, vec![("PAYMENT_FAILED".to_string(), "PENDING".to_string())]);
}
