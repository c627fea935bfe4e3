//! Notifications through the gateway (shared/API.md §9), delivered to a real SMTP server started by
//! the test: a small SMTP sink written here with tokio, which records every message it accepts.

use crate::helpers::*;
use common::config::Secret;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const OK: &str = "4242424242424242";

/// One message as the SMTP server received it.
#[derive(Debug, Clone)]
struct Mail {
    rcpt: Vec<String>,
    /// The DATA section, dot-unstuffed, with quoted-printable soft line breaks removed.
    data: String,
}

/// An SMTP server on a free port that accepts everything (ESMTP, no auth, no TLS).
struct SmtpSink {
    port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let store = mails.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = session(conn, store).await;
                });
            }
        });
        SmtpSink { port, mails }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn to(&self, rcpt: &str) -> Vec<Mail> {
        self.mails.lock().unwrap().iter().filter(|m| m.rcpt.iter().any(|r| r == rcpt)).cloned().collect()
    }

    /// Wait (up to 15 s) for a message to `rcpt` whose text contains `needle`.
    async fn wait_for(&self, rcpt: &str, needle: &str) -> Mail {
        for _ in 0..300 {
            if let Some(m) = self.to(rcpt).into_iter().find(|m| m.data.contains(needle)) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail to {rcpt} containing {needle}; got {:#?}", self.mails.lock().unwrap());
    }
}

async fn session(conn: tokio::net::TcpStream, store: Arc<Mutex<Vec<Mail>>>) -> std::io::Result<()> {
    let (r, mut w) = conn.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut rcpt = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("MAIL FROM") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("RSET") {
            rcpt.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            rcpt.push(cmd[8..].trim().trim_start_matches('<').trim_end_matches('>').to_string());
            b"250 OK\r\n"
        } else if upper == "DATA" {
            w.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            let data = data.replace("=\r\n", "").replace("=3D", "=");
            store.lock().unwrap().push(Mail { rcpt: std::mem::take(&mut rcpt), data });
            b"250 OK queued\r\n"
        } else if upper.starts_with("QUIT") {
            w.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        w.write_all(reply).await?;
    }
}

fn card() -> Value {
    json!({"type": "CREDIT_CARD", "cardNumber": OK, "expiryMonth": 12, "expiryYear": 2035, "cvv": "123"})
}

/// A user with a confirmed booking of `seats` seats: (token, user id, booking).
async fn confirmed_booking(app: &TestApp, event: &str, email: &str, seats: &[String]) -> (String, String, Value) {
    let (token, user, _) = app.new_user(email).await;
    let (s, b) = app.post("/api/inventory/reservations", Some(&token), json!({"eventId": event, "seatNumbers": seats})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let ids: Vec<String> = b["reservations"].as_array().unwrap().iter().map(|r| r["reservationId"].as_str().unwrap().to_string()).collect();
    let resp = app
        .http
        .post(format!("{}/api/bookings/confirm", app.url))
        .bearer_auth(&token)
        .header("Idempotency-Key", format!("key-{email}"))
        .json(&json!({"reservationIds": ids, "paymentMethod": card()}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let booking: Value = resp.json().await.unwrap();
    assert_eq!(booking["status"], "CONFIRMED", "{booking}");
    (token, user, booking)
}

async fn my_notifications(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, b) = app.get("/api/notifications/me", Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["notifications"].as_array().expect("a notifications list").clone()
}

/// Wait (up to 20 s) until the caller has a notification of `kind` for which `done` holds.
async fn wait_notification(app: &TestApp, token: &str, kind: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        if let Some(n) = my_notifications(app, token).await.into_iter().find(|n| n["type"] == kind && done(n)) {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {kind} notification reached the expected state: {:#?}", my_notifications(app, token).await);
}

fn assert_shape(n: &Value, kind: &str, recipient: &str, status: &str) {
    assert!(n["notificationId"].as_str().is_some_and(|s| !s.is_empty()), "{n}");
    assert_eq!(n["type"], kind, "{n}");
    assert_eq!(n["channel"], "EMAIL", "{n}");
    assert_eq!(n["recipient"], recipient, "{n}");
    assert!(n["subject"].as_str().is_some_and(|s| !s.is_empty()), "{n}");
    assert_eq!(n["status"], status, "{n}");
    assert!(n["createdAt"].as_str().and_then(common::time::parse_rfc3339).is_some(), "{n}");
    assert!(n.as_object().unwrap().contains_key("sentAt"), "{n}");
    if status == "SENT" {
        assert!(n["sentAt"].as_str().and_then(common::time::parse_rfc3339).is_some(), "{n}");
    } else {
        assert!(n["sentAt"].is_null(), "{n}");
    }
}

async fn booked_mail_flow(app: &TestApp, sink: &SmtpSink, email: &str) {
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 4).await;
    let seats = app.seat_numbers(&event).await;
    let (token, _, booking) = confirmed_booking(app, &event, email, &seats[..2]).await;
    let reference = booking["bookingReference"].as_str().unwrap().to_string();

    // The message that arrived: recipient, subject, reference, both parts, seats, total, date, venue.
    let mail = sink.wait_for(email, &reference).await;
    assert_eq!(mail.rcpt, vec![email.to_string()]);
    let d = &mail.data;
    assert!(d.contains(&format!("Subject: Booking confirmed: Test Concert ({reference})")), "{d}");
    assert!(d.contains(&format!("To: {email}")), "{d}");
    assert!(d.contains("multipart/alternative"), "{d}");
    assert!(d.contains("Content-Type: text/plain"), "{d}");
    assert!(d.contains("Content-Type: text/html"), "{d}");
    for want in [seats[0].as_str(), seats[1].as_str(), "100.00 USD", "Saturday 1 June 2030, 20:00 UTC", "Test Arena"] {
        assert!(d.contains(want), "missing {want} in {d}");
    }
    assert!(d.matches(reference.as_str()).count() >= 3, "the reference is in the subject and both parts: {d}");

    let n = wait_notification(app, &token, "BOOKING_CONFIRMED", |n| n["status"] == "SENT").await;
    assert_shape(&n, "BOOKING_CONFIRMED", email, "SENT");
    assert!(n["subject"].as_str().unwrap().contains(&reference));

    // Cancelled and refunded: told too.
    let id = booking["bookingId"].as_str().unwrap();
    let (s, b) = app.post(&format!("/api/bookings/{id}/cancel"), Some(&token), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mail = sink.wait_for(email, "Booking cancelled").await;
    assert!(mail.data.contains("refunded in full") && mail.data.contains(&reference), "{}", mail.data);
    let n = wait_notification(app, &token, "BOOKING_CANCELLED", |n| n["status"] == "SENT").await;
    assert_shape(&n, "BOOKING_CANCELLED", email, "SENT");
    // Each sent once, newest first.
    let all = my_notifications(app, &token).await;
    assert_eq!(all.iter().map(|n| n["type"].as_str().unwrap()).collect::<Vec<_>>(), vec!["BOOKING_CANCELLED", "BOOKING_CONFIRMED"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.to(email).len(), 2, "one message per notification");
}

#[tokio::test]
async fn a_confirmed_and_a_cancelled_booking_are_mailed_through_smtp() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(|c| c.smtp_url = Some(Secret::new(sink.url()))).await;
    booked_mail_flow(&app, &sink, "fan-mail@example.com").await;

    // Nobody else sees them; anonymous callers are refused.
    let (other, _, _) = app.new_user("other-mail@example.com").await;
    assert!(my_notifications(&app, &other).await.is_empty());
    let (s, b) = app.get("/api/notifications/me", None).await;
    assert_error(s, &b, 401, "UNAUTHORIZED");
}

#[tokio::test]
async fn mail_goes_through_smtp_on_mariadb_too() {
    let Some(base) = mysql_url() else { return };
    let sink = SmtpSink::start().await;
    let app = spawn_shared(&fresh_mysql(&base), |c| c.smtp_url = Some(Secret::new(sink.url()))).await;
    booked_mail_flow(&app, &sink, "fan-maria@example.com").await;
}

#[tokio::test]
async fn a_dead_smtp_server_means_retries_then_failed_never_a_blocked_booking() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = spawn_app_with(|c| {
        c.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{port}")));
        c.mail_max_attempts = 3;
        c.mail_retry_base_ms = 100;
    })
    .await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 2).await;
    let seats = app.seat_numbers(&event).await;
    // The booking goes through regardless of the mail.
    let (token, _, _) = confirmed_booking(&app, &event, "fan-dead@example.com", &seats[..1]).await;
    let n = wait_notification(&app, &token, "BOOKING_CONFIRMED", |n| n["status"] != "PENDING").await;
    assert_shape(&n, "BOOKING_CONFIRMED", "fan-dead@example.com", "FAILED");
    assert_eq!(n["attempts"], 3, "{n}");
    assert!(n["failureReason"].as_str().is_some_and(|r| r.contains("SMTP")), "{n}");
    // Not lost, not duplicated.
    assert_eq!(my_notifications(&app, &token).await.len(), 1);
}

#[tokio::test]
async fn a_reminder_fires_once_a_day_before_the_event() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(|c| c.smtp_url = Some(Secret::new(sink.url()))).await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 2).await;
    let seats = app.seat_numbers(&event).await;
    let (token, _, booking) = confirmed_booking(&app, &event, "fan-remind@example.com", &seats[..1]).await;
    let reference = booking["bookingReference"].as_str().unwrap().to_string();
    wait_notification(&app, &token, "BOOKING_CONFIRMED", |n| n["status"] == "SENT").await;

    // The node's scheduler runs on the wall clock; here it is asked as if the clock said so.
    let svc = app.node.services.notification.clone().expect("the node runs notifications");
    let starts = common::time::parse_rfc3339("2030-06-01T20:00:00Z").unwrap();
    let day = 24 * 3600 * 1000;
    assert_eq!(svc.fire_due_reminders_at(starts - 2 * day).await.unwrap(), 0);
    assert_eq!(svc.fire_due_reminders_at(starts - day - 1000).await.unwrap(), 0, "not early");
    assert_eq!(svc.fire_due_reminders_at(starts - day).await.unwrap(), 1);
    assert_eq!(svc.fire_due_reminders_at(starts - day + 1000).await.unwrap(), 0, "once");
    assert_eq!(svc.fire_due_reminders_at(starts - 3600 * 1000).await.unwrap(), 0, "once");

    let mail = sink.wait_for("fan-remind@example.com", "Tomorrow").await;
    assert!(mail.data.contains(&reference) && mail.data.contains("Test Arena"), "{}", mail.data);
    let n = wait_notification(&app, &token, "EVENT_REMINDER", |n| n["status"] == "SENT").await;
    assert_shape(&n, "EVENT_REMINDER", "fan-remind@example.com", "SENT");
    let kinds: Vec<String> = my_notifications(&app, &token).await.iter().map(|n| n["type"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "EVENT_REMINDER").count(), 1);
}

#[tokio::test]
async fn an_event_cancellation_is_mailed_to_every_holder() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(|c| c.smtp_url = Some(Secret::new(sink.url()))).await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 4).await;
    let seats = app.seat_numbers(&event).await;
    let (t1, _, b1) = confirmed_booking(&app, &event, "holder-1@example.com", &seats[..1]).await;
    let (t2, _, b2) = confirmed_booking(&app, &event, "holder-2@example.com", &seats[1..2]).await;
    let (s, e) = app.put(&format!("/api/events/{event}/status"), Some(&admin), json!({"status": "CANCELLED"})).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    for (token, email, booking) in [(&t1, "holder-1@example.com", &b1), (&t2, "holder-2@example.com", &b2)] {
        let reference = booking["bookingReference"].as_str().unwrap();
        let mail = sink.wait_for(email, "Event cancelled").await;
        assert!(mail.data.contains(reference), "{}", mail.data);
        let n = wait_notification(&app, token, "EVENT_CANCELLED", |n| n["status"] == "SENT").await;
        assert_shape(&n, "EVENT_CANCELLED", email, "SENT");
        // The booking service cancels and refunds the booking: told as well.
        wait_notification(&app, token, "BOOKING_CANCELLED", |n| n["status"] == "SENT").await;
        let events: Vec<_> = my_notifications(&app, token).await.into_iter().filter(|n| n["type"] == "EVENT_CANCELLED").collect();
        assert_eq!(events.len(), 1);
    }
}

#[tokio::test]
async fn without_an_smtp_server_mail_is_spooled_as_eml_files_in_the_data_dir() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = app.event_on_sale(&admin, 1, 2).await;
    let seats = app.seat_numbers(&event).await;
    let (token, _, booking) = confirmed_booking(&app, &event, "fan-spool@example.com", &seats[..1]).await;
    let n = wait_notification(&app, &token, "BOOKING_CONFIRMED", |n| n["status"] == "SENT").await;
    assert_shape(&n, "BOOKING_CONFIRMED", "fan-spool@example.com", "SENT");
    let reference = booking["bookingReference"].as_str().unwrap();
    let spooled: Vec<String> = std::fs::read_dir(app.dir.path().join("mail"))
        .expect("the mail spool")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    let mail = spooled.iter().find(|m| m.contains("To: fan-spool@example.com")).expect("a spooled message");
    assert!(mail.contains(reference) && mail.contains("text/html") && mail.contains("text/plain"), "{mail}");
}
