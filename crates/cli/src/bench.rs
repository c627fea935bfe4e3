//! `ticketing bench`: what the reservation path costs, layer by layer, on this machine.
//!
//! Three figures from one run, same seats, same concurrency, each request holding one seat:
//! - `raw`: the reservation's SQL alone, hand-written: one transaction with the conditional update of
//!   the seat and the insert of the reservation (the floor: what the database can do);
//! - `store`: [`inventory::store::InventoryStore::reserve`], the guard as the platform runs it
//!   (re-read inside the transaction, version check, outbox row);
//! - `service`: [`inventory::InventoryService::reserve`]: request parsing, the sale check, seat
//!   locks and the store, without HTTP.
//!
//! The ratios to `raw` are the overhead of our layers. Figures are medians of what this run saw;
//! the machine is shared, so compare ratios, not absolute numbers, across runs.

use async_trait::async_trait;
use common::clients::{EventSaleInfo, EventsApi};
use common::ApiError;
use hdrhistogram::Histogram;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{tx_exec, Db, StoreConfig};

#[derive(clap::Args)]
pub struct BenchArgs {
    /// `sqlite` or a MySQL/MariaDB server URL (a fresh database prefix is made on it).
    #[arg(long, default_value = "sqlite")]
    pub backend: String,
    /// Seats in the layout; each request takes one, so this is also the request count per layer.
    #[arg(long, default_value = "4000")]
    pub seats: i64,
    /// Requests in flight at once.
    #[arg(long, default_value = "32")]
    pub concurrency: usize,
    /// Write the figures as JSON here too.
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
}

/// Every event is on sale: the bench measures the inventory, not the events service.
struct AlwaysOnSale;

#[async_trait]
impl EventsApi for AlwaysOnSale {
    async fn sale_info(&self, event_id: &str) -> Result<Option<EventSaleInfo>, ApiError> {
        Ok(Some(EventSaleInfo {
            event_id: event_id.into(),
            status: "ON_SALE".into(),
            max_tickets_per_user: None,
            waiting_room_enabled: false,
            admit_per_minute: None,
        }))
    }
}

#[derive(serde::Serialize)]
pub struct Figure {
    pub layer: &'static str,
    pub requests: u64,
    pub errors: u64,
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

async fn layout(db: &Db, event: &str, seats: i64) -> anyhow::Result<Vec<String>> {
    let per_row = 50.min(seats);
    let rows = (seats + per_row - 1) / per_row;
    let l: inventory::model::LayoutInput =
        serde_json::from_value(serde_json::json!({"sections": [{"section": "A", "seatType": "REGULAR", "price": 10,
        "rows": (1..=rows).map(|r| serde_json::json!({"rowNumber": r, "seats": per_row})).collect::<Vec<_>>()}]}))?;
    let seats = l.into_seats(event).map_err(|e| anyhow::anyhow!(e.message))?;
    let store = inventory::store::InventoryStore::new(db.clone());
    store.replace_layout(event, &seats, common::time::now_ms()).await?;
    Ok(seats.into_iter().map(|s| s.seat_id).collect())
}

/// Run `n` jobs with `concurrency` in flight; job `i` is `f(i)`.
async fn drive<F, Fut>(layer: &'static str, n: usize, concurrency: usize, f: F) -> Figure
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let f = Arc::new(f);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (f, next) = (f.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new(3).expect("histogram");
            let mut errors = 0u64;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                if !f(i).await {
                    errors += 1;
                }
                let _ = h.record(t.elapsed().as_micros() as u64);
            }
            (h, errors)
        }));
    }
    let mut all = Histogram::<u64>::new(3).expect("histogram");
    let mut errors = 0;
    for w in workers {
        let (h, e) = w.await.expect("worker");
        all.add(&h).expect("same precision");
        errors += e;
    }
    let secs = started.elapsed().as_secs_f64();
    Figure {
        layer,
        requests: all.len(),
        errors,
        per_sec: all.len() as f64 / secs,
        p50_ms: all.value_at_quantile(0.5) as f64 / 1000.0,
        p99_ms: all.value_at_quantile(0.99) as f64 / 1000.0,
    }
}

/// The baseline transaction, written by hand.
async fn raw_reserve(db: &Db, event: &str, seat_id: &str) -> Result<bool, store::StoreError> {
    let now = common::time::now_ms();
    let rid = common::ids::new_id();
    let mut tx = db.begin().await?;
    let n = tx_exec!(&mut tx, c => sqlx::query(
        "UPDATE seats SET status = 'RESERVED', hold_reservation_id = ?, hold_user_id = ?, reserved_until = ?, version = version + 1 \
         WHERE seat_id = ? AND status = 'AVAILABLE'")
        .bind(&rid).bind("bench").bind(now + 600_000).bind(seat_id).execute(c))?;
    if n != 1 {
        return Ok(false);
    }
    tx_exec!(&mut tx, c => sqlx::query(
        "INSERT INTO reservations (reservation_id, event_id, seat_id, seat_number, section, row_no, price, user_id, status, expires_at, created_at, updated_at) \
         VALUES (?, ?, ?, '', 'A', 1, 1000, 'bench', 'ACTIVE', ?, ?, ?)")
        .bind(&rid).bind(event).bind(seat_id).bind(now + 600_000).bind(now).bind(now).execute(c))?;
    tx.commit().await?;
    Ok(true)
}

