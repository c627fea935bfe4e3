//! Configuration: defaults < `TICKETING_*` environment < command-line flags, validated at start.
//!
//! Every setting is a clap argument with an `env` fallback, so `ticketing serve --help` documents all
//! of them. A bad value stops start-up with clap's one-line error naming the flag and its variable.
//! Secrets are wrapped in [`Secret`], whose `Debug` never shows the value.

use clap::Args;
use std::path::PathBuf;

/// A value that must never reach a log line.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        Ok(Secret(s.to_string()))
    }
}

/// The services a node can run (quickwit's `QuickwitService` idea).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    Gateway,
    Auth,
    Events,
    Inventory,
    Booking,
    Payment,
    Notification,
    Search,
    /// The search index's writer: follows the events outbox into the index that search reads.
    /// With `search` in the same process, that process's own index; alone, an index directory
    /// shared with the search processes (`TICKETING_DATA_DIR/search-index`).
    Indexer,
    Queue,
}

impl Service {
    pub const ALL: [Service; 10] = [
        Service::Gateway,
        Service::Auth,
        Service::Events,
        Service::Inventory,
        Service::Booking,
        Service::Payment,
        Service::Notification,
        Service::Search,
        Service::Indexer,
        Service::Queue,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Service::Gateway => "gateway",
            Service::Auth => "auth",
            Service::Events => "events",
            Service::Inventory => "inventory",
            Service::Booking => "booking",
            Service::Payment => "payment",
            Service::Notification => "notification",
            Service::Search => "search",
            Service::Indexer => "indexer",
            Service::Queue => "queue",
        }
    }
    pub fn parse(s: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|x| x.name() == s)
    }
}

fn parse_services(s: &str) -> Result<Vec<Service>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part == "all" {
            return Ok(Service::ALL.to_vec());
        }
        let svc = Service::parse(part).ok_or_else(|| {
            format!("unknown service '{part}' (known: all, {})", Service::ALL.iter().map(|s| s.name()).collect::<Vec<_>>().join(", "))
        })?;
        if !out.contains(&svc) {
            out.push(svc);
        }
    }
    if out.is_empty() {
        return Err("name at least one service".into());
    }
    Ok(out)
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err("must be between 0 and 1".into());
    }
    Ok(v)
}

/// `0`, `250` or a range `500-1500` (milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencyRange {
    pub min_ms: u64,
    pub max_ms: u64,
}

fn parse_latency(s: &str) -> Result<LatencyRange, String> {
    let bad = || format!("'{s}' is not a latency in ms (e.g. 0, 250 or 500-1500)");
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?),
        None => {
            let v = s.trim().parse().map_err(|_| bad())?;
            (v, v)
        }
    };
    if a > b || b > 600_000 {
        return Err(bad());
    }
    Ok(LatencyRange { min_ms: a, max_ms: b })
}

fn parse_url(s: &str) -> Result<String, String> {
    let t = s.trim().trim_end_matches('/');
    if !(t.starts_with("http://") || t.starts_with("https://")) || t.len() < 10 {
        return Err(format!("'{s}' is not an http(s) URL"));
    }
    Ok(t.to_string())
}

fn parse_secret_url(prefixes: &'static [&'static str]) -> impl Fn(&str) -> Result<Secret, String> + Clone {
    move |s: &str| {
        if prefixes.iter().any(|p| s.starts_with(p)) {
            Ok(Secret::new(s))
        } else {
            Err(format!("must start with {}", prefixes.join(" or ")))
        }
    }
}

fn parse_port(s: &str) -> Result<u16, String> {
    s.parse::<u16>().map_err(|_| format!("'{s}' is not a port (0-65535)"))
}

fn parse_positive_u32(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(v) if (1..=1000).contains(&v) => Ok(v),
        _ => Err(format!("'{s}' must be a whole number from 1 to 1000")),
    }
}

