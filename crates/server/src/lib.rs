//! Builds a node from its configuration: opens the databases of the services it runs, wires each
//! service to the others (in process, or over HTTP to `TICKETING_<SERVICE>_URL`), starts their
//! background jobs, and serves them on one port, behind the gateway when the node runs it.
//!
//! One `start_<service>` step per service (quickwit's `start_<service>_if_needed`), so adding a
//! service is adding a step. Nothing here is global: tests start several differently configured
//! nodes in one process.

pub mod audit;
pub mod demo;
pub mod openapi;
pub mod running;

use async_trait::async_trait;
use auth::AuthService;
use booking::{BookingConfig, BookingService};
use common::auth::JwtKeys;
use common::clients::{
    EventsApi, EventsOutbox, HttpEventsClient, HttpInventoryClient, HttpInventoryHolds, HttpPaymentsClient, HttpWebhookSink, InventoryApi,
    InventoryHolds, OutboxRecord, PaymentsApi, ServiceHttp, WebhookSink,
};
use common::config::{Config, Secret, Service};
use common::ApiError;
use events::EventsService;
use indexer::Indexer;
use inventory::{InventoryConfig, InventoryService};
use notification::{NotificationConfig, NotificationService};
use payment::{PaymentConfig, PaymentService};
use search::SearchService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use store::locks::{LocalLocks, LockManager, RedisLocks};
use store::Db;

/// A running node.
pub struct Node {
    pub addr: SocketAddr,
    pub keys: Arc<JwtKeys>,
    pub services: Services,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub handle: tokio::task::JoinHandle<()>,
}

impl Node {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Stop serving and wait for in-flight requests.
    pub async fn stop(mut self) {
        // Background jobs of the services would outlive the server otherwise.
        self.services.stop().await;
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.handle.await;
    }
}

/// The services this node runs in process.
#[derive(Clone, Default)]
pub struct Services {
    pub auth: Option<Arc<AuthService>>,
    pub events: Option<Arc<EventsService>>,
    pub inventory: Option<Arc<InventoryService>>,
    pub booking: Option<Arc<BookingService>>,
    pub payment: Option<Arc<PaymentService>>,
    pub notification: Option<Arc<NotificationService>>,
    pub search: Option<Arc<SearchService>>,
    /// The search index's writer: follows the events outbox (with search, or on its own).
    pub indexer: Option<Arc<Indexer>>,
    /// A search process without its indexer: the task that shows the indexer's commits.
    pub search_follower: Option<Arc<tokio::task::JoinHandle<()>>>,
    /// The waiting room.
    pub queue: Option<Arc<queue::QueueService>>,
}

/// The events outbox read in process.
struct LocalEventsOutbox(Arc<EventsService>);

#[async_trait]
impl EventsOutbox for LocalEventsOutbox {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError> {
        self.0.outbox_after(after, limit).await
    }
}

/// Payment webhooks delivered in process: the same signature check as over HTTP.
struct LocalWebhookSink(Arc<BookingService>);

#[async_trait]
impl WebhookSink for LocalWebhookSink {
    async fn deliver(&self, timestamp: i64, signature: &str, body: &[u8]) -> Result<(), String> {
        self.0.webhook(Some(&timestamp.to_string()), Some(signature), body).await.map(|_| ()).map_err(|e| e.to_string())
    }
}