/// A scratch inventory database on `backend` (`sqlite`, in a temp dir, or a MySQL server URL).
async fn scratch_db(backend: &str, dir: &std::path::Path) -> anyhow::Result<Db> {
    let cfg = if backend == "sqlite" {
        StoreConfig::Sqlite { dir: dir.to_path_buf() }
    } else {
        StoreConfig::MySql { url: format!("{}/bench_{}", backend.trim_end_matches('/'), common::ids::random_token(4)), pool_size: 32 }
    };
    Ok(Db::open(&cfg, "inventory", inventory::migrations()).await?)
}

/// The raw layer alone (for `ticketing loadgen --baseline`).
pub async fn raw_ceiling(backend: &str, concurrency: usize, seats: i64) -> anyhow::Result<Figure> {
    let dir = tempfile::tempdir()?;
    let db = scratch_db(backend, dir.path()).await?;
    let ids = Arc::new(layout(&db, "bench-raw", seats).await?);
    let d = db.clone();
    Ok(drive("raw", ids.len(), concurrency, move |i| {
        let (d, s) = (d.clone(), ids.clone());
        async move { matches!(raw_reserve(&d, "bench-raw", &s[i]).await, Ok(true)) }
    })
    .await)
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = scratch_db(&args.backend, dir.path()).await?;
    let svc = Arc::new(inventory::InventoryService::new(
        db.clone(),
        Arc::new(AlwaysOnSale),
        Arc::new(store::locks::LocalLocks::new()),
        inventory::InventoryConfig {
            hold_ttl: Duration::from_secs(600),
            cleanup_interval: Duration::from_secs(3600),
            lock_ttl: Duration::from_secs(30),
            lock_wait: Duration::from_secs(5),
            waitlist_offer: Duration::from_secs(900),
        },
    ));
    let n = args.seats as usize;
    println!(
        "backend {} | {} seats | {} requests per layer | concurrency {}",
        if args.backend == "sqlite" { "sqlite" } else { "mysql" },
        args.seats,
        n,
        args.concurrency
    );
    let mut figures = Vec::new();

    let seats = Arc::new(layout(&db, "bench-raw", args.seats).await?);
    let (d, s) = (db.clone(), seats.clone());
    figures.push(
        drive("raw", n, args.concurrency, move |i| {
            let (d, s) = (d.clone(), s.clone());
            async move { matches!(raw_reserve(&d, "bench-raw", &s[i]).await, Ok(true)) }
        })
        .await,
    );

    let seats = Arc::new(layout(&db, "bench-store", args.seats).await?);
    let store = Arc::new(inventory::store::InventoryStore::new(db.clone()));
    let s = seats.clone();
    figures.push(
        drive("store", n, args.concurrency, move |i| {
            let (st, s) = (store.clone(), s.clone());
            async move {
                let now = common::time::now_ms();
                matches!(st.reserve("bench-store", "bench", &[s[i].clone()], None, now + 600_000, now).await, Ok(Ok(_)))
            }
        })
        .await,
    );

    layout(&db, "bench-service", args.seats).await?;
    let numbers = Arc::new(
        svc.seats("bench-service", false)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?
            .seats
            .into_iter()
            .map(|s| s.seat_number)
            .collect::<Vec<_>>(),
    );
    let sv = svc.clone();
    figures.push(
        drive("service", n, args.concurrency, move |i| {
            let (sv, nums) = (sv.clone(), numbers.clone());
            async move {
                let req: inventory::model::ReserveInput =
                    serde_json::from_value(serde_json::json!({"eventId": "bench-service", "seatNumbers": [nums[i]]})).expect("valid");
                sv.reserve(&format!("user-{}", i % 1000), req).await.is_ok()
            }
        })
        .await,
    );

    let raw = figures[0].per_sec;
    println!("{:<8} {:>9} {:>7} {:>10} {:>9} {:>9} {:>12}", "layer", "requests", "errors", "per sec", "p50 ms", "p99 ms", "vs raw");
    for f in &figures {
        println!(
            "{:<8} {:>9} {:>7} {:>10.0} {:>9.2} {:>9.2} {:>11.2}x",
            f.layer,
            f.requests,
            f.errors,
            f.per_sec,
            f.p50_ms,
            f.p99_ms,
            raw / f.per_sec
        );
    }
    if let Some(p) = args.json {
        std::fs::write(p, serde_json::to_string_pretty(&figures)?)?;
    }
    Ok(())
}