fn parse_positive(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(format!("'{s}' must be a positive whole number")),
    }
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "TICKETING_BIND", default_value = "127.0.0.1")]
    pub bind: String,
    /// Port of the gateway (API and web app). 0 picks a free port.
    #[arg(long, env = "TICKETING_PORT", default_value = "8000", value_parser = parse_port)]
    pub port: u16,
    /// Where embedded mode keeps its state (SQLite files, index, mail spool, JWT secret).
    #[arg(long, env = "TICKETING_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Services this process runs: a comma list or `all`.
    #[arg(long, env = "TICKETING_SERVICES", default_value = "all", value_parser = parse_services)]
    pub services: std::vec::Vec<Service>,
    /// MySQL / MariaDB server; each service uses its own database on it. Unset: SQLite in the data dir.
    #[arg(long, env = "TICKETING_MYSQL_URL", value_parser = parse_secret_url(&["mysql://", "mariadb://"]))]
    pub mysql_url: Option<Secret>,
    /// Redis for locks, rate-limit counters, the idempotency fast path and the waiting room:
    /// `redis://host:6379`, or Sentinel: `redis+sentinel://h1:26379,h2:26379,h3:26379/mymaster`
    /// (the platform follows the primary the sentinels name). Unset: in-process tables.
    #[arg(long, env = "TICKETING_REDIS_URL", value_parser = parse_secret_url(&["redis://", "rediss://", "redis+sentinel://"]))]
    pub redis_url: Option<Secret>,
    /// HS256 secret of the access tokens (at least 32 characters). Embedded mode generates one.
    #[arg(long, env = "TICKETING_JWT_SECRET", value_parser = parse_jwt_secret)]
    pub jwt_secret: Option<Secret>,
    /// Account that exists with role ADMIN at start.
    #[arg(long, env = "TICKETING_ADMIN_EMAIL")]
    pub admin_email: Option<String>,
    #[arg(long, env = "TICKETING_ADMIN_PASSWORD")]
    pub admin_password: Option<Secret>,
    /// Lifetime of an access token.
    #[arg(long, env = "TICKETING_ACCESS_TOKEN_TTL_SECS", default_value = "3600", value_parser = parse_positive)]
    pub access_token_ttl_secs: u64,
    /// Lifetime of a refresh token.
    #[arg(long, env = "TICKETING_REFRESH_TOKEN_TTL_SECS", default_value = "1209600", value_parser = parse_positive)]
    pub refresh_token_ttl_secs: u64,
    /// Connections per service database on MySQL (each service of each process has its own pool).
    #[arg(long, env = "TICKETING_DB_POOL_SIZE", default_value = "16", value_parser = parse_positive_u32)]
    pub db_pool_size: u32,
    /// How long a seat hold lasts.
    #[arg(long, env = "TICKETING_RESERVATION_TTL_SECS", default_value = "600", value_parser = parse_positive)]
    pub reservation_ttl_secs: u64,
    /// How long the seats offered to a waitlisted fan stay held for them (shared/API.md §14).
    #[arg(long, env = "TICKETING_WAITLIST_OFFER_SECS", default_value = "900", value_parser = parse_positive)]
    pub waitlist_offer_secs: u64,
    /// How often the cleanup job expires holds.
    #[arg(long, env = "TICKETING_CLEANUP_INTERVAL_SECS", default_value = "60", value_parser = parse_positive)]
    pub cleanup_interval_secs: u64,
    /// TTL of a per-seat lock (Redis or in process).
    #[arg(long, env = "TICKETING_LOCK_TTL_MS", default_value = "30000", value_parser = parse_positive)]
    pub lock_ttl_ms: u64,
    /// How long a reservation waits for its seat locks before giving up.
    #[arg(long, env = "TICKETING_LOCK_WAIT_MS", default_value = "2000", value_parser = parse_positive)]
    pub lock_wait_ms: u64,
    /// Payment simulator: chance that an ordinary valid card is accepted.
    #[arg(long, env = "TICKETING_PAYMENT_SUCCESS_RATE", default_value = "0.9", value_parser = parse_rate)]
    pub payment_success_rate: f64,
    /// Payment simulator latency: `0`, `250` or a range `500-1500` (ms).
    #[arg(long, env = "TICKETING_PAYMENT_LATENCY_MS", default_value = "0", value_parser = parse_latency)]
    pub payment_latency_ms: LatencyRange,
    /// Requests per minute per user (or per IP when anonymous); 0 turns the limit off.
    #[arg(long, env = "TICKETING_RATE_LIMIT_PER_MINUTE", default_value = "100")]
    pub rate_limit_per_minute: u32,
    /// Origins allowed by CORS, comma separated (`*` for any).
    #[arg(long, env = "TICKETING_CORS_ORIGINS", default_value = "http://localhost:5173,http://127.0.0.1:5173")]
    pub cors_origins: String,
    /// Serve the web app from this directory (a build of web/) instead of the copy embedded in the
    /// binary; a placeholder page is served when it holds no index.html.
    #[arg(long, env = "TICKETING_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Log format: `pretty` or `json`.
    #[arg(long, env = "TICKETING_LOG_FORMAT", default_value = "pretty", value_parser = ["pretty", "json"])]
    pub log_format: String,
    /// Where the auth service runs when not in this process.
    #[arg(long, env = "TICKETING_AUTH_URL", value_parser = parse_url)]
    pub auth_url: Option<String>,
    /// Where the events service runs when not in this process.
    #[arg(long, env = "TICKETING_EVENTS_URL", value_parser = parse_url)]
    pub events_url: Option<String>,
    /// Where the inventory service runs when not in this process.
    #[arg(long, env = "TICKETING_INVENTORY_URL", value_parser = parse_url)]
    pub inventory_url: Option<String>,
    /// Where the booking service runs when not in this process (the payment service sends its
    /// webhooks there).
    #[arg(long, env = "TICKETING_BOOKING_URL", value_parser = parse_url)]
    pub booking_url: Option<String>,
    /// Where the payment service runs when not in this process.
    #[arg(long, env = "TICKETING_PAYMENT_URL", value_parser = parse_url)]
    pub payment_url: Option<String>,
    /// HMAC-SHA256 secret of the payment webhooks (at least 32 characters). Unset: derived from the
    /// JWT secret, so every process that shares the JWT secret shares this one too.
    #[arg(long, env = "TICKETING_WEBHOOK_SECRET", value_parser = parse_jwt_secret)]
    pub webhook_secret: Option<Secret>,
    /// How long the booking service waits for one charge attempt before asking again with the
    /// same idempotency key.
    #[arg(long, env = "TICKETING_PAYMENT_TIMEOUT_MS", default_value = "30000", value_parser = parse_positive)]
    pub payment_timeout_ms: u64,
    /// How long a booking process owns a saga it works on before another process may take it over
    /// (crash recovery). A live process renews the leases of its running sagas three times a
    /// lease, so this bounds how long a dead process's sagas wait, not how long a saga may take.
    #[arg(long, env = "TICKETING_BOOKING_LEASE_SECS", default_value = "6", value_parser = parse_positive)]
    pub booking_lease_secs: u64,
    /// How often a process running the booking service checks the platform's invariants across
    /// services (`ticketing audit`'s checks), exported as `ticketing_audit_violations{check}`;
    /// `0` turns it off.
    #[arg(long, env = "TICKETING_AUDIT_INTERVAL_SECS", default_value = "60")]
    pub audit_interval_secs: u64,
    /// How often the booking service looks for sagas left half-done.
    #[arg(long, env = "TICKETING_BOOKING_SWEEP_SECS", default_value = "2", value_parser = parse_positive)]
    pub booking_sweep_secs: u64,
    /// Where the notification service runs when not in this process.
    #[arg(long, env = "TICKETING_NOTIFICATION_URL", value_parser = parse_url)]
    pub notification_url: Option<String>,
    /// Where a search service runs when not in this process (the gateway forwards `/api/search`
    /// there). Every search process keeps its own index in its data dir.
    #[arg(long, env = "TICKETING_SEARCH_URL", value_parser = parse_url)]
    pub search_url: Option<String>,
    /// Where the queue (waiting room) service runs when not in this process: the gateway forwards
    /// `/api/queue` there, and an inventory without Redis asks it who is admitted.
    #[arg(long, env = "TICKETING_QUEUE_URL", value_parser = parse_url)]
    pub queue_url: Option<String>,
    /// How long an admitted fan may reserve seats, from the moment of admission; then the place is
    /// EXPIRED and the fan must join the queue again.
    #[arg(long, env = "TICKETING_ADMISSION_WINDOW_SECS", default_value = "900", value_parser = parse_positive)]
    pub admission_window_secs: u64,
    /// SMTP server for outgoing mail: `smtp://user:pass@host:587?tls=required` (STARTTLS),
    /// `smtps://...` (TLS) or plain `smtp://host:25`. Unset: mail is written as `.eml` files under
    /// `TICKETING_DATA_DIR/mail/`.
    #[arg(long, env = "TICKETING_SMTP_URL", value_parser = parse_secret_url(&["smtp://", "smtps://"]))]
    pub smtp_url: Option<Secret>,
    /// The `From` of outgoing mail.
    /// Where fans reach the web app, for links in mails (their tickets, a waitlist offer).
    #[arg(long, env = "TICKETING_PUBLIC_URL", default_value = "http://127.0.0.1:8000")]
    pub public_url: String,
    #[arg(long, env = "TICKETING_MAIL_FROM", default_value = "Ticketing <no-reply@ticketing.local>")]
    pub mail_from: String,
    /// Attempts to send one notification before it is marked FAILED.
    #[arg(long, env = "TICKETING_MAIL_MAX_ATTEMPTS", default_value = "5", value_parser = parse_positive)]
    pub mail_max_attempts: u64,
    /// Wait after the first failed send; doubled after each further one.
    #[arg(long, env = "TICKETING_MAIL_RETRY_BASE_MS", default_value = "2000", value_parser = parse_positive)]
    pub mail_retry_base_ms: u64,
}

