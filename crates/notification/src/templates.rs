//! The messages, rendered with minijinja from `templates/` (embedded at compile time): each kind
//! has a subject line, a plain-text part and an HTML part (which extends `layout.html` and is
//! auto-escaped, so an event name cannot inject markup).

use minijinja::Environment;
use serde::Serialize;

/// What a notification is about (shared/API.md §9 `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BookingConfirmed,
    BookingCancelled,
    PaymentFailed,
    EventReminder,
    EventCancelled,
    /// Seats freed for a waitlisted fan are held for them (shared/API.md §14).
    WaitlistOffer,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::BookingConfirmed => "BOOKING_CONFIRMED",
            Kind::BookingCancelled => "BOOKING_CANCELLED",
            Kind::PaymentFailed => "PAYMENT_FAILED",
            Kind::EventReminder => "EVENT_REMINDER",
            Kind::EventCancelled => "EVENT_CANCELLED",
            Kind::WaitlistOffer => "WAITLIST_OFFER",
        }
    }
    fn stem(self) -> &'static str {
        match self {
            Kind::BookingConfirmed => "booking_confirmed",
            Kind::BookingCancelled => "booking_cancelled",
            Kind::PaymentFailed => "payment_failed",
            Kind::EventReminder => "event_reminder",
            Kind::EventCancelled => "event_cancelled",
            Kind::WaitlistOffer => "waitlist_offer",
        }
    }
    fn subject(self) -> &'static str {
        match self {
            Kind::BookingConfirmed => "Booking confirmed: {{ event_name }} ({{ booking_reference }})",
            Kind::BookingCancelled => "{% if failed_booking %}Booking not completed{% else %}Booking cancelled{% endif %}: {{ event_name }} ({{ booking_reference }}){% if refunded %}, refunded{% endif %}",
            Kind::PaymentFailed => "Payment failed: {{ event_name }} ({{ booking_reference }})",
            Kind::EventReminder => "Tomorrow: {{ event_name }} ({{ booking_reference }})",
            Kind::EventCancelled => "Event cancelled: {{ event_name }}",
            Kind::WaitlistOffer => "Seats for you: {{ event_name }}, until {{ offer_expires }}",
        }
    }
    pub const ALL: [Kind; 6] = [
        Kind::BookingConfirmed,
        Kind::BookingCancelled,
        Kind::PaymentFailed,
        Kind::EventReminder,
        Kind::EventCancelled,
        Kind::WaitlistOffer,
    ];
}

/// Everything a template may show.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MailContext {
    pub name: String,
    pub booking_reference: String,
    pub booking_references: Vec<String>,
    pub event_name: String,
    /// Human-readable, e.g. `Saturday 1 June 2030, 20:00 UTC`.
    pub event_date: String,
    pub venue: String,
    pub city: String,
    pub seats: Vec<String>,
    /// `100.00 USD`
    pub total: String,
    pub refunded: bool,
    /// A booking charged and then refunded because its seats could not be confirmed.
    pub failed_booking: bool,
    /// The web app's address (`TICKETING_PUBLIC_URL`), for links.
    pub app_url: String,
    /// When a waitlist offer's hold runs out, human-readable.
    pub offer_expires: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Serialize)]
struct WithSubject<'a> {
    subject: &'a str,
    #[serde(flatten)]
    ctx: &'a MailContext,
}

pub struct Templates {
    env: Environment<'static>,
}

macro_rules! template {
    ($env:expr, $name:literal) => {
        $env.add_template($name, include_str!(concat!("../templates/", $name))).expect(concat!("template ", $name, " parses"))
    };
}

