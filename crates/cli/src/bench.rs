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

/// The baseline transaction, written by hand: the new reservation's id, `None` if the seat was taken.
async fn raw_reserve(db: &Db, event: &str, seat_id: &str) -> Result<Option<String>, store::StoreError> {
    let now = common::time::now_ms();
    let rid = common::ids::new_id();
    let mut tx = db.begin().await?;
    let n = tx_exec!(&mut tx, c => sqlx::query(
        "UPDATE seats SET status = 'RESERVED', hold_reservation_id = ?, hold_user_id = ?, reserved_until = ?, version = version + 1 \
         WHERE seat_id = ? AND status = 'AVAILABLE'")
        .bind(&rid).bind("bench").bind(now + 600_000).bind(seat_id).execute(c))?;
    if n != 1 {
        return Ok(None);
    }
    tx_exec!(&mut tx, c => sqlx::query(
        "INSERT INTO reservations (reservation_id, event_id, seat_id, seat_number, section, row_no, price, user_id, status, expires_at, created_at, updated_at) \
         VALUES (?, ?, ?, '', 'A', 1, 1000, 'bench', 'ACTIVE', ?, ?, ?)")
        .bind(&rid).bind(event).bind(seat_id).bind(now + 600_000).bind(now).bind(now).execute(c))?;
    tx.commit().await?;
    Ok(Some(rid))
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
        async move { matches!(raw_reserve(&d, "bench-raw", &s[i]).await, Ok(Some(_))) }
    })
    .await)
}

/// The purchase's transactions alone, hand-written (for `ticketing loadgen --scenario purchase
/// --baseline`): per journey, one seat held, the booking and its key, the seat booked, the
/// charge recorded, its outcome with its webhook, the booking done: six transactions on three
/// databases (inventory, bookings, payments), each a buyer's own, as many journeys in flight as
/// `concurrency`. No HTTP, no grouping, no outbox: what the database does for a purchase.
pub async fn raw_purchase_ceiling(backend: &str, concurrency: usize, seats: i64) -> anyhow::Result<Figure> {
    let dir = tempfile::tempdir()?;
    let inv = scratch_db(backend, dir.path()).await?;
    let (bookings, payments) = if backend == "sqlite" {
        let cfg = StoreConfig::Sqlite { dir: dir.path().to_path_buf() };
        (Db::open(&cfg, "bookings", booking::migrations()).await?, Db::open(&cfg, "payment", payment::migrations()).await?)
    } else {
        let url = |what: &str| format!("{}/bench_{what}_{}", backend.trim_end_matches('/'), common::ids::random_token(4));
        (
            Db::open(&StoreConfig::MySql { url: url("bookings"), pool_size: 32 }, "bookings", booking::migrations()).await?,
            Db::open(&StoreConfig::MySql { url: url("payment"), pool_size: 32 }, "payment", payment::migrations()).await?,
        )
    };
    let ids = Arc::new(layout(&inv, "bench-raw", seats).await?);
    let dbs = Arc::new((inv, bookings, payments));
    Ok(drive("raw purchase", ids.len(), concurrency, move |i| {
        let (dbs, s) = (dbs.clone(), ids.clone());
        async move { matches!(raw_purchase(&dbs.0, &dbs.1, &dbs.2, &s[i]).await, Ok(true)) }
    })
    .await)
}

/// One purchase's six transactions, by hand.
async fn raw_purchase(inv: &Db, bookings: &Db, payments: &Db, seat_id: &str) -> Result<bool, store::StoreError> {
    let Some(rid) = raw_reserve(inv, "bench-raw", seat_id).await? else { return Ok(false) };
    let (bid, pid, now) = (common::ids::new_id(), common::ids::new_id(), common::time::now_ms());
    let mut tx = bookings.begin().await?;
    tx_exec!(&mut tx, c => sqlx::query("INSERT INTO idempotency_keys (user_id, idem_key, request_hash, booking_id, created_at) VALUES ('bench', ?, 'h', ?, ?)")
        .bind(&bid).bind(&bid).bind(now).execute(c))?;
    tx_exec!(&mut tx, c => sqlx::query(
        "INSERT INTO bookings (booking_id, booking_reference, user_id, reservation_ids, seats, total_amount, currency, status, step, \
         payment_status, lease_owner, lease_until, created_at, updated_at) VALUES (?, ?, 'bench', ?, '[]', 0, 'USD', 'PENDING', 'NEW', 'PENDING', 'b', ?, ?, ?)")
        .bind(&bid).bind(&bid[..8]).bind(&rid).bind(now + 60_000).bind(now).bind(now).execute(c))?;
    tx.commit().await?;
    let mut tx = inv.begin().await?;
    tx_exec!(&mut tx, c => sqlx::query("UPDATE reservations SET status = 'CONFIRMED', booking_id = ?, updated_at = ? WHERE reservation_id = ? AND status = 'ACTIVE'")
        .bind(&bid).bind(now).bind(&rid).execute(c))?;
    tx_exec!(&mut tx, c => sqlx::query("UPDATE seats SET status = 'BOOKED', reserved_until = NULL, version = version + 1 WHERE seat_id = ? AND status = 'RESERVED'")
        .bind(seat_id).execute(c))?;
    tx.commit().await?;
    let mut tx = payments.begin().await?;
    tx_exec!(&mut tx, c => sqlx::query(
        "INSERT INTO payments (payment_id, idempotency_key, user_id, booking_id, amount, currency, card_last4, status, created_at, updated_at) \
         VALUES (?, ?, 'bench', ?, 1000, 'USD', '4242', 'PENDING', ?, ?)")
        .bind(&pid).bind(&bid).bind(&bid).bind(now).bind(now).execute(c))?;
    tx.commit().await?;
    let mut tx = payments.begin().await?;
    tx_exec!(&mut tx, c => sqlx::query("UPDATE payments SET status = 'SUCCESS', transaction_id = ?, processed_at = ?, updated_at = ? WHERE payment_id = ? AND status = 'PENDING'")
        .bind(&pid).bind(now).bind(now).bind(&pid).execute(c))?;
    tx_exec!(&mut tx, c => sqlx::query(
        "INSERT INTO webhook_deliveries (delivery_id, payment_id, event_type, payload, attempts, next_attempt_at, created_at) VALUES (?, ?, 'PaymentSucceeded', '{}', 0, ?, ?)")
        .bind(&pid).bind(&pid).bind(now).bind(now).execute(c))?;
    tx.commit().await?;
    let mut tx = bookings.begin().await?;
    tx_exec!(&mut tx, c => sqlx::query(
        "UPDATE bookings SET status = 'CONFIRMED', step = 'DONE', payment_id = ?, payment_status = 'SUCCESS', confirmed_at = ?, updated_at = ? \
         WHERE booking_id = ? AND step = 'NEW' AND lease_owner = 'b'")
        .bind(&pid).bind(now).bind(now).bind(&bid).execute(c))?;
    tx.commit().await?;
    Ok(true)
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
            async move { matches!(raw_reserve(&d, "bench-raw", &s[i]).await, Ok(Some(_))) }
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