fn parse_jwt_secret(s: &str) -> Result<Secret, String> {
    if s.len() < 32 {
        return Err("must be at least 32 characters".into());
    }
    Ok(Secret::new(s))
}

impl Config {
    /// A configuration with every default, for tests and tools.
    pub fn for_tests(data_dir: PathBuf) -> Config {
        use clap::{Command, FromArgMatches};
        let cmd = Config::augment_args(Command::new("t").no_binary_name(true));
        let m = cmd.try_get_matches_from(Vec::<String>::new()).expect("defaults parse");
        let mut c = Config::from_arg_matches(&m).expect("defaults");
        c.data_dir = data_dir;
        c.port = 0;
        c
    }

    pub fn runs(&self, s: Service) -> bool {
        self.services.contains(&s)
    }

    pub fn url_of(&self, s: Service) -> Option<&str> {
        match s {
            Service::Auth => self.auth_url.as_deref(),
            Service::Events => self.events_url.as_deref(),
            Service::Inventory => self.inventory_url.as_deref(),
            Service::Booking => self.booking_url.as_deref(),
            Service::Payment => self.payment_url.as_deref(),
            Service::Notification => self.notification_url.as_deref(),
            Service::Search => self.search_url.as_deref(),
            Service::Queue => self.queue_url.as_deref(),
            // Nothing calls them: the gateway runs in front, the indexer behind search.
            Service::Gateway | Service::Indexer => None,
        }
    }