impl Templates {
    pub fn new() -> Self {
        let mut env = Environment::new();
        template!(env, "layout.html");
        template!(env, "booking_confirmed.txt");
        template!(env, "booking_confirmed.html");
        template!(env, "booking_cancelled.txt");
        template!(env, "booking_cancelled.html");
        template!(env, "payment_failed.txt");
        template!(env, "payment_failed.html");
        template!(env, "event_reminder.txt");
        template!(env, "event_reminder.html");
        template!(env, "event_cancelled.txt");
        template!(env, "event_cancelled.html");
        template!(env, "waitlist_offer.txt");
        template!(env, "waitlist_offer.html");
        Templates { env }
    }

    pub fn render(&self, kind: Kind, ctx: &MailContext) -> Result<Rendered, minijinja::Error> {
        let subject = self.env.render_str(kind.subject(), ctx)?;
        // A subject is one line.
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        let c = WithSubject { subject: &subject, ctx };
        let text = self.env.get_template(&format!("{}.txt", kind.stem()))?.render(&c)?;
        let html = self.env.get_template(&format!("{}.html", kind.stem()))?.render(&c)?;
        Ok(Rendered { subject, text, html })
    }
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

/// `2030-06-01T20:00:00Z` -> `Saturday 1 June 2030, 20:00 UTC`.
pub fn human_date(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms).map(|d| d.format("%A %-d %B %Y, %H:%M UTC").to_string()).unwrap_or_default()
}

/// Cents and a currency -> `100.00 USD`.
pub fn amount(cents: i64, currency: &str) -> String {
    format!("{} {}", common::money::Money(cents).to_decimal_string(), currency)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> MailContext {
        MailContext {
            name: "Ana".into(),
            booking_reference: "ABCD2345".into(),
            booking_references: vec!["ABCD2345".into(), "WXYZ6789".into()],
            event_name: "Rock <Night>".into(),
            event_date: human_date(common::time::parse_rfc3339("2030-06-01T20:00:00Z").unwrap()),
            venue: "Test Arena".into(),
            city: "Lisbon".into(),
            seats: vec!["A-1-1".into(), "A-1-2".into()],
            total: amount(10000, "USD"),
            refunded: true,
            failed_booking: false,
            app_url: "https://tickets.example.org".into(),
            offer_expires: "Saturday 1 June 2030, 19:00 UTC".into(),
        }
    }

    #[test]
    fn every_kind_renders_both_parts() {
        let t = Templates::new();
        for k in Kind::ALL {
            let r = t.render(k, &ctx()).unwrap();
            assert!(!r.subject.is_empty() && !r.subject.contains('\n'), "{k:?}: {}", r.subject);
            assert!(r.text.contains("Hello Ana"), "{k:?} text: {}", r.text);
            assert!(r.html.contains("<html") && r.html.contains("Hello Ana"), "{k:?} html: {}", r.html);
            // The HTML part escapes what it shows; the text part shows it as is.
            assert!(r.html.contains("Rock &lt;Night&gt;") && !r.html.contains("Rock <Night>"), "{k:?}");
            assert!(r.text.contains("Rock <Night>"), "{k:?}");
        }
    }

    #[test]
    fn confirmation_carries_seats_total_reference_date_and_venue() {
        let r = Templates::new().render(Kind::BookingConfirmed, &ctx()).unwrap();
        assert_eq!(r.subject, "Booking confirmed: Rock <Night> (ABCD2345)");
        for part in [&r.text, &r.html] {
            for want in ["ABCD2345", "A-1-1, A-1-2", "100.00 USD", "Saturday 1 June 2030, 20:00 UTC", "Test Arena", "Lisbon"] {
                assert!(part.contains(want), "missing {want} in {part}");
            }
        }
        let c = Templates::new().render(Kind::BookingCancelled, &ctx()).unwrap();
        assert_eq!(c.subject, "Booking cancelled: Rock <Night> (ABCD2345), refunded");
        assert!(c.text.contains("refunded in full"));
        let e = Templates::new().render(Kind::EventCancelled, &ctx()).unwrap();
        assert!(e.text.contains("bookings ABCD2345, WXYZ6789"), "{}", e.text);
    }
}
