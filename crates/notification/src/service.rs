//! The rules of notifying: which outbox rows make which notifications (and for whom), the reminder
//! schedule, and the dispatcher that sends each notification once.

use crate::clock::Clock;
use crate::mail::{Mailer, Outgoing};
use crate::store::{NewNotification, NotificationRow, NotificationStore, ReminderRow};
use crate::templates::{amount, human_date, Kind, MailContext, Templates};
use common::auth::AuthUser;
use common::clients::{BookingsFeed, EventDoc, EventsFeed, InventoryApi, OutboxRecord, UserContact, UserDirectory};
use common::time::{opt_rfc3339, to_rfc3339};
use common::ApiError;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::outbox::Cursor;
use tokio::sync::Notify;

const DAY_MS: i64 = 24 * 3600 * 1000;
/// Notifications one dispatcher pass takes, and how many of them it sends at once.
const DISPATCH_BATCH: i64 = 200;
const SENDS_AT_ONCE: usize = 16;

#[derive(Clone)]
pub struct NotificationConfig {
    /// Attempts before a notification is `FAILED`.
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubled after each further one (capped at 10 minutes).
    pub retry_base: Duration,
    /// How long a sender owns a claimed notification. Longer than a send may take (the SMTP
    /// timeout), so a live sender never loses its row; a dead one's row is taken over after it.
    pub lease: Duration,
    /// How often the followers, the scheduler and the dispatcher look for work when idle.
    pub poll_interval: Duration,
    /// How long before the event its reminder goes out.
    pub remind_before: Duration,
    /// The web app's address, for links in mails (`TICKETING_PUBLIC_URL`).
    pub app_url: String,
}

impl Default for NotificationConfig {
    fn default() -> Self {
        NotificationConfig {
            max_attempts: 5,
            retry_base: Duration::from_secs(2),
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_millis(300),
            remind_before: Duration::from_millis(DAY_MS as u64),
            app_url: "http://127.0.0.1:8000".into(),
        }
    }
}

/// The services the notifier reads.
#[derive(Clone)]
pub struct Sources {
    pub bookings: Arc<dyn BookingsFeed>,
    pub events: Arc<dyn EventsFeed>,
    pub users: Arc<dyn UserDirectory>,
    /// The inventory's outbox, for waitlist offers.
    pub inventory: Arc<dyn InventoryApi>,
}

/// The outboxes the notifier follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feed {
    Bookings,
    Events,
    /// Only its `WaitlistOffered` rows matter here.
    Inventory,
}

impl Feed {
    const ALL: [Feed; 3] = [Feed::Bookings, Feed::Events, Feed::Inventory];
    /// Its cursor's name (and its log label).
    fn name(self) -> &'static str {
        match self {
            Feed::Bookings => "bookings",
            Feed::Events => "events",
            Feed::Inventory => "inventory",
        }
    }
}

/// A notification as `GET /api/notifications/me` shows it (shared/API.md §9).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationView {
    pub notification_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub status: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub attempts: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