    /// Cross-field checks clap cannot express. The error names the setting.
    pub fn validate(&self) -> Result<(), String> {
        if self.mysql_url.is_some() && self.jwt_secret.is_none() {
            return Err("TICKETING_JWT_SECRET must be set when TICKETING_MYSQL_URL is (every process must share it)".into());
        }
        if self.admin_email.is_some() != self.admin_password.is_some() {
            return Err("TICKETING_ADMIN_EMAIL and TICKETING_ADMIN_PASSWORD go together".into());
        }
        if let Some(p) = &self.admin_password {
            if p.expose().len() < 8 {
                return Err("TICKETING_ADMIN_PASSWORD must be at least 8 characters".into());
            }
        }
        if self.runs(Service::Notification) {
            // The notifier follows the booking and events outboxes and looks recipients up in auth.
            for s in [Service::Auth, Service::Events, Service::Booking] {
                if !self.runs(s) && self.url_of(s).is_none() {
                    return Err(format!(
                        "TICKETING_{}_URL must be set: this process runs the notification service but not the {} service",
                        s.name().to_uppercase(),
                        s.name()
                    ));
                }
            }
        }
        // The waiting room reads each event's sale status and admission rate.
        if self.runs(Service::Queue) && !self.runs(Service::Events) && self.events_url.is_none() {
            return Err("TICKETING_EVENTS_URL must be set: this process runs the queue service but not the events service".into());
        }
        // The search indexer follows the events outbox.
        if self.runs(Service::Indexer) && !self.runs(Service::Events) && self.events_url.is_none() {
            return Err("TICKETING_EVENTS_URL must be set: this process runs the search indexer but not the events service".into());
        }
        for s in [Service::Auth, Service::Events, Service::Inventory, Service::Booking, Service::Payment] {
            let needed = match s {
                // Payment delivers its webhooks to booking, and booking charges through payment.
                Service::Payment if self.runs(Service::Booking) => true,
                Service::Booking if self.runs(Service::Payment) => true,
                // The gateway forwards to every core service it does not run; booking and payment
                // are routed when their URL is known (a catalogue-only deployment has neither).
                Service::Booking | Service::Payment => false,
                _ if self.runs(Service::Gateway) => true,
                // Inventory asks events whether an event is on sale; events follows inventory's counts;
                // booking follows the events outbox (cancellations).
                Service::Events => self.runs(Service::Inventory) || self.runs(Service::Booking),
                // Booking books and frees holds; events follows inventory's counts.
                Service::Inventory => self.runs(Service::Events) || self.runs(Service::Booking),
                _ => false,
            };
            if needed && !self.runs(s) && self.url_of(s).is_none() {
                return Err(format!(
                    "TICKETING_{}_URL must be set: this process does not run the {} service",
                    s.name().to_uppercase(),
                    s.name()
                ));
            }
        }
        Ok(())
    }
}