/// The webhook secret: configured, or derived from the JWT secret (which every process shares).
fn webhook_secret(cfg: &Config) -> Result<Secret, StartError> {
    if let Some(s) = &cfg.webhook_secret {
        return Ok(s.clone());
    }
    let jwt = jwt_secret(cfg)?;
    Ok(Secret::new(common::webhook::derive_secret(jwt.expose().as_bytes(), "payment-webhooks")))
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(String),
    #[error("storage: {0}")]
    Store(#[from] store::StoreError),
    #[error("{0}")]
    Other(String),
}

/// The HS256 secret: configured, or (embedded mode) generated once and kept in the data dir.
fn jwt_secret(cfg: &Config) -> Result<Secret, StartError> {
    if let Some(s) = &cfg.jwt_secret {
        return Ok(s.clone());
    }
    let path = cfg.data_dir.join("jwt_secret");
    if let Ok(s) = std::fs::read_to_string(&path) {
        if s.trim().len() >= 32 {
            return Ok(Secret::new(s.trim()));
        }
    }
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(|e| StartError::Config(format!("TICKETING_DATA_DIR: cannot create {}: {e}", cfg.data_dir.display())))?;
    let secret = common::ids::random_token(32);
    write_private(&path, &secret).map_err(|e| StartError::Config(format!("TICKETING_DATA_DIR: cannot write {}: {e}", path.display())))?;
    tracing::info!(path = %path.display(), "generated a JWT secret");
    Ok(Secret::new(secret))
}

fn write_private(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(content.as_bytes())
}

pub fn jwt_keys(cfg: &Config) -> Result<Arc<JwtKeys>, StartError> {
    let secret = jwt_secret(cfg)?;
    Ok(Arc::new(JwtKeys::new(secret.expose().as_bytes(), cfg.access_token_ttl_secs as i64)))
}

async fn open(cfg: &Config, service: &str, m: store::Migrations) -> Result<Db, StartError> {
    let setting = if cfg.mysql_url.is_some() { "TICKETING_MYSQL_URL" } else { "TICKETING_DATA_DIR" };
    Db::open(&store::store_config(cfg), service, m).await.map_err(|e| match e {
        store::StoreError::Config(msg) => StartError::Config(msg),
        other => StartError::Config(format!("{setting}: cannot open the {service} database: {other}")),
    })
}

/// Create or upgrade every database, then return (`ticketing migrate`).
pub async fn migrate(cfg: &Config) -> Result<(), StartError> {
    open(cfg, "auth", auth::migrations()).await?;
    open(cfg, "events", events::migrations()).await?;
    open(cfg, "inventory", inventory::migrations()).await?;
    open(cfg, "bookings", booking::migrations()).await?;
    open(cfg, "payment", payment::migrations()).await?;
    open(cfg, "notification", notification::migrations()).await?;
    open(cfg, "search", indexer::migrations()).await?;
    open(cfg, "queue", queue::migrations()).await?;
    Ok(())
}

fn remote(cfg: &Config, keys: &Arc<JwtKeys>, s: Service, caller: &'static str) -> Result<ServiceHttp, StartError> {
    let url = cfg.url_of(s).ok_or_else(|| StartError::Config(format!("TICKETING_{}_URL must be set", s.name().to_uppercase())))?;
    Ok(ServiceHttp::new(url, keys.clone(), caller, Duration::from_secs(30)))
}

async fn locks(cfg: &Config) -> Result<Arc<dyn LockManager>, StartError> {
    Ok(match &cfg.redis_url {
        Some(url) => Arc::new(RedisLocks::connect(url.expose()).await.map_err(|e| StartError::Config(e.to_string()))?),
        None => Arc::new(LocalLocks::new()),
    })
}

async fn start_auth(cfg: &Config, keys: &Arc<JwtKeys>) -> Result<Arc<AuthService>, StartError> {
    let db = open(cfg, "auth", auth::migrations()).await?;
    let svc = AuthService::new(db, keys.clone(), cfg.refresh_token_ttl_secs).await.map_err(|e| StartError::Other(e.to_string()))?;
    if let (Some(email), Some(pw)) = (&cfg.admin_email, &cfg.admin_password) {
        svc.ensure_admin(email, pw.expose()).await.map_err(|e| StartError::Config(e.message))?;
    }
    Ok(Arc::new(svc))
}

/// The payment simulator and the booking saga: each wired to the other in process or over HTTP.
async fn start_booking_and_payment(cfg: &Config, keys: &Arc<JwtKeys>, services: &mut Services) -> Result<(), StartError> {
    let secret = webhook_secret(cfg)?;
    if cfg.runs(Service::Payment) {
        let db = open(cfg, "payment", payment::migrations()).await?;
        let pcfg =
            PaymentConfig { success_rate: cfg.payment_success_rate, latency: cfg.payment_latency_ms, webhook_secret: secret.clone() };
        services.payment = Some(Arc::new(PaymentService::new(db, pcfg)));
    }
    if cfg.runs(Service::Booking) {
        let db = open(cfg, "bookings", booking::migrations()).await?;
        let timeout = Duration::from_millis(cfg.payment_timeout_ms);
        let holds: Arc<dyn InventoryHolds> = match &services.inventory {
            Some(i) => i.clone(),
            None => Arc::new(HttpInventoryHolds(remote(cfg, keys, Service::Inventory, "booking")?)),
        };
        let payments: Arc<dyn PaymentsApi> = match &services.payment {
            Some(p) => p.clone(),
            None => {
                let url = cfg.url_of(Service::Payment).ok_or_else(|| StartError::Config("TICKETING_PAYMENT_URL must be set".into()))?;
                // One attempt may take the whole payment timeout: the booking side cuts it, not HTTP.
                Arc::new(HttpPaymentsClient(ServiceHttp::new(url, keys.clone(), "booking", timeout + Duration::from_secs(5))))
            }
        };
        let events: Option<Arc<dyn EventsOutbox>> = match &services.events {
            Some(e) => Some(Arc::new(LocalEventsOutbox(e.clone()))),
            None => match cfg.url_of(Service::Events) {
                Some(_) => Some(Arc::new(HttpEventsClient(remote(cfg, keys, Service::Events, "booking")?))),
                None => None,
            },
        };
        let bcfg = BookingConfig {
            payment_timeout: timeout,
            lease: Duration::from_secs(cfg.booking_lease_secs),
            sweep_interval: Duration::from_secs(cfg.booking_sweep_secs),
            webhook_secret: secret.clone(),
            currency: "USD".into(),
        };
        let svc = Arc::new(BookingService::new(db, holds, payments, bcfg));
        // The event's name and venue on a ticket's PDF.
        let info: Option<Arc<dyn common::clients::EventsFeed>> = match &services.events {
            Some(e) => Some(e.clone()),
            None => match cfg.url_of(Service::Events) {
                Some(_) => Some(Arc::new(HttpEventsClient(remote(cfg, keys, Service::Events, "booking")?))),
                None => None,
            },
        };
        if let Some(info) = info {
            svc.tickets().set_event_info(info);
        }
        if let Some(url) = &cfg.redis_url {
            let conn = store::locks::connect_redis(url.expose()).await.map_err(|e| StartError::Config(e.to_string()))?;
            svc.set_replay_cache(conn);
        }
        svc.spawn_jobs(events);
        services.booking = Some(svc.clone());
        if cfg.audit_interval_secs > 0 {
            let sources = audit::Sources::open(cfg, services).await?;
            audit::spawn(sources, Duration::from_secs(cfg.audit_interval_secs), svc);
        }
    }
    if let Some(p) = &services.payment {
        let sink: Arc<dyn WebhookSink> = match &services.booking {
            Some(b) => Arc::new(LocalWebhookSink(b.clone())),
            None => {
                let url = cfg.url_of(Service::Booking).ok_or_else(|| StartError::Config("TICKETING_BOOKING_URL must be set".into()))?;
                Arc::new(HttpWebhookSink::new(url))
            }
        };
        p.set_webhook_sink(sink);
        p.spawn_jobs();
    }
    Ok(())
}

/// The notifier: follows the booking and events outboxes, looks recipients up in auth (each in
/// process or over HTTP), and mails through SMTP or the spool in the data dir.
async fn start_notification(cfg: &Config, keys: &Arc<JwtKeys>, services: &Services) -> Result<Arc<NotificationService>, StartError> {
    let db = open(cfg, "notification", notification::migrations()).await?;
    let bookings: Arc<dyn common::clients::BookingsFeed> = match &services.booking {
        Some(b) => b.clone(),
        None => Arc::new(common::clients::HttpBookingsClient(remote(cfg, keys, Service::Booking, "notification")?)),
    };
    let events: Arc<dyn common::clients::EventsFeed> = match &services.events {
        Some(e) => e.clone(),
        None => Arc::new(HttpEventsClient(remote(cfg, keys, Service::Events, "notification")?)),
    };
    let users: Arc<dyn common::clients::UserDirectory> = match &services.auth {
        Some(a) => a.clone(),
        None => Arc::new(common::clients::HttpAuthClient(remote(cfg, keys, Service::Auth, "notification")?)),
    };
    let mailer = notification::mail::Mailer::new(
        cfg.smtp_url.as_ref().map(|s| s.expose()),
        &cfg.mail_from,
        &cfg.data_dir.join("mail"),
        Duration::from_secs(20),
    )
    .map_err(StartError::Config)?;
    let ncfg = NotificationConfig {
        max_attempts: cfg.mail_max_attempts.min(100) as u32,
        retry_base: Duration::from_millis(cfg.mail_retry_base_ms),
        app_url: cfg.public_url.clone(),
        ..NotificationConfig::default()
    };
    let inventory: Arc<dyn InventoryApi> = match &services.inventory {
        Some(i) => i.clone(),
        None => Arc::new(HttpInventoryClient(remote(cfg, keys, Service::Inventory, "notification")?)),
    };
    let sources = notification::Sources { bookings, events, users, inventory };
    let svc = Arc::new(NotificationService::new(db, sources, mailer, ncfg, Arc::new(notification::clock::SystemClock)));
    svc.spawn_jobs();
    Ok(svc)
}

/// The events feed of the search indexer: in process, or over HTTP.
fn events_feed(cfg: &Config, keys: &Arc<JwtKeys>, services: &Services) -> Result<Arc<dyn common::clients::EventsFeed>, StartError> {
    Ok(match &services.events {
        Some(e) => e.clone(),
        None => Arc::new(HttpEventsClient(remote(cfg, keys, Service::Events, "search")?)),
    })
}

/// How often a search process without its own indexer looks for the indexer's last commit.
const FOLLOW_COMMITS: Duration = Duration::from_millis(500);
/// How long a search process without its own indexer waits at start for the indexer to create
/// the index (in Compose it starts once the indexer is healthy, which is after that).
const WAIT_FOR_INDEX: Duration = Duration::from_secs(60);

/// The search service and its indexer. Together in one process: that process's own index in the
/// data dir (rebuilt when missing or of another schema version), fed from the events outbox.
/// Apart (`--services indexer`, `--services search`): the indexer writes the index in the data
/// dir, which the search processes share and read, following its commits.
async fn start_search(cfg: &Config, keys: &Arc<JwtKeys>, services: &mut Services) -> Result<(), StartError> {
    let dir = search::index_dir(&cfg.data_dir);
    let index_err = |e: search::index::IndexError| StartError::Config(format!("TICKETING_DATA_DIR: {e}"));
    if cfg.runs(Service::Indexer) {
        let db = open(cfg, "search", indexer::migrations()).await?;
        let (index, opened) = search::SearchIndex::open(&dir).map_err(index_err)?;
        if let search::Opened::Created(why) = &opened {
            tracing::info!(path = %dir.display(), reason = %why, "search index created; indexing the events outbox from the start");
        }
        let svc = Arc::new(SearchService::new(Arc::new(index)));
        let feed = events_feed(cfg, keys, services)?;
        let ix = Arc::new(
            Indexer::new(db, svc.clone(), feed).await.map_err(|e| StartError::Config(format!("TICKETING_DATA_DIR: {}", e.message)))?,
        );
        ix.spawn();
        services.indexer = Some(ix);
        if cfg.runs(Service::Search) {
            services.search = Some(svc);
        }
        return Ok(());
    }
    let waited = std::time::Instant::now();
    let index = loop {
        match search::SearchIndex::open_existing(&dir).map_err(index_err)? {
            Some(index) => break index,
            None if waited.elapsed() < WAIT_FOR_INDEX => tokio::time::sleep(Duration::from_millis(500)).await,
            None => {
                return Err(StartError::Config(format!(
                    "TICKETING_DATA_DIR: no search index in {} after {} s: start the indexer (--services indexer) on the same directory",
                    dir.display(),
                    WAIT_FOR_INDEX.as_secs()
                )))
            }
        }
    };
    let svc = Arc::new(SearchService::new(Arc::new(index)));
    services.search_follower = Some(Arc::new(svc.follow_commits(FOLLOW_COMMITS)));
    services.search = Some(svc);
    Ok(())
}

/// The waiting room: in memory with a write-through copy in its database, or in Redis when
/// `TICKETING_REDIS_URL` is set (then every queue process serves the same queues).
async fn start_queue(cfg: &Config, keys: &Arc<JwtKeys>, services: &Services) -> Result<Arc<queue::QueueService>, StartError> {
    let events_api: Arc<dyn EventsApi> = match &services.events {
        Some(e) => e.clone(),
        None => Arc::new(HttpEventsClient(remote(cfg, keys, Service::Events, "queue")?)),
    };
    let backend: Arc<dyn queue::backend::Backend> = match &cfg.redis_url {
        Some(url) => {
            let conn = store::locks::connect_redis(url.expose()).await.map_err(|e| StartError::Config(e.to_string()))?;
            Arc::new(queue::redis::RedisBackend::new(conn))
        }
        None => {
            let db = open(cfg, "queue", queue::migrations()).await?;
            queue::memory::MemoryBackend::open(db)
                .await
                .map_err(|e| StartError::Config(format!("TICKETING_DATA_DIR: cannot load the queue: {e}")))?
        }
    };
    let qcfg = queue::QueueConfig { window: Duration::from_secs(cfg.admission_window_secs), tick: Duration::from_millis(200) };
    let svc = Arc::new(queue::QueueService::new(backend, events_api, qcfg, Arc::new(queue::SystemClock)));
    svc.spawn_jobs();
    Ok(svc)
}

/// The inventory's gate: the queue in this process, else one Redis lookup, else the queue service
/// over HTTP. Without any of them, reservations for an event with a waiting room get `503`.
async fn wire_admissions(cfg: &Config, keys: &Arc<JwtKeys>, services: &Services) -> Result<(), StartError> {
    let Some(inv) = &services.inventory else { return Ok(()) };
    let gate: Arc<dyn common::clients::Admissions> = match (&services.queue, &cfg.redis_url) {
        (Some(q), _) => q.clone(),
        (None, Some(url)) => {
            let conn = store::locks::connect_redis(url.expose()).await.map_err(|e| StartError::Config(e.to_string()))?;
            Arc::new(queue::redis::RedisAdmissions::new(conn, Duration::from_secs(cfg.admission_window_secs)))
        }
        (None, None) => match cfg.url_of(Service::Queue) {
            Some(_) => Arc::new(common::clients::HttpAdmissions::new(remote(cfg, keys, Service::Queue, "inventory")?)),
            None => return Ok(()),
        },
    };
    inv.set_admissions(gate);
    Ok(())
}

/// `ticketing audit`: the invariants checked once across the configured storage.
pub async fn audit(cfg: &Config) -> Result<audit::Report, StartError> {
    let sources = audit::Sources::open(cfg, &Services::default()).await?;
    sources.run().await.map_err(|e| StartError::Other(e.to_string()))
}

/// `ticketing reindex`: an empty index, then the whole events outbox into it. Refused while a
/// running process holds the index. Returns the number of events indexed.
pub async fn reindex(cfg: &Config) -> Result<u64, StartError> {
    let keys = jwt_keys(cfg)?;
    let mut services = Services::default();
    if cfg.events_url.is_none() || cfg.runs(Service::Events) {
        // Straight from the events database (SQLite in the data dir, or MySQL).
        services.events = Some(Arc::new(EventsService::new(open(cfg, "events", events::migrations()).await?)));
    }
    let feed = events_feed(cfg, &keys, &services)?;
    let db = open(cfg, "search", indexer::migrations()).await?;
    let dir = search::index_dir(&cfg.data_dir);
    let index = search::SearchIndex::recreate(&dir).map_err(|e| StartError::Other(e.to_string()))?;
    let svc = Arc::new(SearchService::new(Arc::new(index)));
    let ix = Indexer::new(db, svc.clone(), feed).await.map_err(|e| StartError::Other(e.message))?;
    ix.catch_up().await.map_err(|e| StartError::Other(e.message))?;
    ix.stop().await;
    Ok(svc.index().num_docs())
}

/// What `/ready` checks: the databases and Redis of the services this process runs (they decide),
/// and the `/health` of every peer it was told of (reported only).
fn ready_check(cfg: &Config, s: Services) -> common::http::ReadyCheck {
    use common::http::Check;
    let peers: Vec<(String, String)> = Service::ALL
        .into_iter()
        .filter(|p| !cfg.runs(*p))
        .filter_map(|p| cfg.url_of(p).map(|u| (format!("peer {}", p.name()), format!("{}/health", u.trim_end_matches('/')))))
        .collect();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap_or_default();
    Arc::new(move || {
        let (s, peers, http) = (s.clone(), peers.clone(), http.clone());
        Box::pin(async move {
            let mut checks = futures::future::join_all(s.running().iter().map(|r| r.ready())).await;
            let answers = futures::future::join_all(peers.iter().map(|(_, url)| {
                let http = http.clone();
                async move {
                    match http.get(url).send().await {
                        Ok(r) if r.status().is_success() => Ok(()),
                        Ok(r) => Err(format!("{url} answered {}", r.status())),
                        Err(e) => Err(format!("{url}: {e}")),
                    }
                }
            }))
            .await;
            checks.extend(peers.iter().zip(answers).map(|((name, _), r)| Check::peer(name.clone(), r)));
            checks
        })
    })
}

/// Build the services of this node and the router that serves them.
pub async fn build(cfg: &Config) -> Result<(axum::Router, Arc<JwtKeys>, Services), StartError> {
    cfg.validate().map_err(StartError::Config)?;
    // The metrics recorder before any service: what their first jobs record is kept.
    common::telemetry::metrics_handle();
    let keys = jwt_keys(cfg)?;
    let mut services = Services::default();
    if cfg.runs(Service::Auth) {
        services.auth = Some(start_auth(cfg, &keys).await?);
    }
    if cfg.runs(Service::Events) {
        services.events = Some(Arc::new(EventsService::new(open(cfg, "events", events::migrations()).await?)));
    }
    let lock_manager = if cfg.runs(Service::Inventory) { Some(locks(cfg).await?) } else { None };
    if cfg.runs(Service::Inventory) {
        let db = open(cfg, "inventory", inventory::migrations()).await?;
        let events_api: Arc<dyn EventsApi> = match &services.events {
            Some(e) => e.clone(),
            None => Arc::new(inventory::CachedEvents::new(
                Arc::new(HttpEventsClient(remote(cfg, &keys, Service::Events, "inventory")?)),
                Duration::from_secs(1),
            )),
        };
        let icfg = InventoryConfig {
            hold_ttl: Duration::from_secs(cfg.reservation_ttl_secs),
            cleanup_interval: Duration::from_secs(cfg.cleanup_interval_secs),
            lock_ttl: Duration::from_millis(cfg.lock_ttl_ms),
            lock_wait: Duration::from_millis(cfg.lock_wait_ms),
            waitlist_offer: Duration::from_secs(cfg.waitlist_offer_secs),
        };
        let svc = Arc::new(InventoryService::new(db, events_api, lock_manager.clone().expect("set above"), icfg));
        svc.spawn_cleanup();
        services.inventory = Some(svc);
    }
    if let Some(ev) = &services.events {
        let inv: Arc<dyn InventoryApi> = match &services.inventory {
            Some(i) => i.clone(),
            None => Arc::new(HttpInventoryClient(remote(cfg, &keys, Service::Inventory, "events")?)),
        };
        ev.spawn_jobs(inv);
    }
    if cfg.runs(Service::Payment) || cfg.runs(Service::Booking) {
        start_booking_and_payment(cfg, &keys, &mut services).await?;
    }
    if cfg.runs(Service::Notification) {
        services.notification = Some(start_notification(cfg, &keys, &services).await?);
    }
    if cfg.runs(Service::Search) || cfg.runs(Service::Indexer) {
        start_search(cfg, &keys, &mut services).await?;
    }
    if cfg.runs(Service::Queue) {
        services.queue = Some(start_queue(cfg, &keys, &services).await?);
    }
    wire_admissions(cfg, &keys, &services).await?;

    // Internal routes are always mounted: other processes may call this one (see `running`).
    let service_routes: Vec<axum::Router> = services.running().iter().map(|s| s.routes()).collect();

    let app = if cfg.runs(Service::Gateway) {
        let mut ups: Vec<gateway::Upstream> = service_routes.into_iter().map(gateway::Upstream::Local).collect();
        // The services elsewhere (validated for the core ones; booking and payment are optional).
        for s in Service::ALL.into_iter().filter(|s| !cfg.runs(*s)) {
            if let Some(base) = cfg.url_of(s) {
                ups.push(gateway::Upstream::Remote { base: base.to_string(), prefixes: public_prefixes(s) });
            }
        }
        // GET /api/openapi.json and /api/docs: the description of what this gateway routes to.
        ups.push(gateway::Upstream::Local(gateway::docs::router(openapi::document_json(cfg))));
        let limiter = match &cfg.redis_url {
            Some(url) => {
                let conn = store::locks::connect_redis(url.expose()).await.map_err(|e| StartError::Config(e.to_string()))?;
                gateway::ratelimit::RateLimiter::redis(conn, cfg.rate_limit_per_minute)
            }
            None => gateway::ratelimit::RateLimiter::local(cfg.rate_limit_per_minute),
        };
        gateway::build(
            ups,
            keys.clone(),
            gateway::GatewayConfig {
                rate_limiter: Arc::new(limiter),
                cors_origins: cfg.cors_origins.clone(),
                web_dir: cfg.web_dir.clone(),
            },
        )
    } else {
        service_routes.into_iter().fold(axum::Router::new(), |acc, r| acc.merge(r))
    };

    let ready = ready_check(cfg, services.clone());
    let names = Service::ALL.into_iter().filter(|s| cfg.runs(*s)).map(Service::name).collect();
    let app = common::http::with_common_layers(app.merge(common::http::health_router(ready, names)), keys.clone());
    Ok((app, keys, services))
}

/// The public paths a service owns.
fn public_prefixes(s: Service) -> Vec<&'static str> {
    match s {
        Service::Auth => vec!["/api/auth"],
        Service::Events => vec!["/api/events"],
        Service::Inventory => vec!["/api/inventory", "/api/waitlist", "/api/events/{eventId}/waitlist"],
        Service::Booking => vec!["/api/bookings", "/api/tickets", "/api/checkin"],
        Service::Payment => vec!["/api/payment"],
        Service::Notification => vec!["/api/notifications"],
        Service::Search => vec!["/api/search"],
        Service::Queue => vec!["/api/queue"],
        Service::Gateway | Service::Indexer => vec![],
    }
}

/// Build and serve a node on `TICKETING_BIND:TICKETING_PORT`.
pub async fn start(cfg: Config) -> Result<Node, StartError> {
    let (app, keys, services) = build(&cfg).await?;
    let addr = format!("{}:{}", cfg.bind, cfg.port);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| StartError::Config(format!("TICKETING_BIND/TICKETING_PORT: cannot listen on {addr}: {e}")))?;
    let addr = listener.local_addr().map_err(|e| StartError::Other(e.to_string()))?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    // Small request/response exchanges on kept-alive connections: send each answer at once.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
    });
    let handle = tokio::spawn(async move {
        let serve = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(async move {
            let _ = rx.await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(Node { addr, keys, services, shutdown: Some(tx), handle })
}