impl From<&NotificationRow> for NotificationView {
    fn from(r: &NotificationRow) -> Self {
        NotificationView {
            notification_id: r.notification_id.clone(),
            kind: r.kind.clone(),
            channel: r.channel.clone(),
            recipient: r.recipient.clone(),
            subject: r.subject.clone(),
            status: r.status.clone(),
            created_at: to_rfc3339(r.created_at),
            sent_at: opt_rfc3339(r.sent_at),
            attempts: r.attempts,
            failure_reason: if r.status == "SENT" { None } else { r.last_error.clone() },
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationList {
    pub notifications: Vec<NotificationView>,
}

/// What a batch of outbox rows asked in advance ([`NotificationService::ask_for`]); a question
/// not in it is asked when it comes.
#[derive(Default)]
struct Asked {
    /// Dedup key -> whether a notification with it exists.
    keys: HashMap<String, bool>,
    /// User id -> the account's contact (`None`: no account).
    contacts: HashMap<String, Option<UserContact>>,
    /// In a batch: the notifications made, written with the batch ([`NotificationService::flush`]).
    made: Option<std::sync::Mutex<Vec<(Kind, NewNotification)>>>,
}

/// The booking outbox payload, as far as the notifier reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct BookingPayload {
    booking_id: String,
    booking_reference: String,
    user_id: String,
    event_id: Option<String>,
    payment_id: Option<String>,
    payment_status: String,
    total_amount_cents: i64,
    currency: String,
    seat_numbers: Vec<String>,
}

/// What a notification says about the event.
#[derive(Default, Clone)]
struct EventInfo {
    name: String,
    date_ms: Option<i64>,
    venue: String,
    city: String,
}

impl From<EventDoc> for EventInfo {
    fn from(e: EventDoc) -> Self {
        EventInfo { name: e.event_name, date_ms: common::time::parse_rfc3339(&e.event_date), venue: e.venue_name, city: e.city }
    }
}

pub struct NotificationService {
    store: NotificationStore,
    sources: Sources,
    mailer: Mailer,
    templates: Templates,
    cfg: NotificationConfig,
    /// The reminder scheduler's clock (leases and retries use the wall clock).
    clock: Arc<dyn Clock>,
    /// This process, as a lease owner.
    owner: String,
    wake: Notify,
    dead: AtomicBool,
    /// Events read lately: during a sale every confirmation of an event asks for the same one.
    events_seen: std::sync::Mutex<HashMap<String, (Instant, EventInfo)>>,
}

/// How long an event read for a notification is used again (a rename shows in mails after this).
const EVENT_INFO_FRESH: Duration = Duration::from_secs(2);

fn now() -> i64 {
    common::time::now_ms()
}

impl NotificationService {
    pub fn new(db: store::Db, sources: Sources, mailer: Mailer, cfg: NotificationConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            store: NotificationStore { db },
            sources,
            mailer,
            templates: Templates::new(),
            cfg,
            clock,
            owner: format!("notification-{}", common::ids::random_token(8)),
            wake: Notify::new(),
            dead: AtomicBool::new(false),
            events_seen: Default::default(),
        }
    }

    pub fn db(&self) -> &store::Db {
        &self.store.db
    }

    /// Stop the background jobs (a node shutting down).
    pub fn stop(&self) {
        self.dead.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
    }

    pub async fn ping(&self) -> Result<(), String> {
        self.store.db.ping().await.map_err(|e| format!("notification database: {e}"))
    }

    /// `GET /api/notifications/me`: the caller's notifications, newest first.
    pub async fn mine(&self, user: &AuthUser) -> Result<NotificationList, ApiError> {
        let rows = self.store.of_user(&user.user_id).await?;
        Ok(NotificationList { notifications: rows.iter().map(NotificationView::from).collect() })
    }

    // ---- making notifications ----

    async fn event_info(&self, event_id: Option<&str>) -> Result<EventInfo, ApiError> {
        let Some(id) = event_id.filter(|s| !s.is_empty()) else { return Ok(EventInfo::default()) };
        let seen =
            |m: &HashMap<String, (Instant, EventInfo)>| m.get(id).filter(|(at, _)| at.elapsed() < EVENT_INFO_FRESH).map(|(_, e)| e.clone());
        if let Some(e) = seen(&self.events_seen.lock().unwrap_or_else(|e| e.into_inner())) {
            return Ok(e);
        }
        let info = self.sources.events.event(id).await?.map(EventInfo::from).unwrap_or_default();
        let mut m = self.events_seen.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 1_000 {
            m.clear();
        }
        m.insert(id.to_string(), (Instant::now(), info.clone()));
        Ok(info)
    }

    fn context(&self, name: &str, ev: &EventInfo) -> MailContext {
        MailContext {
            name: name.to_string(),
            event_name: if ev.name.is_empty() { "your event".into() } else { ev.name.clone() },
            event_date: ev.date_ms.map(human_date).unwrap_or_default(),
            venue: ev.venue.clone(),
            city: ev.city.clone(),
            app_url: self.cfg.app_url.trim_end_matches('/').to_string(),
            ..Default::default()
        }
    }

    /// Render and record one notification for `user_id`, unless `dedup_key` was recorded before.
    /// `Ok(false)` when nothing new was recorded. `asked` answers what a batch asked in advance.
    async fn notify(
        &self,
        kind: Kind,
        user_id: &str,
        dedup_key: String,
        ev: &EventInfo,
        asked: &Asked,
        fill: impl FnOnce(&mut MailContext),
    ) -> Result<bool, ApiError> {
        let known = match asked.keys.get(&dedup_key) {
            Some(k) => *k,
            None => self.store.exists(&dedup_key).await?,
        };
        if known {
            return Ok(false);
        }
        let contact = match asked.contacts.get(user_id) {
            Some(c) => c.clone(),
            None => self.sources.users.contact(user_id).await?,
        };
        let Some(contact) = contact else {
            tracing::warn!(user_id, kind = kind.as_str(), "no account for a notification's recipient; skipped");
            return Ok(false);
        };
        let mut ctx = self.context(&contact.name, ev);
        fill(&mut ctx);
        let r = self.templates.render(kind, &ctx).map_err(|e| ApiError::internal(format!("template {}: {e}", kind.as_str())))?;
        let n = NewNotification {
            dedup_key,
            user_id: user_id.to_string(),
            kind: kind.as_str().to_string(),
            recipient: contact.email,
            subject: r.subject,
            body_text: r.text,
            body_html: r.html,
        };
        if let Some(made) = &asked.made {
            made.lock().unwrap_or_else(|e| e.into_inner()).push((kind, n));
            return Ok(true);
        }
        let fresh = self.store.insert(&n, now()).await?;
        if fresh {
            metrics::counter!("notifications_created_total", "type" => kind.as_str()).increment(1);
            self.wake.notify_one();
        }
        Ok(fresh)
    }

    /// What a batch of booking outbox rows will ask (whether each row's notification exists,
    /// who its recipient is), asked with one statement each instead of two per row.
    async fn ask_for(&self, rows: &[OutboxRecord]) -> Result<Asked, ApiError> {
        let mut keys = Vec::new();
        let mut users = Vec::new();
        for r in rows {
            if Self::booking_kind(r).is_some() {
                let p: BookingPayload = serde_json::from_value(r.payload.clone()).unwrap_or_default();
                keys.push(Self::booking_key(r, &p));
                users.push(p.user_id);
            }
        }
        if keys.is_empty() {
            return Ok(Asked { made: Some(Default::default()), ..Asked::default() });
        }
        users.sort_unstable();
        users.dedup();
        let known = self.store.known(&keys).await?;
        let mut contacts: HashMap<String, Option<UserContact>> = users.into_iter().map(|u| (u, None)).collect();
        for c in self.sources.users.contacts(&contacts.keys().cloned().collect::<Vec<_>>()).await? {
            contacts.insert(c.user_id.clone(), Some(c));
        }
        Ok(Asked { keys: keys.into_iter().map(|k| (k.clone(), known.contains(&k))).collect(), contacts, made: Some(Default::default()) })
    }

    /// The notification a booking outbox row makes, if any.
    fn booking_kind(r: &OutboxRecord) -> Option<Kind> {
        Some(match (r.event_type.as_str(), r.payload.get("paymentStatus").and_then(|v| v.as_str())) {
            ("BookingConfirmed", _) => Kind::BookingConfirmed,
            ("BookingCancelled", _) => Kind::BookingCancelled,
            // Declined (or fenced after a crash): nothing charged, seats released.
            ("BookingFailed", Some("FAILED")) => Kind::PaymentFailed,
            // Charged, the seats could not be confirmed, refunded.
            ("BookingFailed", Some("REFUNDED")) => Kind::BookingCancelled,
            _ => return None,
        })
    }

    /// The dedup key of a booking outbox row's notification.
    fn booking_key(r: &OutboxRecord, p: &BookingPayload) -> String {
        format!("booking:{}:{}", r.id, p.user_id)
    }

    /// One row of the booking outbox.
    pub async fn on_booking_record(&self, r: &OutboxRecord) -> Result<(), ApiError> {
        if let Some(reminder) = self.on_booking_row(r, &Asked::default()).await? {
            self.store.schedule(&reminder, now()).await?;
        }
        Ok(())
    }

    /// [`Self::on_booking_record`] in a batch: the reminder a confirmation schedules is returned,
    /// for the batch to write with the others.
    async fn on_booking_row(&self, r: &OutboxRecord, asked: &Asked) -> Result<Option<ReminderRow>, ApiError> {
        let Some(kind) = Self::booking_kind(r) else { return Ok(None) };
        let p: BookingPayload = serde_json::from_value(r.payload.clone()).unwrap_or_default();
        if p.user_id.is_empty() {
            return Ok(None);
        }
        if kind == Kind::BookingCancelled {
            self.store.drop_reminder(&p.booking_id, "CANCELLED", now()).await?;
        }
        if kind == Kind::PaymentFailed && p.payment_id.is_none() {
            return Ok(None);
        }
        let ev = self.event_info(p.event_id.as_deref()).await?;
        let failed_booking = r.event_type == "BookingFailed";
        let key = Self::booking_key(r, &p);
        self.notify(kind, &p.user_id, key, &ev, asked, |c| {
            c.booking_reference = p.booking_reference.clone();
            c.booking_references = vec![p.booking_reference.clone()];
            c.seats = p.seat_numbers.clone();
            c.total = amount(p.total_amount_cents, if p.currency.is_empty() { "USD" } else { &p.currency });
            c.refunded = p.payment_status == "REFUNDED";
            c.failed_booking = failed_booking;
        })
        .await?;
        if kind == Kind::BookingConfirmed {
            if let (Some(event_id), Some(date)) = (p.event_id.as_deref(), ev.date_ms) {
                return Ok(Some(ReminderRow {
                    booking_id: p.booking_id.clone(),
                    user_id: p.user_id.clone(),
                    event_id: event_id.to_string(),
                    booking_reference: p.booking_reference.clone(),
                    seats: serde_json::to_string(&p.seat_numbers).unwrap_or_else(|_| "[]".into()),
                    event_date: date,
                    remind_at: date - self.cfg.remind_before.as_millis() as i64,
                    status: "SCHEDULED".into(),
                }));
            }
        }
        Ok(None)
    }

    /// One row of the events outbox.
    pub async fn on_event_record(&self, r: &OutboxRecord) -> Result<(), ApiError> {
        match r.event_type.as_str() {
            "EventCancelled" => {
                let event_id = &r.aggregate_id;
                self.store.cancel_event_reminders(event_id, now()).await?;
                // The holders at the moment of the cancellation: the booking service may already
                // have cancelled their bookings because of it.
                let holders = self.sources.bookings.holders(event_id, r.created_at).await?;
                let mut by_user: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for h in holders {
                    by_user.entry(h.user_id).or_default().push(h.booking_reference);
                }
                if by_user.is_empty() {
                    return Ok(());
                }
                let ev = self.event_info(Some(event_id)).await?;
                for (user, refs) in by_user {
                    let key = format!("events:{}:{}", r.id, user);
                    self.notify(Kind::EventCancelled, &user, key, &ev, &Asked::default(), |c| {
                        c.booking_reference = refs.first().cloned().unwrap_or_default();
                        c.booking_references = refs;
                    })
                    .await?;
                }
            }
            "EventUpdated" => {
                let date = r.payload.get("eventDate").and_then(|v| v.as_str()).and_then(common::time::parse_rfc3339);
                if let Some(date) = date {
                    let at = date - self.cfg.remind_before.as_millis() as i64;
                    self.store.reschedule_event(&r.aggregate_id, date, at, now()).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// One row of the inventory's outbox: a waitlist offer mails its fan.
    pub async fn on_inventory_record(&self, r: &OutboxRecord) -> Result<(), ApiError> {
        if r.event_type != "WaitlistOffered" {
            return Ok(());
        }
        let text = |k: &str| r.payload.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let user_id = text("userId");
        if user_id.is_empty() {
            return Ok(());
        }
        let ev = self.event_info(Some(&r.aggregate_id)).await?;
        let seats: Vec<String> = serde_json::from_value(r.payload.get("seatNumbers").cloned().unwrap_or_default()).unwrap_or_default();
        let expires = common::time::parse_rfc3339(&text("expiresAt")).map(human_date).unwrap_or_default();
        let key = format!("waitlist:{}:{}", text("entryId"), r.id);
        self.notify(Kind::WaitlistOffer, &user_id, key, &ev, &Asked::default(), |c| {
            c.seats = seats;
            c.offer_expires = expires;
        })
        .await?;
        Ok(())
    }

    /// Read a batch of an outbox after our cursor and handle it; the cursor moves only past rows
    /// handled, so a failure means the batch is read again (and the dedup keys make that harmless).
    async fn follow_once(&self, records: Vec<OutboxRecord>, pos: i64, cursor: &mut Cursor, feed: Feed) -> Result<usize, ApiError> {
        let ready = cursor.ready(pos, records);
        let asked = if feed == Feed::Bookings { self.ask_for(&ready).await? } else { Asked::default() };
        let mut done = None;
        let mut result = Ok(());
        // What the rows make (notifications, the confirmations' reminders) is written together:
        // before any row but a confirmation (a cancellation drops its booking's reminder, which
        // must exist by then) and before the cursor moves.
        let mut reminders = Vec::new();
        for r in &ready {
            if r.event_type != "BookingConfirmed" {
                self.flush(&asked, &mut reminders).await?;
            }
            let handled = match feed {
                Feed::Bookings => self.on_booking_row(r, &asked).await.map(|reminder| reminders.extend(reminder)),
                Feed::Events => self.on_event_record(r).await,
                Feed::Inventory => self.on_inventory_record(r).await,
            };
            if let Err(e) = handled {
                result = Err(e);
                break;
            }
            done = Some(r.id);
        }
        self.flush(&asked, &mut reminders).await?;
        if let Some(last) = done {
            cursor.save(last).await?;
        }
        result.map(|_| ready.len())
    }

    /// Write what a batch's rows made so far, in one transaction.
    async fn flush(&self, asked: &Asked, reminders: &mut Vec<ReminderRow>) -> Result<(), ApiError> {
        let made = asked.made.as_ref().map(|m| std::mem::take(&mut *m.lock().unwrap_or_else(|e| e.into_inner()))).unwrap_or_default();
        if made.is_empty() && reminders.is_empty() {
            return Ok(());
        }
        let notes: Vec<NewNotification> = made.iter().map(|(_, n)| n.clone()).collect();
        let recorded = self.store.record_batch(&notes, reminders, now()).await?;
        reminders.clear();
        for ((kind, _), _) in made.iter().zip(&recorded).filter(|(_, new)| **new) {
            metrics::counter!("notifications_created_total", "type" => kind.as_str()).increment(1);
        }
        if recorded.contains(&true) {
            self.wake.notify_one();
        }
        Ok(())
    }

    pub async fn follow_bookings_once(&self, cursor: &mut Cursor) -> Result<usize, ApiError> {
        self.follow(Feed::Bookings, cursor).await
    }

    pub async fn follow_events_once(&self, cursor: &mut Cursor) -> Result<usize, ApiError> {
        self.follow(Feed::Events, cursor).await
    }

    pub(crate) async fn follow(&self, feed: Feed, cursor: &mut Cursor) -> Result<usize, ApiError> {
        let pos = cursor.load().await?;
        let batch = match feed {
            Feed::Bookings => self.sources.bookings.outbox_after(pos, 200).await?,
            Feed::Events => self.sources.events.outbox_after(pos, 200).await?,
            // Busy during a sale (every hold writes a row) and nearly all skipped: larger batches.
            Feed::Inventory => self.sources.inventory.outbox_after(pos, 1000).await?,
        };
        self.follow_once(batch, pos, cursor, feed).await
    }

    // ---- reminders ----

    /// Fire the reminders due by the scheduler's clock. Each fires once: the `FIRED` mark and the
    /// notification are one conditional transaction. A reminder whose event has already begun is
    /// dropped (a node that was down all day does not send "tomorrow" after the show).
    pub async fn fire_due_reminders(&self) -> Result<usize, ApiError> {
        self.fire_due_reminders_at(self.clock.now_ms()).await
    }

    /// [`Self::fire_due_reminders`] as if the clock said `at` (tests of a whole node, whose
    /// scheduler runs on the wall clock).
    pub async fn fire_due_reminders_at(&self, at: i64) -> Result<usize, ApiError> {
        let mut fired = 0;
        for r in self.store.due_reminders(at, 100).await? {
            if r.status != "SCHEDULED" {
                continue;
            }
            if at >= r.event_date {
                self.store.drop_reminder(&r.booking_id, "SKIPPED", now()).await?;
                continue;
            }
            let key = format!("reminder:{}", r.booking_id);
            let Some(contact) = self.sources.users.contact(&r.user_id).await? else {
                self.store.drop_reminder(&r.booking_id, "SKIPPED", now()).await?;
                continue;
            };
            let ev = self.event_info(Some(&r.event_id)).await?;
            let mut ctx = self.context(&contact.name, &ev);
            ctx.event_date = human_date(ev.date_ms.unwrap_or(r.event_date));
            ctx.booking_reference = r.booking_reference.clone();
            ctx.booking_references = vec![r.booking_reference.clone()];
            ctx.seats = serde_json::from_str(&r.seats).unwrap_or_default();
            let m = self
                .templates
                .render(Kind::EventReminder, &ctx)
                .map_err(|e| ApiError::internal(format!("template EVENT_REMINDER: {e}")))?;
            let n = NewNotification {
                dedup_key: key,
                user_id: r.user_id.clone(),
                kind: Kind::EventReminder.as_str().into(),
                recipient: contact.email,
                subject: m.subject,
                body_text: m.text,
                body_html: m.html,
            };
            if self.store.fire(&r.booking_id, &n, now()).await? {
                fired += 1;
                metrics::counter!("notifications_created_total", "type" => Kind::EventReminder.as_str()).increment(1);
                self.wake.notify_one();
            }
        }
        Ok(fired)
    }

    // ---- sending ----

    fn backoff(&self, attempts_done: i64) -> Duration {
        // base, 2 x base, 4 x base, ... after the 1st, 2nd, 3rd failed attempt.
        let factor = 1u32 << (attempts_done - 1).clamp(0, 16) as u32;
        self.cfg.retry_base.saturating_mul(factor).min(Duration::from_secs(600))
    }

    /// Send one claimed notification, within its lease.
    async fn send(&self, n: &NotificationRow) -> Result<(), crate::mail::SendError> {
        let out =
            Outgoing { to: &n.recipient, subject: &n.subject, text: &n.body_text, html: &n.body_html, message_id: &n.notification_id };
        // Cut the attempt before the lease runs out, so no other sender can start on it meanwhile.
        let timeout = self.cfg.lease.mul_f32(0.8);
        match tokio::time::timeout(timeout, self.mailer.send(&out)).await {
            Ok(r) => r,
            Err(_) => Err(crate::mail::SendError { permanent: false, reason: "timed out".into() }),
        }
    }

    /// A send failed: try again later with a backoff, or give up after the last attempt.
    async fn failed(&self, n: &NotificationRow, e: crate::mail::SendError) -> Result<(), ApiError> {
        let id = n.notification_id.as_str();
        let attempts = n.attempts + 1;
        let give_up = e.permanent || attempts >= self.cfg.max_attempts as i64;
        let next = if give_up { None } else { Some(now() + self.backoff(attempts).as_millis() as i64) };
        self.store.mark_attempt_failed(id, &self.owner, &e.reason, next, now()).await?;
        if give_up {
            metrics::counter!("notifications_failed_total", "type" => n.kind.clone()).increment(1);
            tracing::warn!(notification_id = id, attempts, reason = %e.reason, "notification failed for good");
        } else {
            metrics::counter!("notification_retries_total").increment(1);
            tracing::warn!(notification_id = id, attempts, reason = %e.reason, "sending failed; will retry");
        }
        Ok(())
    }

    /// One pass of the dispatcher: send what is due. Returns how many were sent.
    pub async fn dispatch_once(&self) -> Result<usize, ApiError> {
        let t = now();
        let age = self.store.oldest_pending().await?.map(|c| (t - c).max(0) as f64 / 1000.0).unwrap_or(0.0);
        metrics::gauge!("notification_queue_age_seconds").set(age);
        // The due mails are claimed with one statement (each row goes to one sender: the claim is
        // conditional on the row being pending and unleased), sent several at once (a send waits
        // on the mail server, or the spool's disk), and the sent ones marked with one statement.
        let due = self.store.due(t, DISPATCH_BATCH).await?;
        let mine = self.store.claim_many(&due, &self.owner, t + self.cfg.lease.as_millis() as i64, t).await?;
        let results: Vec<(NotificationRow, Result<(), crate::mail::SendError>)> = futures::stream::iter(mine)
            .map(|n| async move {
                let r = if self.dead.load(Ordering::SeqCst) {
                    Err(crate::mail::SendError { permanent: false, reason: "the service is stopping".into() })
                } else {
                    self.send(&n).await
                };
                (n, r)
            })
            .buffer_unordered(SENDS_AT_ONCE)
            .collect()
            .await;
        let mut sent = Vec::new();
        for (n, r) in results {
            match r {
                Ok(()) => sent.push(n),
                Err(e) => self.failed(&n, e).await?,
            }
        }
        let ids: Vec<String> = sent.iter().map(|n| n.notification_id.clone()).collect();
        let marked = self.store.mark_sent_many(&ids, &self.owner, now()).await?;
        if marked < ids.len() as u64 {
            tracing::warn!(lost = ids.len() as u64 - marked, "sent, but the lease had run out: another sender may send them too");
        }
        for n in &sent {
            metrics::counter!("notifications_sent_total", "type" => n.kind.clone()).increment(1);
            tracing::debug!(notification_id = %n.notification_id, kind = %n.kind, "notification sent");
        }
        Ok(sent.len())
    }

    // ---- jobs ----

    /// The three outbox followers, the reminder scheduler and the dispatcher. All end when the
    /// service is stopped.
    pub fn spawn_jobs(self: &Arc<Self>) {
        for feed in Feed::ALL {
            let svc = self.clone();
            tokio::spawn(async move {
                let mut cursor = Cursor::new(svc.store.db.clone(), feed.name());
                while !svc.dead.load(Ordering::SeqCst) {
                    match svc.follow(feed, &mut cursor).await {
                        Ok(n) if n > 0 => continue,
                        Ok(_) => tokio::time::sleep(svc.cfg.poll_interval).await,
                        Err(e) => {
                            tracing::warn!(error = %e, outbox = feed.name(), "following an outbox failed; retrying");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
            });
        }
        let svc = self.clone();
        tokio::spawn(async move {
            while !svc.dead.load(Ordering::SeqCst) {
                if let Err(e) = svc.fire_due_reminders().await {
                    tracing::warn!(error = %e, "reminder scheduler failed; retrying");
                }
                tokio::time::sleep(svc.cfg.poll_interval.max(Duration::from_secs(1))).await;
            }
        });
        let svc = self.clone();
        tokio::spawn(async move {
            tracing::info!(mail = %svc.mailer.describe(), "notification dispatcher started");
            while !svc.dead.load(Ordering::SeqCst) {
                if let Err(e) = svc.dispatch_once().await {
                    tracing::warn!(error = %e, "notification dispatch failed; retrying");
                }
                // Woken by a new notification, or polls (retries come due, leases run out).
                let _ = tokio::time::timeout(svc.cfg.poll_interval, svc.wake.notified()).await;
            }
        });
    }
}
